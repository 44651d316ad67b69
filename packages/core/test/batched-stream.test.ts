import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BATCH_HIGH_WATER, BatchedLineStream } from '../src/logging/batched-stream.js';

function recordingSink(): { writes: string[]; write(chunk: string): boolean } {
  const writes: string[] = [];
  return { writes, write: (chunk: string) => writes.push(chunk) > 0 };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchedLineStream', () => {
  it('writes the lines of one event-loop turn in one write, in order, when the turn ends', async () => {
    const sink = recordingSink();
    const stream = new BatchedLineStream(sink);
    stream.write('a\n');
    stream.write('b\n');
    stream.write('c\n');
    expect(sink.writes).toEqual([]);
    await nextTurn();
    expect(sink.writes).toEqual(['a\nb\nc\n']);
    stream.write('d\n');
    await nextTurn();
    expect(sink.writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes at once on flushSync and past the high-water mark', () => {
    const sink = recordingSink();
    const stream = new BatchedLineStream(sink);
    stream.write('first\n');
    stream.flushSync();
    expect(sink.writes).toEqual(['first\n']);
    const big = `${'x'.repeat(BATCH_HIGH_WATER)}\n`;
    stream.write(big);
    expect(sink.writes).toEqual(['first\n', big]);
  });

  it('keeps an exit listener only while lines are waiting', async () => {
    await nextTurn();
    const before = process.listenerCount('exit');
    const stream = new BatchedLineStream(recordingSink());
    stream.write('a\n');
    expect(process.listenerCount('exit')).toBe(before + 1);
    await nextTurn();
    expect(process.listenerCount('exit')).toBe(before);
  });

  const fixture = fileURLToPath(new URL('./fixtures/batched-lines.mjs', import.meta.url));
  const run = (end: 'exit' | 'throw') =>
    spawnSync(process.execPath, [fixture], {
      env: { ...process.env, NODE_ENV: 'production', LINES: '2000', END: end },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });

  it.each(['exit', 'throw'] as const)('writes every line of the last turn when the process ends by %s', (end) => {
    const { stdout, status } = run(end);
    expect(status).toBe(end === 'exit' ? 0 : 1);
    const lines = stdout.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(2000);
    expect(lines.map((l) => (JSON.parse(l) as { data: { i: number } }).data.i)).toEqual(
      Array.from({ length: 2000 }, (_, i) => i),
    );
  });
});
