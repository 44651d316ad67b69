/**
 * The demo as a newcomer runs it (`npm run demo`): it ends by itself, shows JSON log lines carrying trace ids,
 * one line per span, and the metrics it produced.
 */
import { fileURLToPath } from 'node:url';
import { freePort, killAllChildren, spawnNode } from '@autotelemetry/test-utils';
import { afterEach, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

afterEach(killAllChildren);

it('runs the pipeline end to end and shows its logs, spans and metrics', async () => {
  const port = await freePort();
  const child = spawnNode(MAIN, { env: { DEMO_METRICS_PORT: String(port) } });
  expect(await child.exited, child.stderr.join('\n')).toEqual({ code: 0, signal: null });

  // stdout: only JSON lines in the seed's schema; those written inside the run carry its trace id.
  expect(child.stdout.filter((line) => line !== '').every((line) => line.startsWith('{'))).toBe(true);
  const lines = child.json();
  const done = lines.find((line) => line.message === 'Processing done');
  expect(done).toMatchObject({ level: 'INFO', logger: 'pipeline', 'service.name': 'demo.pipeline' });
  expect(done?.data).toMatchObject({ rows_processed: 490, categories: 4 });
  const summaries = lines.filter((line) => String(line.message).startsWith('Operation pipeline.'));
  expect(summaries.map((line) => (line.data as { rows_processed: number }).rows_processed)).toEqual([500, 490]);
  // The failed attempt's warning carries its error (other warnings, e.g. an anomaly under a loaded machine, may come first).
  expect(lines.find((line) => line.level === 'WARN' && line.error !== undefined)?.error).toMatchObject({
    message: 'reference service timed out',
  });

  // stderr: one compact line per span, all in the run's trace, the failed attempt marked ERROR.
  const spans = child.stderr.filter((line) => line.startsWith('span '));
  const run = spans.find((line) => line.startsWith('span pipeline.run '));
  const traceId = run?.match(/trace_id=([0-9a-f]{32})/)?.[1];
  expect(traceId).toBe(done?.trace_id);
  for (const name of ['pipeline.load', 'pipeline.clean', 'pipeline.aggregate']) {
    expect(spans.find((line) => line.startsWith(`span ${name} `))).toContain(`trace_id=${traceId}`);
  }
  expect(spans.filter((line) => line.startsWith('span pipeline.enrich ')).map((line) => line.split(' ')[3])).toEqual([
    'ERROR("reference',
    'UNSET',
  ]);

  // The metrics summary, scraped from the demo's own /metrics.
  const stderr = child.stderr.join('\n');
  expect(stderr).toContain(`Metrics scraped from http://127.0.0.1:${port}/metrics`);
  expect(stderr).toMatch(/data_operation_rows_total\{data_operation_name="pipeline.load"\} 500/);
  expect(stderr).toContain('Clean shutdown');
});
