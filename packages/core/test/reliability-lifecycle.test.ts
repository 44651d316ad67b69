/**
 * Lifecycle hygiene, in one process as test suites and hot reload use it: the full production pipeline —
 * OTLP to a real receiver (gRPC and http/protobuf, healthy or with its port closed), `/metrics`, runtime
 * metrics, the HTTP lifecycle serving real requests, traced(), measure(), the logger — is started and shut
 * down 20 times. Afterwards no signal, `beforeExit`, `exit` or `uncaughtExceptionMonitor` listener, no timer,
 * socket or server is left; no instrument was ever registered twice ("already registered", duplicate
 * `# TYPE` lines); each cycle's telemetry reached its collector.
 *
 * And the failures that come from the application's side never throw into it: a failing exporter, hooks
 * that throw (a span or log record processor, a `measure` rows function, a log serializer, a log
 * destination) and attributes that throw when read.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  freePort,
  type HttpAnswer,
  httpCall,
  type OtlpReceiver,
  startOtlpReceiver,
  type Transport,
} from '@autotelemetry/test-utils';
import { context, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getHttpLifecycle } from '../src/http/running-lifecycle.js';
import { measure } from '../src/instrument/measure.js';
import { traced } from '../src/instrument/traced.js';
import { getTelemetry, startTelemetry } from '../src/sdk.js';
import { getState } from '../src/state.js';
import { LogCapture } from '../src/testing.js';

/** OTLP timeout of the cycles (retries included). */
const OTLP_TIMEOUT_MS = 1500;

const WATCHED_EVENTS = ['SIGTERM', 'SIGINT', 'beforeExit', 'exit', 'uncaughtExceptionMonitor', 'uncaughtException'];

function footprint(): { listeners: Record<string, number>; resources: Record<string, number> } {
  const resources: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) resources[name] = (resources[name] ?? 0) + 1;
  const listeners: Record<string, number> = {};
  for (const event of WATCHED_EVENTS) listeners[event] = process.listenerCount(event);
  return { listeners, resources };
}

function get(port: number, path: string): Promise<HttpAnswer> {
  return context.with(suppressTracing(context.active()), () => httpCall(port, path));
}

