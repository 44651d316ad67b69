import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpRequestRecord } from '../src/http/adapter-contract.js';
import { HttpLifecycle, type HttpLifecycleOptions } from '../src/http/lifecycle.js';
import { HTTP_SERVER_DURATION_BUCKETS } from '../src/http/semconv.js';
import {
  CapturedLogger,
  type HttpTestSdk,
  listen,
  pointsOf,
  registerTestSdk,
  send,
  waitFor,
} from './fixtures/http-otel.js';

type Handler = (
  record: HttpRequestRecord | undefined,
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
) => void | Promise<void>;

let sdk: HttpTestSdk;
let closeServer: (() => Promise<void>) | undefined;
/**
 * Every test runs twice: through the SDK's tracer and meter (a lifecycle built without a pipeline), and
 * through the lean path the running pipeline gives it (request spans straight into the span processors,
 * metrics from the lifecycle's own cells).
 */
let lean = false;
const pathOptions = (): HttpLifecycleOptions => (lean ? sdk.lean : {});

beforeEach(() => {
  sdk = registerTestSdk();
});

afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
  await sdk.shutdown();
});

/** A raw Node server whose handler begins the lifecycle and runs `handler` in the request's context. */
async function serve(handler: Handler, options: HttpLifecycleOptions = {}) {
  const logger = new CapturedLogger();
  const lifecycle = new HttpLifecycle({ logger: logger.logger, ...pathOptions(), ...options });
  const { port, close } = await listen((req, res) => {
    const record = lifecycle.begin(req, res);
    const run = () => {
      Promise.resolve(handler(record, req, res)).catch((error: unknown) => {
        record?.fail(error);
        res.statusCode = 500;
        res.end('failed');
      });
    };
    if (record === undefined) run();
    else record.run(run);
  });
  closeServer = close;
  return { port, logger, lifecycle };
}

const serverSpans = () => sdk.spans().filter((s) => s.kind === SpanKind.SERVER);

