import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { duplicateKeys, ISO_MS_Z, topLevelKeys } from './fixtures/logger-capture.js';

const coreDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Runs a fixture on the built package, as production would: a fresh Node process. */
function run(name: string): {
  lines: string[];
  ids: { traceId: string; spanId: string };
  status: number | null;
  stderr: string;
} {
  for (const entry of ['dist/index.mjs', 'dist/index.cjs']) {
    if (!existsSync(`${coreDir}/${entry}`)) throw new Error(`${entry} is missing: build @autotelemetry/core first`);
  }
  const result = spawnSync(process.execPath, [fixture(name)], {
    cwd: coreDir,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const lines = result.stdout.split(/(?<=\n)/).filter((l) => l !== '');
  const last = result.stderr.trim().split('\n').at(-1) ?? '';
  const ids = (last.startsWith('{') ? JSON.parse(last) : {}) as { traceId: string; spanId: string };
  return { lines, ids, status: result.status, stderr: result.stderr };
}

const SERVICE = {
  'service.name': 'demo.service',
  'service.version': '1.0.0',
  'deployment.environment': 'production',
};
const BASE_KEYS = [
  'timestamp',
  'level',
  'logger',
  'message',
  'service.name',
  'service.version',
  'deployment.environment',
];

describe('a production process logging through the built package', () => {
  it('writes every line in the schema, field by field, with the span ids inside the span (ESM)', () => {
    const { lines, ids, status, stderr } = run('logger-production.mjs');
    expect(status, stderr).toBe(3);
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(lines).toHaveLength(5);
    for (const raw of lines) {
      expect(raw.indexOf('\n')).toBe(raw.length - 1);
      expect(duplicateKeys(raw)).toEqual([]);
    }
    const [starting, processed, slow, failed, exiting] = lines.map((raw) => ({
      raw,
      line: JSON.parse(raw) as Record<string, unknown>,
    }));
    const trace = { trace_id: ids.traceId, span_id: ids.spanId };

    expect(topLevelKeys(starting!.raw)).toEqual(BASE_KEYS);
    expect(starting!.line).toMatchObject({ level: 'INFO', logger: 'pipeline', message: 'Starting', ...SERVICE });

    expect(topLevelKeys(processed!.raw)).toEqual([...BASE_KEYS, 'trace_id', 'span_id', 'data']);
    expect(processed!.line).toEqual({
      timestamp: processed!.line.timestamp,
      level: 'INFO',
      logger: 'pipeline',
      message: 'Processing done',
      ...SERVICE,
      ...trace,
      data: { rows_processed: 150 },
    });

    expect(topLevelKeys(slow!.raw)).toEqual([...BASE_KEYS, 'trace_id', 'span_id', 'data', 'context']);
    expect(slow!.line).toEqual({
      timestamp: slow!.line.timestamp,
      level: 'WARN',
      logger: 'pipeline',
      message: 'Slow batch',
      ...SERVICE,
      ...trace,
      data: { ms: 1200 },
      context: { batch: 7 },
    });

    expect(topLevelKeys(failed!.raw)).toEqual([...BASE_KEYS, 'trace_id', 'span_id', 'error']);
    expect(failed!.line).toMatchObject({
      level: 'ERROR',
      logger: 'pipeline',
      message: 'Batch failed',
      ...SERVICE,
      ...trace,
    });
    const error = failed!.line.error as Record<string, Record<string, unknown> & { stack: string }>;
    expect(Object.keys(error)).toEqual(['type', 'message', 'stack', 'cause']);
    expect(error).toMatchObject({ type: 'Error', message: 'disk full' });
    expect(error.stack).toMatch(/^Error: disk full\n\s+at /);
    expect(error.cause).toMatchObject({ type: 'Error', message: 'quota exceeded' });

    expect(exiting!.line).toMatchObject({ level: 'FATAL', logger: 'root', message: 'Exiting', data: { code: 3 } });
    expect(exiting!.line).not.toHaveProperty('trace_id');

    const times = lines.map((raw) => (JSON.parse(raw) as { timestamp: string }).timestamp);
    for (const time of times) expect(time).toMatch(ISO_MS_Z);
    expect([...times].sort()).toEqual(times);
  });

  it('works the same from the CommonJS build', () => {
    const { lines, ids, status, stderr } = run('logger-production.cjs');
    expect(status, stderr).toBe(0);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      timestamp: expect.stringMatching(ISO_MS_Z),
      level: 'INFO',
      logger: 'cjs',
      message: 'From CommonJS',
      ...SERVICE,
      trace_id: ids.traceId,
      span_id: ids.spanId,
      data: { ok: true },
    });
  });
});
