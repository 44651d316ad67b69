/**
 * The lean request path against what it replaces, in a real pipeline over real sockets:
 * - the request span (request-span.ts) behaves as an SDK span for user code and for span processors;
 * - the duration cells (metrics.ts / metrics-producer.ts) aggregate exactly as an SDK histogram does, in
 *   cumulative and delta temporality;
 * - the access line written from prepared fragments is the line the logger writes from a data object, and
 *   its OpenTelemetry log record has the same attributes.
 */
import { connect } from 'node:net';
import {
  type Attributes,
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  trace,
  ValueType,
} from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  type Histogram,
  type HistogramMetricData,
  InstrumentType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetryClient } from '../src/client.js';
import { resolveConfig } from '../src/config/resolve.js';
import { accessDataAttributes, accessDataJson, accessDataObject } from '../src/http/access-line.js';
import type { RequestLogger } from '../src/http/adapter-contract.js';
import { HttpLifecycle } from '../src/http/lifecycle.js';
import { DurationSeries, RouteEntry } from '../src/http/metrics.js';
import { httpCellSource } from '../src/http/metrics-producer.js';
import { getHttpLifecycle } from '../src/http/running-lifecycle.js';
import { HTTP_SERVER_DURATION_BUCKETS } from '../src/http/semconv.js';
import { DirectLogRecords } from '../src/logging/direct-records.js';
import { createLogger, flushLogger } from '../src/logging/logger.js';
import { LOG_LIMITS } from '../src/logging/safe-json.js';
import { MetricCellStore } from '../src/metrics/cell-store.js';
import { startTelemetry } from '../src/sdk.js';
import { getState } from '../src/state.js';
import { LogCapture } from '../src/testing.js';
import { listen, waitFor } from './fixtures/http-otel.js';

let client: TelemetryClient | undefined;
let closeServer: (() => Promise<void>) | undefined;

afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
  await client?.shutdown();
  client = undefined;
});

/** A real pipeline (test environment: spans in memory), its log lines captured, its log records too. */
function startPipeline() {
  const capture = new LogCapture();
  const records = new InMemoryLogRecordExporter();
  client = startTelemetry({
    serviceName: 'lean.test',
    environment: 'test',
    jsonLogs: true,
    logLevel: 'INFO',
    logDestination: capture,
    prometheusPort: false,
    logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: records })],
  });
  const pipeline = getState()?.pipeline;
  if (pipeline?.memorySpans === undefined) throw new Error('no memory span exporter');
  return { capture, records, memorySpans: pipeline.memorySpans, pipeline };
}

/**
 * A GET over a raw socket: the pipeline instruments outgoing `http` calls of this process, and a client span
 * (with its own traceparent) would stand between the test and the server.
 */
