/**
 * The Prometheus endpoint of a real child process: `promtool check metrics` accepts what it serves, it shows
 * the same metrics that go over OTLP, and a port in use gives one warning without stopping the app.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  holdPort,
  killAllChildren,
  type NodeProcess,
  type OtlpReceiver,
  spawnNode,
  startOtlpReceiver,
} from '@autotelemetry/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./fixtures/pipeline-app.mjs', import.meta.url));
const ENSURE_PROMETHEUS = fileURLToPath(new URL('../../../scripts/ensure-prometheus.sh', import.meta.url));

let receiver: OtlpReceiver | undefined;
let promtoolMissing: string | undefined;

beforeAll(() => {
  // Installs Debian's prometheus package (promtool) when missing; exit 1 means apt is impossible here.
  const ensured = spawnSync('sh', [ENSURE_PROMETHEUS], { encoding: 'utf8', timeout: 240_000 });
  if (ensured.status === 1) promtoolMissing = ensured.stderr.trim() || 'promtool is not installed';
  else if (ensured.status !== 0) throw new Error(`ensure-prometheus.sh failed: ${ensured.stderr}`);
}, 250_000);

afterEach(async () => {
  await killAllChildren();
  await receiver?.close();
  receiver = undefined;
});

/** Polls `/metrics` until `ready(text)` holds (the endpoint and the runtime metrics start asynchronously). */
async function scrape(
  port: number,
  child: NodeProcess,
  ready: (text: string) => boolean,
): Promise<Response & { text: string }> {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      const text = await response.text();
      if (ready(text)) return Object.assign(response, { text });
      last = text;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/metrics never became ready. Last answer:\n${last}\nstderr:\n${child.stderr.join('\n')}`);
}

/** The Prometheus name the OTel serializer gives a metric. */
function prometheusName(name: string, monotonicSum: boolean): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_') + (monotonicSum ? '_total' : '');
}

describe('Prometheus /metrics', () => {
  it('serves text that promtool accepts, with the same metrics as OTLP', async (context) => {
    if (promtoolMissing) context.skip(`promtool unavailable: ${promtoolMissing}`);
    receiver = await startOtlpReceiver({ protocol: 'http/protobuf' });
    const port = await freePort();
    const child = spawnNode(APP, {
      env: {
        AUTOTELEMETRY_ENVIRONMENT: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        AUTOTELEMETRY_PROMETHEUS_PORT: String(port),
        AUTOTELEMETRY_PROMETHEUS_HOST: '127.0.0.1',
        AUTOTELEMETRY_RUNTIME_METRICS: 'true',
        FIXTURE_SPANS: '4',
        FIXTURE_EXIT: 'serve',
      },
    });
    await child.waitForLine('READY');
    const response = await scrape(port, child, (text) =>
      ['v8js_gc_duration', 'system_cpu_time', 'nodejs_eventloop_delay_p99'].every((name) => text.includes(name)),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');

    const check = spawnSync('promtool', ['check', 'metrics'], { input: response.text, encoding: 'utf8' });
    expect(check.status, `promtool said:\n${check.stdout}${check.stderr}`).toBe(0);

    // The app's metrics, with their values, and the runtime/system ones the issue asks for.
    expect(response.text).toMatch(/^fixture_items_processed_total\{[^}]*kind="step"[^}]*\} 4$/m);
    expect(response.text).toMatch(/^fixture_step_duration_count\{[^}]*\} 4$/m);
    for (const name of [
      'process_uptime',
      'process_cpu_time_total',
      'process_memory_usage',
      'nodejs_eventloop_delay_p99',
      'nodejs_eventloop_utilization',
      'v8js_gc_duration_bucket',
      'v8js_memory_heap_used',
    ]) {
      expect(response.text, name).toMatch(new RegExp(`^${name}\\{`, 'm'));
    }
    expect(response.text).toMatch(/^target_info\{[^}]*service_name="fixture.pipeline"/m);

    // SIGTERM flushes the OTLP side; every metric it sent is on /metrics too (one MeterProvider).
    child.kill('SIGTERM');
    expect((await child.exited).signal).toBe('SIGTERM');
    const otlpNames = new Set(
      receiver.metrics.map((m) => prometheusName(m.name, m.type === 'sum' && m.monotonic === true)),
    );
    expect(otlpNames.size).toBeGreaterThan(10);
    const promNames = new Set([...response.text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
    expect([...otlpNames].filter((name) => !promNames.has(name))).toEqual([]);
  });

  it('warns once, naming the port, when the port is in use, and the app keeps running', async () => {
    const held = await holdPort();
    try {
      const child = spawnNode(APP, {
        env: {
          AUTOTELEMETRY_ENVIRONMENT: 'development',
          AUTOTELEMETRY_JSON_LOGS: 'true',
          AUTOTELEMETRY_PROMETHEUS_PORT: String(held.port),
          AUTOTELEMETRY_PROMETHEUS_HOST: '127.0.0.1',
          AUTOTELEMETRY_RUNTIME_METRICS: 'false',
          FIXTURE_SPANS: '3',
          FIXTURE_EXIT: 'natural',
        },
      });
      expect(await child.exited).toEqual({ code: 0, signal: null });
      const warnings = child.json().filter((line) => line.level === 'WARN');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ logger: 'autotelemetry' });
      expect(String(warnings[0]?.message)).toContain(`port ${held.port} is already in use`);
      // The app did all its work after the warning.
      expect(child.json().filter((line) => line.message === 'step done')).toHaveLength(3);
      expect(child.stderr.join('\n')).not.toMatch(/Error|EADDRINUSE/);
    } finally {
      await held.close();
    }
  });
});