/** A framework-free app: each request goes through the running pipeline's HTTP lifecycle. */
async function startApp(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const record = getHttpLifecycle()?.begin(req, res);
    const answer = (): void => {
      record?.setRoute('/items/:id');
      res.end('ok');
    };
    if (record) record.run(answer);
    else answer();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

const receivers: Partial<Record<Transport, OtlpReceiver>> = {};

beforeAll(async () => {
  receivers.grpc = await startOtlpReceiver({ protocol: 'grpc' });
  receivers['http/protobuf'] = await startOtlpReceiver({ protocol: 'http/protobuf' });
});

afterAll(async () => {
  await receivers.grpc?.close();
  await receivers['http/protobuf']?.close();
});

afterEach(async () => {
  await getTelemetry()?.shutdown();
});

describe('start and shutdown, 20 times in one process', () => {
  it('leaves no listener, timer, socket or server behind, and never registers an instrument twice', async () => {
    const { server, port } = await startApp();
    const before = footprint();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    // Exports already in flight to a collector that is down cannot be cancelled through the SDK: their retry
    // and timeout timers end within the OTLP timeout after shutdown. A short one keeps this test short.
    const previousTimeout = process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = String(OTLP_TIMEOUT_MS);
    const closedPort = await freePort();
    const lines: Record<string, unknown>[] = [];
    const shutdownMs: number[] = [];
    for (let cycle = 0; cycle < 20; cycle++) {
      const protocol: Transport = cycle % 2 === 0 ? 'grpc' : 'http/protobuf';
      // Every fourth cycle the collector is down (its port closed).
      const down = cycle % 4 === 3;
      const receiver = receivers[protocol] as OtlpReceiver;
      const capture = new LogCapture();
      const metricsPort = await freePort();
      const client = startTelemetry({
        serviceName: 'lifecycle.test',
        environment: 'production',
        otlpEndpoint: down ? `http://127.0.0.1:${closedPort}` : receiver.endpoint,
        otlpProtocol: protocol,
        prometheusPort: metricsPort,
        prometheusHost: '127.0.0.1',
        runtimeMetrics: true,
        logDestination: capture,
      });
      const marker = `cycle-${cycle}`;
      expect((await get(port, `/items/${marker}`)).status).toBe(200);
      traced(() => client.getLogger('cycle').info(`${marker} traced`), { name: 'cycle.traced' })();
      await measure('cycle.measure', async () => [1, 2, 3], { rows: (rows) => rows.length });
      await getState()?.pipeline?.prometheus?.ready;
      const scraped = await get(metricsPort, '/metrics');
      // Each metric family once: no instrument registered twice across the cycles.
      const types = scraped.body.split('\n').filter((line) => line.startsWith('# TYPE '));
      expect(types.length).toBeGreaterThan(5);
      expect(new Set(types).size).toBe(types.length);
      expect(scraped.body).toContain('http_server_request_duration');

      const started = performance.now();
      await client.shutdown();
      shutdownMs.push(Math.round(performance.now() - started));
      expect(getTelemetry()).toBeUndefined();
      lines.push(...capture.json());
      if (!down) {
        // This cycle's telemetry reached its collector: spans (the request's, traced's, measure's) and logs.
        const spans = receiver.spans.filter((s) => s.attributes['url.path'] === `/items/${marker}`);
        expect(spans, marker).toHaveLength(1);
        expect(receiver.logs.some((r) => r.body === `${marker} traced`)).toBe(true);
      }
    }
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
    process.off('warning', onWarning);
    if (previousTimeout === undefined) delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
    else process.env.OTEL_EXPORTER_OTLP_TIMEOUT = previousTimeout;
    // Closed handles leave the list on a later turn of the loop; the last down cycle's export attempts end
    // within the OTLP timeout.
    await new Promise((resolve) => setTimeout(resolve, OTLP_TIMEOUT_MS + 500));
    const after = footprint();

    expect(after.listeners).toEqual(before.listeners);
    for (const [name, count] of Object.entries(after.resources)) {
      // The test's own app server was open in `before` and is closed now: nothing may be above the baseline.
      expect(count, name).toBeLessThanOrEqual(before.resources[name] ?? 0);
    }
    const problems = lines.filter((line) =>
      /already registered|duplicate|registered twice/i.test(JSON.stringify(line.message)),
    );
    expect(problems).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([]);
    // The only pipeline warnings are the outages of the down cycles: one each.
    const pipelineWarnings = lines.filter((line) => line.logger === 'autotelemetry' && line.level === 'WARN');
    expect(pipelineWarnings.length).toBeLessThanOrEqual(5);
    for (const warning of pipelineWarnings) expect(String(warning.message)).toMatch(/^Telemetry export to/);
    // Shutting down is bounded, even with the collector down.
    expect(Math.max(...shutdownMs)).toBeLessThan(6000);
    console.log(`shutdown times (ms): ${shutdownMs.join(', ')}`);
  }, 120_000);
});

describe('failures on the application side never throw into it', () => {
  it('a failing exporter, throwing hooks and throwing attributes', async () => {
    const boom = (): never => {
      throw new Error('user hook exploded');
    };
    const capture = new LogCapture();
    const client = startTelemetry({
      serviceName: 'hooks.test',
      environment: 'production',
      // A collector that answers 500 to everything.
      otlpEndpoint: receivers['http/protobuf']?.endpoint,
      otlpProtocol: 'http/protobuf',
      prometheusPort: false,
      runtimeMetrics: false,
      logDestination: capture,
      spanProcessors: [
        {
          onStart: boom,
          onEnd: boom,
          forceFlush: () => Promise.reject(new Error('flush exploded')),
          shutdown: () => Promise.reject(new Error('shutdown exploded')),
        },
      ],
      logRecordProcessors: [{ onEmit: boom, forceFlush: async () => boom(), shutdown: async () => boom() }],
    });
    receivers['http/protobuf']?.setFault({ kind: 'status', httpStatus: 500, grpcCode: 13 });
    try {
      const hostile: Record<string, unknown> = {};
      Object.defineProperty(hostile, 'boom', { enumerable: true, get: boom });
      const proxy = new Proxy({}, { ownKeys: boom });
      const tracer = client.getTracer('hooks');
      const log = client.getLogger('hooks');

      // A user span processor that throws: spans still start, end and reach the exporter.
      const span = tracer.startSpan('hooks.span');
      span.end();
      // Attributes that throw when read, through the library's helpers.
      expect(traced(() => 1, { name: 'hooks.traced', attributes: hostile as never })()).toBe(1);
      expect(traced(() => 2, { name: 'hooks.proxy', attributes: proxy as never })()).toBe(2);
      expect(await measure('hooks.measure', async () => 3, { attributes: hostile as never })).toBe(3);
      // A rows hook that throws.
      expect(measure('hooks.rows', () => [1], { rows: boom })).toEqual([1]);
      // Log data and a serializer that throw; a user log record processor that throws.
      log.info('hostile data', hostile);
      log.info('proxy data', proxy);
      log.child({}, { serializers: { user: boom } }).info('serializer', { user: { id: 1 } });
      // The exporter fails (500): flushing and shutting down still resolve.
      await client.forceFlush();
      await client.shutdown();

      const json = capture.json();
      expect(json.find((l) => l.message === 'hostile data')?.data).toEqual({
        boom: '[Throws: user hook exploded]',
      });
      expect(json.find((l) => l.message === 'proxy data')?.data).toBe('[Unserializable: user hook exploded]');
      expect(json.find((l) => l.message === 'serializer')?.data).toEqual({ user: '[Throws: user hook exploded]' });
      // Each failing hook is reported once, by name, not once per call.
      const reports = json.filter((l) => l.logger === 'autotelemetry' && String(l.message).includes('threw in'));
      expect(reports.map((l) => String(l.message).match(/threw in (\w+)/)?.[1]).sort()).toEqual([
        'forceFlush',
        'forceFlush',
        'onEmit',
        'onEnd',
        'onStart',
        'shutdown',
        'shutdown',
      ]);
      expect(json.filter((l) => String(l.message).startsWith('Telemetry export to'))).toHaveLength(1);
    } finally {
      receivers['http/protobuf']?.setFault({ kind: 'none' });
    }
    // The throwing span processor did not keep the span from the other processors: the tracer still works.
    expect(trace.getTracer('after').startSpan('after').isRecording()).toBe(false);
  });
});