function send(
  port: number,
  path: string,
  options: { headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body });
    });
    const headers = Object.entries(options.headers ?? {})
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${headers}\r\n`, 'latin1');
  });
}

/** Serves `handler` behind `lifecycle` on 127.0.0.1. */
async function serve(
  lifecycle: HttpLifecycle,
  handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
): Promise<number> {
  const { port, close } = await listen((req, res) => {
    const record = lifecycle.begin(req, res);
    if (record === undefined) handler(req, res);
    else record.run(handler, undefined, req, res);
  });
  closeServer = close;
  return port;
}

describe('the request span', () => {
  it('is the pipeline lifecycle’s own span, and behaves as an SDK span for user code', async () => {
    const { memorySpans } = startPipeline();
    const lifecycle = getHttpLifecycle();
    if (lifecycle === undefined) throw new Error('no lifecycle');
    // The same calls on an SDK span, for comparison.
    const userCalls = (span: import('@opentelemetry/api').Span) => {
      span.setAttribute('app.valid', 'yes');
      span.setAttribute('', 'an empty key is dropped');
      span.setAttribute('app.function', (() => 1) as unknown as string);
      span.setAttribute('app.nested', { deep: [1, 2] } as unknown as string);
      span.setAttributes({ 'app.count': 3, 'app.tags': ['a', 'b'], 'app.mixed': [1, 'x'] as unknown as string[] });
      span.addEvent('cache.miss', { key: 'user:7', bad: { x: 1 } as unknown as string });
      span.recordException(new TypeError('soft failure'));
      span.recordException('a string');
      span.recordException('' as unknown as Error);
      span.addEvent('no time', {}, null as unknown as number);
      span.addEvent('epoch time', {}, Date.now());
      span.setStatus({ code: SpanStatusCode.OK });
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'ignored: OK is final' });
    };
    const userAttributes = (attributes: Attributes) =>
      Object.fromEntries(Object.entries(attributes).filter(([key]) => key.startsWith('app.') || key === ''));
    const port = await serve(lifecycle, (req, res) => {
      const span = trace.getActiveSpan();
      if (span === undefined) throw new Error('no active span');
      userCalls(span);
      const reference = trace.getTracer('reference').startSpan('reference', { root: true });
      userCalls(reference);
      reference.end();
      // A child span made with the API nests under the request span.
      trace.getTracer('app').startActiveSpan('db.query', (child) => child.end());
      res.end(req.url);
    });
    expect((await send(port, '/users/7')).status).toBe(200);
    await waitFor(() => memorySpans.getFinishedSpans().length === 3);
    const [reference, child, server] = memorySpans.getFinishedSpans();
    expect(reference?.constructor.name).toBe('SpanImpl');
    expect(server?.constructor.name).toBe('RequestSpan');
    expect(userAttributes(server?.attributes ?? {})).toEqual(userAttributes(reference?.attributes ?? {}));
    expect(server?.attributes).toMatchObject({ 'app.valid': 'yes', 'app.count': 3, 'app.tags': ['a', 'b'] });
    expect(server?.droppedAttributesCount).toBe(reference?.droppedAttributesCount);
    expect(server?.status).toEqual(reference?.status);
    expect(server?.status).toEqual({ code: SpanStatusCode.OK });
    // Same events, but for the stack traces (taken at two call sites).
    const events = (span: typeof server) =>
      span?.events.map((e) => {
        const { 'exception.stacktrace': _stack, ...attributes } = e.attributes ?? {};
        return { name: e.name, attributes };
      });
    expect(events(server)).toEqual(events(reference));
    // An event at an epoch time is placed at that time (not read as a monotonic reading).
    const epochEvent = server?.events.find((e) => e.name === 'epoch time');
    expect(Math.abs((epochEvent?.time[0] ?? 0) * 1000 - Date.now())).toBeLessThan(60_000);
    expect(server?.events[1]?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'soft failure',
    });
    expect(child?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(child?.spanContext().traceId).toBe(server?.spanContext().traceId);
    expect(server?.resource.attributes['service.name']).toBe('lean.test');
    expect(server?.instrumentationScope.name).toBe('@autotelemetry/core/http');
    // Times: an epoch start close to now, and a duration that is end − start.
    const startMs = (server?.startTime[0] ?? 0) * 1000 + (server?.startTime[1] ?? 0) / 1e6;
    expect(Math.abs(startMs - Date.now())).toBeLessThan(5000);
    const durationNs = (server?.duration[0] ?? 0) * 1e9 + (server?.duration[1] ?? 0);
    const endNs = (server?.endTime[0] ?? 0) * 1e9 + (server?.endTime[1] ?? 0);
    expect(Math.abs(endNs - (startMs * 1e6 + durationNs))).toBeLessThan(2000);
    expect(durationNs).toBeGreaterThan(0);
  });

  it('ignores changes after its end and ends once', async () => {
    const { memorySpans } = startPipeline();
    const lifecycle = getHttpLifecycle();
    if (lifecycle === undefined) throw new Error('no lifecycle');
    let span: ReturnType<typeof trace.getActiveSpan>;
    const port = await serve(lifecycle, (_req, res) => {
      span = trace.getActiveSpan();
      res.end('ok');
    });
    await send(port, '/late');
    await waitFor(() => memorySpans.getFinishedSpans().length === 1);
    span?.setAttribute('too.late', true);
    span?.updateName('renamed late');
    span?.end();
    const [server] = memorySpans.getFinishedSpans();
    expect(memorySpans.getFinishedSpans()).toHaveLength(1);
    expect(server?.name).toBe('GET');
    expect(server?.attributes).not.toHaveProperty('too.late');
    expect(span?.isRecording()).toBe(false);
  });

  it('keeps an incoming unsampled decision: no span is recorded, the context still propagates', async () => {
    const { memorySpans } = startPipeline();
    const lifecycle = getHttpLifecycle();
    if (lifecycle === undefined) throw new Error('no lifecycle');
    const injected: Record<string, string> = {};
    const port = await serve(lifecycle, (_req, res) => {
      propagation.inject(context.active(), injected);
      res.end(String(trace.getActiveSpan()?.isRecording()));
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await send(port, '/unsampled', {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-00` },
    });
    expect(response.body).toBe('false');
    expect(injected.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    await send(port, '/sampled');
    await waitFor(() => memorySpans.getFinishedSpans().length === 1);
    expect(memorySpans.getFinishedSpans()[0]?.attributes['url.path']).toBe('/sampled');
  });
});