describe.each([
  ['through the SDK tracer and meter', false],
  ['through the lean path (request spans and metric cells of the pipeline)', true],
])('%s', (_title, leanPath) => {
  beforeEach(() => {
    lean = leanPath;
  });

  describe('the request span', () => {
    it('is one SERVER span named by the route template, with the stable HTTP attributes', async () => {
      const { port } = await serve((record, _req, res) => {
        record?.setRoute('/users/:id');
        res.end('ok');
      });
      const response = await send(port, '/users/42?q=shoes&access_token=abc123&page=2', {
        headers: { 'user-agent': 'lifecycle-test/1.0', authorization: 'Bearer secret-token', cookie: 'sid=secret' },
      });
      expect(response.status).toBe(200);
      await waitFor(() => serverSpans().length === 1);
      const [span] = serverSpans();
      expect(span?.name).toBe('GET /users/:id');
      expect(span?.status.code).toBe(SpanStatusCode.UNSET);
      expect(span?.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.path': '/users/42',
        'url.query': 'q=shoes&access_token=REDACTED&page=2',
        'url.scheme': 'http',
        'http.route': '/users/:id',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'server.port': port,
        'client.address': '127.0.0.1',
        'user_agent.original': 'lifecycle-test/1.0',
        'network.protocol.version': '1.1',
      });
      const recorded = JSON.stringify(span?.attributes);
      expect(recorded).not.toContain('secret');
      expect(recorded).not.toContain('abc123');
      expect(span?.attributes['error.type']).toBeUndefined();
    });

    it('is named by the method alone, without http.route, when no route matched', async () => {
      const { port } = await serve((_record, _req, res) => {
        res.statusCode = 404;
        res.end('not found');
      });
      expect((await send(port, '/nowhere')).status).toBe(404);
      await waitFor(() => serverSpans().length === 1);
      const [span] = serverSpans();
      expect(span?.name).toBe('GET');
      expect(span?.attributes['http.route']).toBeUndefined();
      expect(span?.attributes['http.response.status_code']).toBe(404);
      // 4xx is the client's problem: not an error on the server side.
      expect(span?.status.code).toBe(SpanStatusCode.UNSET);
      expect(span?.attributes['error.type']).toBeUndefined();
    });

    it('marks 5xx as ERROR with error.type set to the status code', async () => {
      const { port } = await serve((record, _req, res) => {
        record?.setRoute('/unavailable');
        res.statusCode = 503;
        res.end();
      });
      await send(port, '/unavailable');
      await waitFor(() => serverSpans().length === 1);
      const [span] = serverSpans();
      expect(span?.status.code).toBe(SpanStatusCode.ERROR);
      expect(span?.attributes['error.type']).toBe('503');
      expect(span?.events).toHaveLength(0);
    });

    it('records a failure as an exception event; ERROR and an error line only when the response is 5xx', async () => {
      const { port, logger } = await serve(async (record, req, res) => {
        record?.setRoute('/fail/:status');
        const status = Number(req.url?.split('/')[2]);
        const error = new TypeError(`boom ${status}`);
        record?.fail(error);
        record?.fail(error); // the same error twice is one event
        res.statusCode = status;
        res.end();
      });
      await send(port, '/fail/500');
      await send(port, '/fail/422');
      await waitFor(() => serverSpans().length === 2);
      const byStatus = (s: number) => serverSpans().find((x) => x.attributes['http.response.status_code'] === s);
      const failed500 = byStatus(500);
      const failed422 = byStatus(422);
      expect(failed500?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom 500' });
      expect(failed500?.attributes['error.type']).toBe('500');
      expect(failed500?.events.map((e) => e.name)).toEqual(['exception']);
      expect(failed500?.events[0]?.attributes).toMatchObject({
        'exception.type': 'TypeError',
        'exception.message': 'boom 500',
      });
      expect(failed422?.status.code).toBe(SpanStatusCode.UNSET);
      expect(failed422?.events.map((e) => e.name)).toEqual(['exception']);

      const errorLines = logger.lines.filter((l) => l.level === 'error');
      expect(errorLines).toHaveLength(2);
      expect(errorLines[0]?.message).toBe('GET /fail/:status failed: boom 500');
      expect(errorLines[1]?.message).toMatch(/^GET \/fail\/500 500 [\d.]+ ms$/);
      expect(errorLines[0]?.error).toMatchObject({ type: 'TypeError', message: 'boom 500' });
      expect(errorLines[0]?.spanId).toBe(failed500?.spanContext().spanId);
    });

    it('records non-Error throwables without failing', async () => {
      const { port } = await serve(async () => {
        throw { name: 'PlainObjectError', message: 'not an Error instance' };
      });
      expect((await send(port, '/x')).status).toBe(500);
      await waitFor(() => serverSpans().length === 1);
      const [span] = serverSpans();
      expect(span?.events[0]?.attributes).toMatchObject({
        'exception.type': 'PlainObjectError',
        'exception.message': 'not an Error instance',
      });
      expect(span?.status.message).toBe('not an Error instance');
    });

    it('normalises unknown methods to _OTHER and keeps the original', async () => {
      const { port } = await serve((_record, _req, res) => {
        res.end();
      });
      await send(port, '/cache', { method: 'PURGE' });
      await send(port, '/cache', { method: 'DELETE' });
      await waitFor(() => serverSpans().length === 2);
      const purge = serverSpans().find((s) => s.attributes['http.request.method_original'] === 'PURGE');
      expect(purge?.name).toBe('_OTHER');
      expect(purge?.attributes['http.request.method']).toBe('_OTHER');
      const del = serverSpans().find((s) => s.attributes['http.request.method'] === 'DELETE');
      expect(del?.attributes['http.request.method_original']).toBeUndefined();
    });

    it('ends exactly once per request', async () => {
      const { port } = await serve((record, _req, res) => {
        record?.setRoute('/once');
        res.end('ok');
      });
      for (let i = 0; i < 5; i++) await send(port, '/once');
      await waitFor(() => serverSpans().length >= 5);
      await sleep(50);
      expect(serverSpans()).toHaveLength(5);
      expect(new Set(serverSpans().map((s) => s.spanContext().spanId)).size).toBe(5);
    });

    it('ends an aborted request once, as an error, and releases its active-request count', async () => {
      let began = 0;
      const { port } = await serve(async (record) => {
        began++;
        record?.setRoute('/slow');
        // Never answers: the client goes away first.
      });
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.on('connect', resolve));
      socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await waitFor(() => began === 1);
      socket.destroy();
      await waitFor(() => serverSpans().length === 1);
      await sleep(50);
      expect(serverSpans()).toHaveLength(1);
      const [span] = serverSpans();
      expect(span?.name).toBe('GET /slow');
      expect(span?.status.code).toBe(SpanStatusCode.ERROR);
      expect(span?.attributes['error.type']).toBe('aborted');
      expect(span?.attributes['http.response.status_code']).toBeUndefined();
      const active = pointsOf(await sdk.collectMetrics(), 'http.server.active_requests');
      expect(active.reduce((sum, p) => sum + (p.value as number), 0)).toBe(0);
    });
  });

  describe('robustness', () => {
    it('still ends the span and records the metric when the logger and the detector throw', async () => {
      const broken = new CapturedLogger().logger;
      const throwing = () => {
        throw new Error('broken sink');
      };
      const logger: Record<string, unknown> = Object.create(broken) as Record<string, unknown>;
      Object.assign(logger, { info: throwing, warn: throwing, error: throwing, getLogger: () => logger });
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const { port } = await serve(
          (record, _req, res) => {
            record?.setRoute('/fragile');
            res.end('still fine');
          },
          {
            logger: logger as unknown as HttpLifecycleOptions['logger'],
            anomalyDetector: { observe: throwing },
          },
        );
        expect((await send(port, '/fragile')).body).toBe('still fine');
        expect((await send(port, '/fragile')).body).toBe('still fine');
        await waitFor(() => serverSpans().length === 2);
        expect(serverSpans().map((s) => s.name)).toEqual(['GET /fragile', 'GET /fragile']);
        const points = pointsOf(await sdk.collectMetrics(), 'http.server.request.duration');
        expect((points[0]?.value as Histogram | undefined)?.count).toBe(2);
        await sleep(10);
        // One warning for the whole process, not one per request (so only the first of the two runs of this
        // suite, the SDK one, sees it).
        expect(warnings.filter((w) => w.message.includes('AutoTelemetry HTTP lifecycle'))).toHaveLength(
          leanPath ? 0 : 1,
        );
      } finally {
        process.off('warning', onWarning);
      }
    });
  });

  describe('W3C trace context', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';

    it('continues an incoming traceparent and keeps tracestate', async () => {
      const { port } = await serve((_record, _req, res) => {
        res.end();
      });
      await send(port, '/continued', {
        headers: { traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'vendor=abc,other=xyz' },
      });
      await waitFor(() => serverSpans().length === 1);
      const [span] = serverSpans();
      expect(span?.spanContext().traceId).toBe(traceId);
      expect(span?.parentSpanContext?.spanId).toBe(parentId);
      expect(span?.parentSpanContext?.isRemote).toBe(true);
      expect(span?.spanContext().traceState?.serialize()).toBe('vendor=abc,other=xyz');
    });

    it('continues a future traceparent version, ignoring its extra fields (Trace Context forward compatibility)', async () => {
      const { port } = await serve((_record, _req, res) => {
        res.end();
      });
      await send(port, '/future', { headers: { traceparent: `cc-${traceId}-${parentId}-01-what-the-future-adds` } });
      await waitFor(() => serverSpans().length === 1);
      expect(serverSpans()[0]?.spanContext().traceId).toBe(traceId);
      expect(serverSpans()[0]?.parentSpanContext?.spanId).toBe(parentId);
    });

    it.each([
      ['garbage', 'not-a-traceparent'],
      ['an all-zero trace id', `00-${'0'.repeat(32)}-${parentId}-01`],
      ['an all-zero parent id', `00-${traceId}-${'0'.repeat(16)}-01`],
      ['the forbidden version ff', `ff-${traceId}-${parentId}-01`],
      ['upper-case hex', `00-${traceId.toUpperCase()}-${parentId}-01`],
      ['a short trace id', `00-${traceId.slice(2)}-${parentId}-01`],
      ['version 00 with an extra field', `00-${traceId}-${parentId}-01-extra`],
    ])('starts a new trace, without error, for %s', async (_what, traceparent) => {
      const { port } = await serve((_record, _req, res) => {
        res.end('ok');
      });
      const response = await send(port, '/new', { headers: { traceparent, tracestate: 'vendor=abc' } });
      expect(response.status).toBe(200);
      await waitFor(() => serverSpans().length === 1);
      const [span] = serverSpans();
      expect(span?.spanContext().traceId).not.toBe(traceId);
      expect(span?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span?.parentSpanContext).toBeUndefined();
    });

    it('calls the propagator only for a request that carries one of its fields, when the lifecycle knows them', async () => {
      const w3c = new W3CTraceContextPropagator();
      const extracted: string[] = [];
      propagation.disable();
      propagation.setGlobalPropagator({
        inject: (ctx, carrier, setter) => w3c.inject(ctx, carrier, setter),
        extract(ctx, carrier, getter) {
          extracted.push(String((carrier as { 'x-probe'?: string })['x-probe']));
          return w3c.extract(ctx, carrier, getter);
        },
        fields: () => [...w3c.fields(), 'x-vendor-context'],
      });
      const { port } = await serve(
        (_record, _req, res) => {
          res.end();
        },
        { propagationFields: propagation.fields() },
      );
      await send(port, '/none', { headers: { 'x-probe': 'none' } });
      await send(port, '/parent', { headers: { 'x-probe': 'parent', traceparent: `00-${traceId}-${parentId}-01` } });
      await send(port, '/vendor', { headers: { 'x-probe': 'vendor', 'x-vendor-context': 'v' } });
      await waitFor(() => serverSpans().length === 3);
      expect(extracted).toEqual(['parent', 'vendor']);
      const byPath = (path: string) => serverSpans().find((s) => s.attributes['url.path'] === path);
      expect(byPath('/none')?.parentSpanContext).toBeUndefined();
      expect(byPath('/parent')?.spanContext().traceId).toBe(traceId);
      expect(byPath('/parent')?.parentSpanContext?.spanId).toBe(parentId);
      expect(byPath('/vendor')?.parentSpanContext).toBeUndefined();
    });

    it('keeps the request span active in the handler, after await and in timers; injects it into outgoing headers', async () => {
      const seen: Record<string, string | undefined> = {};
      let injected: Record<string, string> = {};
      const { port } = await serve(async (record, _req, res) => {
        record?.setRoute('/ctx');
        seen.sync = trace.getActiveSpan()?.spanContext().spanId;
        await sleep(5);
        seen.afterAwait = trace.getActiveSpan()?.spanContext().spanId;
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            seen.timer = trace.getActiveSpan()?.spanContext().spanId;
            resolve();
          }, 1),
        );
        const headers: Record<string, string> = {};
        propagation.inject(context.active(), headers);
        injected = headers;
        seen.record = record?.span.spanContext().spanId;
        res.end();
      });
      await send(port, '/ctx', { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
      await waitFor(() => serverSpans().length === 1);
      const spanId = serverSpans()[0]?.spanContext().spanId;
      expect(seen).toEqual({ sync: spanId, afterAwait: spanId, timer: spanId, record: spanId });
      expect(injected.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    });

    it('never adopts another request span of its own as the current one', async () => {
      const lifecycle = new HttpLifecycle(pathOptions());
      let inner: Awaited<ReturnType<typeof listen>> | undefined;
      const outer = await listen((req, res) => {
        const record = lifecycle.begin(req, res);
        record?.run(async () => {
          // A server started inside a request: its connections inherit that request's context.
          inner = await listen((innerReq, innerRes) => {
            const innerRecord = lifecycle.begin(innerReq, innerRes);
            innerRecord?.run(() => innerRes.end('inner'));
          });
          await send(inner.port, '/inner');
          res.end('outer');
        });
      });
      try {
        await send(outer.port, '/outer');
        await waitFor(() => serverSpans().length === 2);
        expect(new Set(serverSpans().map((s) => s.spanContext().spanId)).size).toBe(2);
        expect(
          serverSpans()
            .map((s) => s.attributes['url.path'])
            .sort(),
        ).toEqual(['/inner', '/outer']);
      } finally {
        await inner?.close();
        await outer.close();
      }
    });
  });

  describe('metrics', () => {
    it('records http.server.request.duration in seconds with the semconv buckets and bounded labels', async () => {
      const { port } = await serve((record, req, res) => {
        if (req.url?.startsWith('/items/')) {
          record?.setRoute('/items/:id');
          res.end('item');
        } else {
          res.statusCode = 404;
          res.end();
        }
      });
      for (const path of ['/items/1', '/items/2', '/items/3', '/missing/a', '/missing/b', '/missing/c?x=1']) {
        await send(port, path);
      }
      await waitFor(() => serverSpans().length === 6);
      const all = await sdk.collectMetrics();
      const duration = all.find((m) => m.descriptor.name === 'http.server.request.duration');
      expect(duration?.descriptor.unit).toBe('s');
      const points = pointsOf(all, 'http.server.request.duration');
      // Three item URLs share one series; three unknown paths collapse into one series without http.route.
      expect(points).toHaveLength(2);
      const items = points.find((p) => p.attributes['http.route'] === '/items/:id');
      expect(items?.attributes).toEqual({
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'network.protocol.version': '1.1',
        'http.route': '/items/:id',
        'http.response.status_code': 200,
      });
      const itemsHistogram = items?.value as Histogram;
      expect(itemsHistogram.count).toBe(3);
      expect(itemsHistogram.buckets.boundaries).toEqual([...HTTP_SERVER_DURATION_BUCKETS]);
      expect(itemsHistogram.sum).toBeGreaterThan(0);
      expect(itemsHistogram.sum).toBeLessThan(5);
      const missing = points.find((p) => p.attributes['http.route'] === undefined);
      expect((missing?.value as Histogram | undefined)?.count).toBe(3);
      expect(missing?.attributes['http.response.status_code']).toBe(404);
    });

    it('bounds the route series: routes past the limit share one _OTHER series, spans keep their route', async () => {
      const { port } = await serve(
        (record, req, res) => {
          record?.setRoute(`/r${req.url?.slice(1)}/:id`);
          res.end();
        },
        { maxRoutes: 2 },
      );
      for (const n of [1, 2, 3, 4, 1]) await send(port, `/${n}`);
      await waitFor(() => serverSpans().length === 5);
      expect(serverSpans().map((s) => s.name)).toEqual([
        'GET /r1/:id',
        'GET /r2/:id',
        'GET /r3/:id',
        'GET /r4/:id',
        'GET /r1/:id',
      ]);
      const points = pointsOf(await sdk.collectMetrics(), 'http.server.request.duration');
      const counts = Object.fromEntries(points.map((p) => [p.attributes['http.route'], (p.value as Histogram).count]));
      expect(counts).toEqual({ '/r1/:id': 2, '/r2/:id': 1, _OTHER: 2 });
    });

    it('counts active requests up while in flight and back to zero', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { port } = await serve(async (_record, _req, res) => {
        await gate;
        res.end();
      });
      const pending = [send(port, '/a'), send(port, '/b')];
      await sleep(50);
      const during = pointsOf(await sdk.collectMetrics(), 'http.server.active_requests');
      expect(during.reduce((sum, p) => sum + (p.value as number), 0)).toBe(2);
      expect(during[0]?.attributes).toEqual({ 'http.request.method': 'GET', 'url.scheme': 'http' });
      release();
      await Promise.all(pending);
      await waitFor(() => serverSpans().length === 2);
      const after = pointsOf(await sdk.collectMetrics(), 'http.server.active_requests');
      expect(after.reduce((sum, p) => sum + (p.value as number), 0)).toBe(0);
    });
  });

  describe('exclusions', () => {
    it('records nothing for the default excluded paths', async () => {
      const { port, logger } = await serve((record, _req, res) => {
        res.end(record === undefined ? 'untracked' : 'tracked');
      });
      for (const path of ['/health', '/healthz', '/ready', '/readyz', '/livez', '/metrics', '/favicon.ico']) {
        expect((await send(port, `${path}?probe=1`)).body).toBe('untracked');
      }
      expect((await send(port, '/healthcheck')).body).toBe('tracked');
      await waitFor(() => serverSpans().length === 1);
      await sleep(20);
      expect(serverSpans().map((s) => s.attributes['url.path'])).toEqual(['/healthcheck']);
      expect(pointsOf(await sdk.collectMetrics(), 'http.server.request.duration')).toHaveLength(1);
      expect(logger.lines).toHaveLength(1);
    });

    it('uses the configured list instead', async () => {
      const { port } = await serve(
        (record, _req, res) => {
          res.end(record === undefined ? 'untracked' : 'tracked');
        },
        { excludePaths: ['/internal/ping'] },
      );
      expect((await send(port, '/internal/ping')).body).toBe('untracked');
      expect((await send(port, '/health')).body).toBe('tracked');
    });
  });

  describe('the access log', () => {
    it('writes one line per request with method, route, status and duration, carrying the request ids', async () => {
      const { port, logger } = await serve((record, req, res) => {
        if (req.url === '/boom') {
          record?.setRoute('/boom');
          res.statusCode = 500;
        } else if (req.url === '/bad') {
          res.statusCode = 400;
        } else {
          record?.setRoute('/ok');
        }
        res.end();
      });
      await send(port, '/ok');
      await send(port, '/bad');
      await send(port, '/boom');
      await waitFor(() => serverSpans().length === 3 && logger.lines.length === 3);
      const [ok, bad, boom] = logger.lines;
      expect(ok?.logger).toBe('http');
      expect(ok?.level).toBe('info');
      expect(ok?.data).toMatchObject({ method: 'GET', route: '/ok', path: '/ok', status: 200 });
      expect(typeof (ok?.data as { duration_ms?: number } | undefined)?.duration_ms).toBe('number');
      expect(bad?.level).toBe('warn');
      expect((bad?.data as { route?: string } | undefined)?.route).toBeUndefined();
      expect(boom?.level).toBe('error');
      for (const [i, line] of logger.lines.entries()) {
        const span = serverSpans()[i];
        expect(line.traceId).toBe(span?.spanContext().traceId);
        expect(line.spanId).toBe(span?.spanContext().spanId);
      }
    });

    it('tells of the moment a request ended, though its telemetry is finished later in that turn', async () => {
      const { port, logger } = await serve((record, _req, res) => {
        record?.setRoute('/after');
        // The app's own listener, after the lifecycle's: it keeps the turn busy for 40 ms.
        res.on('finish', () => {
          const until = Date.now() + 40;
          while (Date.now() < until) {
            // work after the response
          }
        });
        res.end('ok');
      });
      await send(port, '/after');
      await waitFor(() => serverSpans().length === 1 && logger.lines.length === 1);
      const [span] = serverSpans();
      const [line] = logger.lines;
      const endMs = (span?.endTime[0] ?? 0) * 1000 + (span?.endTime[1] ?? 0) / 1e6;
      const startMs = (span?.startTime[0] ?? 0) * 1000 + (span?.startTime[1] ?? 0) / 1e6;
      expect(endMs - startMs).toBeLessThan(35);
      expect(Math.abs((line?.timeMs ?? 0) - endMs)).toBeLessThanOrEqual(2);
      expect((line?.data as { duration_ms?: number } | undefined)?.duration_ms).toBeLessThan(35);
      const [point] = pointsOf(await sdk.collectMetrics(), 'http.server.request.duration');
      expect((point?.value as Histogram | undefined)?.max).toBeLessThan(0.035);
    });

    it('keeps the order requests ended in, a failed one (finished at once) after a batched one', async () => {
      const waiting = new Map<string, () => void>();
      const { port, logger } = await serve((record, req, res) => {
        waiting.set(
          req.url ?? '',
          req.url === '/failed'
            ? () => {
                record?.fail(new Error('the second one failed'));
                res.statusCode = 500;
                res.end();
              }
            : () => res.end('ok'),
        );
        if (waiting.size < 2) return;
        // Both responses end in one turn, the successful one first.
        waiting.get('/ok')?.();
        waiting.get('/failed')?.();
      });
      await Promise.all([send(port, '/ok'), sleep(20).then(() => send(port, '/failed'))]);
      await waitFor(() => serverSpans().length === 2 && logger.lines.filter((l) => l.logger === 'http').length >= 3);
      const statuses = logger.lines
        .filter((l) => l.data !== undefined && typeof (l.data as { status?: number }).status === 'number')
        .map((l) => (l.data as { status: number }).status);
      expect(statuses).toEqual([200, 500]);
      expect(serverSpans().map((s) => s.attributes['http.response.status_code'])).toEqual([200, 500]);
    });

    it('uses a fixed level when configured, and can be turned off', async () => {
      const fixed = await serve(
        (_record, _req, res) => {
          res.statusCode = 500;
          res.end();
        },
        { accessLog: 'DEBUG' },
      );
      await send(fixed.port, '/x');
      await waitFor(() => fixed.logger.lines.length === 1);
      expect(fixed.logger.lines[0]?.level).toBe('debug');
      await closeServer?.();

      const off = await serve(
        (_record, _req, res) => {
          res.end();
        },
        { accessLog: false },
      );
      await send(off.port, '/x');
      await waitFor(() => serverSpans().length === 2);
      await sleep(20);
      expect(off.logger.lines).toHaveLength(0);
    });

    it('gives the handler a lazily created child logger bound to the request', async () => {
      const { port, logger } = await serve((record, _req, res) => {
        record?.logger?.info('inside the handler', { step: 1 });
        res.end();
      });
      await send(port, '/child?x=1', { headers: { 'x-request-id': 'req-123' } });
      await waitFor(() => logger.lines.length === 2);
      const inside = logger.lines.find((l) => l.message === 'inside the handler');
      expect(inside?.bindings).toEqual({ 'http.request.method': 'GET', 'url.path': '/child', request_id: 'req-123' });
      expect(inside?.spanId).toBe(serverSpans()[0]?.spanContext().spanId);
    });
  });

  describe('anomaly detection', () => {
    it('feeds the detector with the span name, duration and 5xx outcome', async () => {
      const observed: Array<[string, number, boolean, boolean]> = [];
      const { port } = await serve(
        (record, req, res) => {
          record?.setRoute('/watched');
          res.statusCode = req.url === '/watched?fail' ? 502 : 200;
          res.end();
        },
        {
          anomalyDetector: {
            observe: (key, durationMs, isError, span) =>
              observed.push([key, durationMs, isError, span?.isRecording() === true]),
          },
        },
      );
      await send(port, '/watched');
      await send(port, '/watched?fail');
      await waitFor(() => observed.length === 2);
      expect(observed.map(([key, , isError, recording]) => [key, isError, recording])).toEqual([
        ['GET /watched', false, true],
        ['GET /watched', true, true],
      ]);
      expect(observed.every(([, ms]) => ms >= 0 && ms < 5000)).toBe(true);
    });
  });
});
