import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BATCH_HIGH_WATER, BatchedLineStream } from '../src/logging/batched-stream.js';

/** A sink that keeps what each write was given, decoded (the bytes are a view valid only during the call). */
function recordingSink(): { writes: string[]; write(bytes: Uint8Array): void } {
  const writes: string[] = [];
  return { writes, write: (bytes) => void writes.push(Buffer.from(bytes).toString('utf8')) };
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

  it('encodes lines as UTF-8, longer ones than its buffer included', async () => {
    const sink = recordingSink();
    const stream = new BatchedLineStream(sink);
    const long = `${'é'.repeat(100_000)}\n`;
    stream.write('caf\u00e9 \u{1f680}\n');
    stream.write(long);
    stream.write('after\n');
    await nextTurn();
    expect(sink.writes.join('')).toBe(`caf\u00e9 \u{1f680}\n${long}after\n`);
  });

  it('keeps lines written while the sink writes (an error listener that logs) after the batch, intact', () => {
    const writes: string[] = [];
    let stream: BatchedLineStream | undefined;
    stream = new BatchedLineStream({
      write(bytes) {
        if (writes.length === 0) stream?.write('from the listener\n');
        writes.push(Buffer.from(bytes).toString('utf8'));
      },
    });
    stream.write('first\n');
    stream.flushSync();
    stream.flushSync();
    expect(writes).toEqual(['first\n', 'from the listener\n']);
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

  it('waits out a full non-blocking pipe (a reader that stops for a while) and loses no line', async () => {
    const child = spawn(process.execPath, [fixture], {
      env: { ...process.env, NODE_ENV: 'production', LINES: '20000', END: 'turns' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.pause();
    // 20,000 lines of ~330 bytes are ~6.6 MB: far more than a pipe holds while nobody reads.
    await sleep(500);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stdout.resume();
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(0);
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    expect(lines).toHaveLength(20000);
    expect(lines.map((l) => (JSON.parse(l) as { data: { i: number } }).data.i)).toEqual(
      Array.from({ length: 20000 }, (_, i) => i),
    );
  });
});