class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('with another SDK registered first', () => {
  it('leaves the request spans and HTTP metrics to the global API (that SDK), like every other library', async () => {
    const otherExporter = new InMemorySpanExporter();
    const other = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: otherExporter })] });
    trace.setGlobalTracerProvider(other);
    const otherMeters = new MeterProvider({ readers: [new OnDemandReader()] });
    metrics.setGlobalMeterProvider(otherMeters);
    try {
      startPipeline();
      const pipeline = getState()?.pipeline;
      expect(pipeline?.requestSpans).toBeUndefined();
      expect(pipeline?.httpMetrics).toBeUndefined();
      const lifecycle = getHttpLifecycle();
      if (lifecycle === undefined) throw new Error('no lifecycle');
      const port = await serve(lifecycle, (_req, res) => res.end('ok'));
      await send(port, '/elsewhere');
      await waitFor(() => otherExporter.getFinishedSpans().length === 1);
      expect(otherExporter.getFinishedSpans()[0]?.attributes['url.path']).toBe('/elsewhere');
      expect(pipeline?.memorySpans?.getFinishedSpans()).toHaveLength(0);
    } finally {
      await client?.shutdown();
      client = undefined;
      trace.disable();
      metrics.disable();
      await other.shutdown();
      await otherMeters.shutdown();
    }
  });
});

