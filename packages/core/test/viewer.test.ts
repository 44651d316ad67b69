/**
 * The telemetry viewer of a running pipeline, over real loopback sockets: what it serves (the traces with
 * their log lines, redacted as everything else), its live event stream, its bounds, its refusals, a port in
 * use, and its defaults — on in development only.
 */
import { holdPort } from '@autotelemetry/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve.js';
import { ConfigError, type TelemetryOptions } from '../src/config/types.js';
import { getTelemetry, startTelemetry } from '../src/sdk.js';
import { getState } from '../src/state.js';
import { LogCapture } from '../src/testing.js';
import type { TraceSummary, ViewerLogLine, ViewerSpan } from '../src/viewer/store.js';

afterEach(async () => {
  await getTelemetry()?.shutdown();
});

const DEV: TelemetryOptions = {
  serviceName: 'shop.api',
  environment: 'development',
  jsonLogs: true,
  traceExporter: 'none',
  prometheusPort: false,
  runtimeMetrics: false,
  anomalyDetection: false,
  viewerPort: 0,
};

/** Starts a development pipeline with the viewer on a free port; resolves with its URL. */
async function startViewer(options: TelemetryOptions = {}): Promise<{ url: string; capture: LogCapture }> {
  const capture = new LogCapture();
  startTelemetry({ ...DEV, logDestination: capture, ...options });
  const url = await getState()?.pipeline?.viewer?.url();
  if (url === undefined) throw new Error('the viewer did not start');
  return { url, capture };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

/** Runs `fn` in a span named `name` of the running pipeline. */
function inSpan(name: string, fn: (span: import('@opentelemetry/api').Span) => void): string {
  const tracer = getTelemetry()?.getTracer('viewer.test');
  if (tracer === undefined) throw new Error('no pipeline');
  return tracer.startActiveSpan(name, (span) => {
    fn(span);
    span.end();
    return span.spanContext().traceId;
  });
}

describe('the telemetry viewer', () => {
  it('serves each trace with its spans and log lines, redacted like every other signal', async () => {
    const { url, capture } = await startViewer();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_telemetry\/$/);
    expect(capture.lines.some((line) => line.includes(`telemetry viewer: ${url}`))).toBe(true);

    const logger = getTelemetry()?.getLogger('billing');
    const traceId = inSpan('billing.charge', (span) => {
      span.setAttribute('password', 'hunter2');
      span.setAttribute('billing.amount', 42);
      logger?.info('charging card', { order_id: 7, password: 'hunter2' });
      inSpan('billing.ledger', () => {});
    });
    logger?.warn('outside any span');

    const { traces } = await getJson<{ traces: TraceSummary[] }>(`${url}api/traces`);
    expect(traces.map((t) => [t.traceId, t.name, t.spanCount, t.logCount])).toEqual([
      [traceId, 'billing.charge', 2, 1],
    ]);

    const trace = await getJson<{ spans: ViewerSpan[]; logs: ViewerLogLine[] }>(`${url}api/traces/${traceId}`);
    const [root, child] = trace.spans;
    expect(root?.name).toBe('billing.charge');
    expect(root?.attributes).toMatchObject({ password: '[REDACTED]', 'billing.amount': 42 });
    expect(child?.parentSpanId).toBe(root?.spanId);
    expect(trace.logs).toEqual([
      expect.objectContaining({
        level: 'INFO',
        logger: 'billing',
        message: 'charging card',
        trace_id: traceId,
        span_id: root?.spanId,
        data: { order_id: 7, password: '[REDACTED]' },
      }),
    ]);
    // Every line still reaches the application's destination, unchanged by the viewer.
    const written = capture.json().filter((line) => line.logger === 'billing');
    expect(written.map((line) => line.message)).toEqual(['charging card', 'outside any span']);
    const { logs } = await getJson<{ logs: ViewerLogLine[] }>(`${url}api/logs`);
    expect(logs.map((line) => line.message)).toContain('outside any span');
    expect(JSON.stringify(await getJson(`${url}api/traces/${traceId}`))).not.toContain('hunter2');
  });

  it('pushes the changed traces and a metric sample every second on its event stream', async () => {
    const { url } = await startViewer();
    const controller = new AbortController();
    const response = await fetch(`${url}api/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    const traceId = inSpan('shop.checkout', () => {});
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(received.includes(traceId) && received.includes('event: metrics'))) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    controller.abort();
    expect(received).toMatch(/event: traces\ndata: \[.*"shop.checkout"/);
    expect(received).toContain(traceId);
    const metrics = received.split('\n\n').find((frame) => frame.startsWith('event: metrics'));
    const sample = JSON.parse(metrics?.split('data: ')[1] ?? '{}') as { values?: Record<string, unknown> };
    expect(Object.keys(sample.values ?? {})).toEqual([
      'http.server.request.rate',
      'http.server.request.duration.p50',
      'http.server.request.duration.p99',
      'nodejs.eventloop.delay.p99',
      'v8js.memory.heap.used',
    ]);
    expect(sample.values?.['v8js.memory.heap.used']).toBeGreaterThan(1);
  });

  it('keeps at most viewerMaxTraces traces and viewerMaxLogLines lines, the newest', async () => {
    const { url } = await startViewer({ viewerMaxTraces: 5, viewerMaxLogLines: 7 });
    const logger = getTelemetry()?.getLogger('load');
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(inSpan(`load.step_${i}`, () => logger?.info(`step ${i}`)));
    const { traces, droppedTraces } = await getJson<{ traces: TraceSummary[]; droppedTraces: number }>(
      `${url}api/traces`,
    );
    expect(traces.map((t) => t.traceId)).toEqual(ids.slice(-5).reverse());
    expect(droppedTraces).toBe(45);
    const { logs } = await getJson<{ logs: ViewerLogLine[] }>(`${url}api/logs`);
    expect(logs.map((line) => line.message)).toEqual(Array.from({ length: 7 }, (_, k) => `step ${43 + k}`));
    const gone = await fetch(`${url}api/traces/${ids[0]}`);
    expect(gone.status).toBe(404);
  });

  it('lists the data operations of measure() and the anomalies found, with their traces', async () => {
    const { url } = await startViewer({ anomalyDetection: true });
    const client = getTelemetry();
    await client?.measure('shop.import_rows', async () => [1, 2, 3]);
    const detector = (await import('../src/instrument/anomaly.js')).getAnomalyDetector();
    // A steady series, then one call ten times slower, observed on its span.
    for (let i = 0; i < 200; i++) detector.observe('shop.lookup', 10 + (i % 5), false);
    const slowTrace = inSpan('shop.lookup', (span) => detector.observe('shop.lookup', 400, false, span));
    const { operations, anomalies } = await getJson<{
      operations: { name: string; rows: unknown; status: string; traceId: string }[];
      anomalies: { spanName: string; traceId: string; attributes: Record<string, unknown> }[];
    }>(`${url}api/operations`);
    expect(operations).toEqual([
      expect.objectContaining({ name: 'shop.import_rows', rows: 3, status: 'UNSET', traceId: expect.any(String) }),
    ]);
    expect(anomalies).toEqual([expect.objectContaining({ spanName: 'shop.lookup', traceId: slowTrace })]);
    expect(Object.keys(anomalies[0]?.attributes ?? {}).length).toBeGreaterThan(0);
  });

  it('answers GET and HEAD only, to loopback host names only, with a strict content policy', async () => {
    const { url } = await startViewer();
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('<script src="app.js" defer></script>');
    expect((await fetch(`${url}app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${url}api/traces`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}api/traces`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${url}nothing-here`)).status).toBe(404);
    const port = new URL(url).port;
    const rebound = await new Promise<number>((resolve, reject) => {
      // fetch() does not let a caller set Host; a raw request does.
      const { request } = process.getBuiltinModule('node:http');
      request({ host: '127.0.0.1', port, path: '/_telemetry/api/traces', headers: { host: `evil.example:${port}` } })
        .on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(403);
    expect((await fetch(url.replace('127.0.0.1', 'localhost'))).status).toBe(200);
  });

  it('gives one warning when its port is taken, and the service keeps working', async () => {
    const held = await holdPort();
    try {
      const capture = new LogCapture();
      startTelemetry({ ...DEV, logDestination: capture, viewerPort: held.port });
      expect(await getState()?.pipeline?.viewer?.url()).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const warnings = capture.json().filter((line) => String(line.message).startsWith('Telemetry viewer not started'));
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]?.message)).toContain(`port ${held.port} is already in use`);
      getTelemetry()?.getLogger().info('still logging');
      expect(capture.json().some((line) => line.message === 'still logging')).toBe(true);
    } finally {
      await held.close();
    }
  });

  it('stops listening at shutdown', async () => {
    const { url } = await startViewer();
    await getTelemetry()?.shutdown();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('viewer options', () => {
  const PACKAGE = { serviceName: 'shop.api' };

  it('is on in development only, on 127.0.0.1:8001', () => {
    const dev = resolveConfig({ ...PACKAGE, environment: 'development' }, {});
    expect([dev.viewerPort, dev.viewerHost, dev.viewerMaxTraces, dev.viewerMaxLogLines]).toEqual([
      8001,
      '127.0.0.1',
      200,
      2000,
    ]);
    for (const environment of ['test', 'staging', 'production']) {
      expect(resolveConfig({ ...PACKAGE, environment }, {}).viewerPort, environment).toBe(false);
    }
    expect(resolveConfig({ ...PACKAGE, environment: 'production', viewerPort: 9000 }, {}).viewerPort).toBe(9000);
  });

  it('reads the environment variables, and off wins in development', async () => {
    const env = {
      AUTOTELEMETRY_VIEWER_PORT: '0',
      AUTOTELEMETRY_VIEWER_HOST: '::1',
      AUTOTELEMETRY_VIEWER_MAX_TRACES: '50',
      AUTOTELEMETRY_VIEWER_MAX_LOG_LINES: '300',
    };
    const config = resolveConfig({ ...PACKAGE, environment: 'development' }, env);
    expect([config.viewerPort, config.viewerHost, config.viewerMaxTraces, config.viewerMaxLogLines]).toEqual([
      0,
      '::1',
      50,
      300,
    ]);
    expect(config.warnings).toEqual([]);
    const off = resolveConfig({ ...PACKAGE, environment: 'development' }, { AUTOTELEMETRY_VIEWER_PORT: 'false' });
    expect(off.viewerPort).toBe(false);
    // And then nothing listens: the pipeline has no viewer.
    startTelemetry({ ...DEV, viewerPort: false, logDestination: new LogCapture() });
    expect(getState()?.pipeline?.viewer).toBeUndefined();
  });

  it('fails fast on a bad value, naming the option', () => {
    const bad: [TelemetryOptions, NodeJS.ProcessEnv, string][] = [
      [{ viewerPort: -1 }, {}, 'viewerPort'],
      [{ viewerPort: 70_000 }, {}, 'viewerPort'],
      [{}, { AUTOTELEMETRY_VIEWER_PORT: 'eighty' }, 'viewerPort'],
      [{ viewerHost: ' ' }, {}, 'viewerHost'],
      [{ viewerMaxTraces: 0 }, {}, 'viewerMaxTraces'],
      [{}, { AUTOTELEMETRY_VIEWER_MAX_LOG_LINES: '1e9' }, 'viewerMaxLogLines'],
    ];
    for (const [options, env, option] of bad) {
      expect(() => resolveConfig({ ...PACKAGE, environment: 'development', ...options }, env)).toThrow(
        expect.objectContaining({ name: ConfigError.name, option }),
      );
    }
  });

  it('warns when asked to listen beyond loopback', () => {
    const config = resolveConfig({ ...PACKAGE, environment: 'development', viewerHost: '0.0.0.0' }, {});
    expect(config.warnings).toEqual([expect.stringContaining('The telemetry viewer listens on 0.0.0.0')]);
    expect(resolveConfig({ ...PACKAGE, environment: 'production', viewerHost: '0.0.0.0' }, {}).warnings).toEqual([]);
  });
});