describe('the duration cells', () => {
  // Values on, around and between the bucket boundaries, and past the last one.
  const values = [0, 0.001, 0.005, 0.0051, 0.01, 0.03, 0.1, 0.1000001, 0.6, 1, 2.5, 7.4, 10, 10.5, 42, 0.02];

  it('aggregate exactly as the SDK histogram with the same buckets', async () => {
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ readers: [reader] });
    const histogram = provider.getMeter('t').createHistogram('h', {
      advice: { explicitBucketBoundaries: [...HTTP_SERVER_DURATION_BUCKETS] },
    });
    const series = new DurationSeries({});
    for (const value of values) {
      histogram.record(value);
      series.record(value);
    }
    const { resourceMetrics } = await reader.collect();
    const sdk = resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints[0]?.value as Histogram;
    expect(series.counts).toEqual(sdk.buckets.counts);
    expect(series.count).toBe(sdk.count);
    expect(series.sum).toBeCloseTo(sdk.sum ?? Number.NaN, 12);
    expect(series.min).toBe(sdk.min);
    expect(series.max).toBe(sdk.max);
    await provider.shutdown();
  });

  it('are bounded per route: nonsense statuses share one series without a status, still counted', () => {
    const entry = new RouteEntry('GET', '/r', '/r');
    for (let status = 100; status < 400; status++) entry.durationSeries(status, 'http', '1.1', false).record(0.01);
    const all = [...entry.series()];
    expect(all.length).toBe(257);
    expect(all.reduce((sum, series) => sum + series.count, 0)).toBe(300);
    const shared = all.filter((series) => series.attributes['http.response.status_code'] === undefined);
    expect(shared).toHaveLength(1);
    expect(shared[0]?.count).toBe(300 - 256);
    expect(entry.durationSeries(100, 'http', '1.1', false).attributes['http.response.status_code']).toBe(100);
  });

  it('fold series past the SDK’s cardinality limit into one otel.metric.overflow series, as the SDK does', async () => {
    const series = Array.from({ length: 2100 }, (_, i) => {
      const cell = new DurationSeries({ 'http.route': `/r${i}` });
      cell.record(0.001 * (i + 1));
      return cell;
    });
    const store = new MetricCellStore(resourceFromAttributes({}));
    store.attach(
      { name: 'scope' },
      httpCellSource({ series: () => series, observeActive: (observe) => observe(1, { m: 'GET' }) }),
    );
    const { resourceMetrics } = await store.producer(() => AggregationTemporality.CUMULATIVE).collect();
    const [duration, active] = resourceMetrics.scopeMetrics[0]?.metrics ?? [];
    const points = (duration as HistogramMetricData).dataPoints;
    expect(points).toHaveLength(2000);
    const overflow = points.at(-1);
    expect(overflow?.attributes).toEqual({ 'otel.metric.overflow': true });
    expect(overflow?.value.count).toBe(2100 - 1999);
    expect(points.reduce((sum, p) => sum + p.value.count, 0)).toBe(2100);
    // As the SDK's observable up-down counter without a value type: doubles.
    expect(active?.descriptor.valueType).toBe(ValueType.DOUBLE);
  });

  it('are reported cumulatively or as deltas, per reader', async () => {
    const series = new DurationSeries({ 'http.route': '/x' });
    const store = new MetricCellStore((await import('@opentelemetry/resources')).resourceFromAttributes({}));
    store.attach(
      { name: 'scope' },
      httpCellSource({ series: () => [series], observeActive: (observe) => observe(2, { m: 'GET' }) }),
    );
    const cumulative = store.producer(() => AggregationTemporality.CUMULATIVE);
    const delta = store.producer((type) =>
      type === InstrumentType.HISTOGRAM ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
    );
    const histogramOf = async (producer: typeof delta) => {
      const { resourceMetrics } = await producer.collect();
      const metrics = resourceMetrics.scopeMetrics[0]?.metrics ?? [];
      return metrics.find((m) => m.descriptor.name === 'http.server.request.duration') as HistogramMetricData;
    };
    series.record(0.002);
    series.record(0.2);
    expect((await histogramOf(delta)).dataPoints[0]?.value.count).toBe(2);
    series.record(3);
    const second = await histogramOf(delta);
    expect(second.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    expect(second.dataPoints[0]?.value).toMatchObject({ count: 1, sum: 3 });
    expect(second.dataPoints[0]?.value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(1);
    // Nothing new: a delta reader gets no point at all.
    // Nothing new: no point, and (as the SDK does) no empty instrument either.
    expect(await histogramOf(delta)).toBeUndefined();
    const all = await histogramOf(cumulative);
    expect(all.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(all.dataPoints[0]?.value).toMatchObject({ count: 3, min: 0.002, max: 3 });
    expect(all.dataPoints[0]?.attributes).toEqual({ 'http.route': '/x' });
  });

  it('are what the pipeline’s readers report; with the application’s own reader, SDK instruments are used', async () => {
    const { pipeline } = startPipeline();
    expect(pipeline.httpMetrics?.has('@autotelemetry/core/http')).toBe(false);
    const lifecycle = getHttpLifecycle();
    if (lifecycle === undefined) throw new Error('no lifecycle');
    expect(pipeline.httpMetrics?.has('@autotelemetry/core/http')).toBe(true);
    const port = await serve(lifecycle, (_req, res) => res.end('ok'));
    for (let i = 0; i < 3; i++) await send(port, '/m');
    const snapshot = await pipeline.metricsReader?.snapshot();
    const scopes = snapshot?.scopeMetrics.filter((s) => s.scope.name === '@autotelemetry/core/http') ?? [];
    expect(scopes).toHaveLength(1);
    const duration = scopes[0]?.metrics.find((m) => m.descriptor.name === 'http.server.request.duration');
    expect((duration?.dataPoints[0]?.value as Histogram | undefined)?.count).toBe(3);
    expect(duration?.dataPoints[0]?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    await client?.shutdown();

    const own = new OnDemandReader();
    client = startTelemetry({
      serviceName: 'lean.test',
      environment: 'test',
      logDestination: new LogCapture(),
      prometheusPort: false,
      metricReaders: [own],
    });
    expect(getState()?.pipeline?.httpMetrics).toBeUndefined();
    const sdkLifecycle = getHttpLifecycle();
    if (sdkLifecycle === undefined) throw new Error('no lifecycle');
    const sdkPort = await serve(sdkLifecycle, (_req, res) => res.end('ok'));
    await send(sdkPort, '/m');
    const { resourceMetrics } = await own.collect();
    const seen = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'http.server.request.duration');
    expect((seen?.dataPoints[0]?.value as Histogram | undefined)?.count).toBe(1);
  });
});

describe('the access line from prepared fragments', () => {
  it('is the line and the log record the logger writes from a data object', async () => {
    const { capture, records } = startPipeline();
    const fast = getHttpLifecycle();
    const root = getState()?.logger as RequestLogger;
    // A logger derived from the pipeline's (not its own parts): written through its ordinary methods.
    const derived = Object.create(root.getLogger?.('http') as object) as RequestLogger & { getLogger(): unknown };
    derived.getLogger = () => derived;
    const ordinary = new HttpLifecycle({ logger: derived, requestSpans: getState()?.pipeline?.requestSpans });
    if (fast === undefined) throw new Error('no lifecycle');
    const hostile = ['/plain', '/q"uote/back\\slash/%22%0A/a{b}|c^`', '/semi;colon/{brace}/[bracket]'];
    for (const [index, lifecycle] of [fast, ordinary].entries()) {
      const port = await serve(lifecycle, (req, res) => {
        const record = (req as unknown as Record<symbol, { setRoute(r: string): void }>)[
          Symbol.for('autotelemetry.http.record.v1')
        ];
        if (req.url?.startsWith('/q')) record?.setRoute('/q:any');
        res.statusCode = req.url === '/plain' ? 200 : 404;
        res.end();
      });
      for (const path of hostile) await send(port, path);
      await closeServer?.();
      closeServer = undefined;
      expect(index === 0 ? 'fast' : 'ordinary').toBeTruthy();
    }
    const access = capture.json().filter((line) => line.logger === 'http');
    expect(access).toHaveLength(2 * hostile.length);
    const comparable = (line: Record<string, unknown>) => {
      const { timestamp, trace_id, span_id, message, data, ...rest } = line;
      const { duration_ms, ...dataRest } = data as Record<string, unknown>;
      expect(typeof timestamp).toBe('string');
      expect(trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(typeof duration_ms).toBe('number');
      // The message ends with the duration, which differs between two requests.
      return { ...rest, message: String(message).replace(/ [0-9.]+ ms$/, ' <d> ms'), data: dataRest };
    };
    const fastLines = access.slice(0, hostile.length).map(comparable);
    const ordinaryLines = access.slice(hostile.length).map(comparable);
    expect(fastLines).toEqual(ordinaryLines);
    expect(fastLines[1]).toMatchObject({
      level: 'WARN',
      data: { method: 'GET', route: '/q:any', path: hostile[1], status: 404 },
    });
    // Key order too: the raw lines differ only in their times and ids.
    const shape = (raw: string) =>
      raw.replace(/"timestamp":"[^"]+"/, '').replace(/[0-9a-f]{32}|[0-9a-f]{16}|[0-9]+\.?[0-9]* ms|:[0-9.]+}/g, '#');
    const rawAccess = capture.lines.filter((line) => line.includes('"logger":"http"'));
    expect(rawAccess.slice(0, hostile.length).map(shape)).toEqual(rawAccess.slice(hostile.length).map(shape));

    const recorded = records.getFinishedLogRecords().filter((r) => r.attributes['logger.name'] === 'http');
    expect(recorded).toHaveLength(2 * hostile.length);
    const recordView = (r: (typeof recorded)[number]) => {
      const { duration_ms, ...attributes } = r.attributes as Attributes;
      expect(typeof duration_ms).toBe('number');
      return {
        attributes,
        severity: [r.severityNumber, r.severityText],
        body: String(r.body).replace(/ [0-9.]+ ms$/, ''),
        traced: r.spanContext !== undefined,
      };
    };
    expect(recorded.slice(0, hostile.length).map(recordView)).toEqual(recorded.slice(hostile.length).map(recordView));
  });
});

describe('the access line data', () => {
  it('is the JSON the logger writes for the same data, for any path', () => {
    const capture = new LogCapture();
    const config = resolveConfig(
      { serviceName: 'lean.test', environment: 'test', jsonLogs: true, logDestination: capture },
      {},
    );
    const logger = createLogger(config);
    const paths = [
      '/plain',
      '/new\nline/tab\t/quote"/back\\slash',
      '/line\u2028separator/\u0000nul/\u001fus',
      '/lone\ud800surrogate/\udc00low',
      '/emoji/\u{1F600}/ünï',
      `/${'x'.repeat(LOG_LIMITS.maxStringLength + 10)}`,
      `/${'y'.repeat(LOG_LIMITS.maxStringLength - 2)}\u{1F600}tail`,
    ];
    for (const path of paths) {
      for (const facts of [
        { method: 'GET', route: '/r/:id', path, status: 200, durationMs: 1.5, aborted: false },
        { method: '_OTHER', route: undefined, path, status: 0, durationMs: 0, aborted: true },
      ]) {
        const holder = { route: facts.route, accessHead: undefined };
        logger.warn('x', accessDataObject(facts));
        flushLogger(logger);
        const written = capture.json().at(-1)?.data;
        expect(JSON.parse(accessDataJson(facts, holder))).toEqual(written);
        // Twice: the second line uses the cached head.
        expect(JSON.parse(accessDataJson(facts, holder))).toEqual(written);
        const attributes = accessDataAttributes(facts);
        expect(attributes).toEqual(written);
      }
    }
  });
});

describe('log records handed straight to the processors', () => {
  it('are what the SDK logger makes of the same line, writable during onEmit only', () => {
    const resource = resourceFromAttributes({ 'service.name': 'direct.test' });
    const sdkExporter = new InMemoryLogRecordExporter();
    const directExporter = new InMemoryLogRecordExporter();
    const touched: Array<{ setAttribute(key: string, value: unknown): unknown }> = [];
    const touching = (exporter: InMemoryLogRecordExporter) => [
      {
        onEmit(record: { setAttribute(key: string, value: unknown): unknown }) {
          record.setAttribute('added.by.processor', 1);
          record.setAttribute('bad', undefined);
          touched.push(record);
        },
        forceFlush: async () => {},
        shutdown: async () => {},
      },
      new SimpleLogRecordProcessor({ exporter }),
    ];
    const provider = new LoggerProvider({ resource, processors: touching(sdkExporter) });
    const direct = new DirectLogRecords(resource, touching(directExporter), { name: '@autotelemetry/core' });
    const span = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    const error = Object.assign(new Error('boom'), { code: 'E_BOOM' });
    const attributes = () => ({ 'logger.name': 'app', 'data.rows': 3, 'data.tags': ['a'] });
    provider.getLogger('@autotelemetry/core').emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'failed',
      attributes: attributes(),
      context: ctx,
      exception: error,
    });
    expect(direct.enabled(SeverityNumber.ERROR, ctx)).toBe(true);
    direct.emit(SeverityNumber.ERROR, 'ERROR', 'failed', attributes(), ctx, error);
    // Past the SDK's rules (an empty key, more than 128 attributes): the same record as the SDK's.
    const many = Object.fromEntries([['', 'empty key'], ...Array.from({ length: 140 }, (_, i) => [`k${i}`, i])]);
    provider.getLogger('@autotelemetry/core').emit({
      severityNumber: SeverityNumber.UNSPECIFIED,
      body: 'many',
      attributes: { ...many },
      context: ctx,
    });
    direct.emit(SeverityNumber.UNSPECIFIED, undefined as unknown as string, 'many', { ...many }, ctx);
    for (const record of touched) record.setAttribute('too.late', true);
    const view = (r: ReturnType<InMemoryLogRecordExporter['getFinishedLogRecords']>[number] | undefined) => ({
      attributes: r?.attributes,
      severity: [r?.severityNumber, r?.severityText],
      body: r?.body,
      spanContext: r?.spanContext,
      scope: r?.instrumentationScope.name,
      resource: r?.resource.attributes,
      dropped: r?.droppedAttributesCount,
    });
    const [sdkRecord] = sdkExporter.getFinishedLogRecords();
    const [directRecord] = directExporter.getFinishedLogRecords();
    expect(view(directRecord)).toEqual(view(sdkRecord));
    const [, sdkMany] = sdkExporter.getFinishedLogRecords();
    const [, directMany] = directExporter.getFinishedLogRecords();
    expect(view(directMany)).toEqual(view(sdkMany));
    expect(directMany?.droppedAttributesCount).toBeGreaterThan(0);
    expect(directRecord?.attributes).toMatchObject({
      'exception.type': 'E_BOOM',
      'exception.message': 'boom',
      'added.by.processor': 1,
    });
    expect(directRecord?.attributes).not.toHaveProperty('too.late');
    direct.close();
    expect(direct.enabled(SeverityNumber.ERROR, ctx)).toBe(false);
  });
});
