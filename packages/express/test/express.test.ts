/**
 * The Express adapter over real sockets, on Express 4 and Express 5: route templates (nested and
 * parametric mounts, app.route, arrays, regexps, each version's path syntax, sub-apps), errors (thrown,
 * next(err), rejected; with and without the app's own error handler), the request logger, metrics and
 * exclusions. The pipeline is the real one, exporting to memory.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestTelemetry, type TestTelemetry } from '@autotelemetry/core/testing';
import { type HttpAnswer, httpCall } from '@autotelemetry/test-utils';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import express5 from 'express';
import express4 from 'express4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { autotelemetry, telemetryErrorHandler } from '../src/index.js';

type ExpressFactory = typeof express5;
type App = ReturnType<ExpressFactory>;

let telemetry: TestTelemetry;
let server: Server | undefined;

beforeEach(async () => {
  telemetry = await startTestTelemetry({ serviceName: 'express.test', logLevel: 'INFO' });
});

afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  }
  await telemetry.shutdown();
});

async function listen(app: App): Promise<number> {
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A request from the test itself, with tracing suppressed so it adds no client span or traceparent. */
function get(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  return context.with(suppressTracing(context.active()), () => httpCall(port, path, options));
}

function serverSpans(): ReadableSpan[] {
  return telemetry.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
}

async function spansAfter(count: number): Promise<ReadableSpan[]> {
  const start = Date.now();
  while (serverSpans().length < count) {
    if (Date.now() - start > 5000) throw new Error(`expected ${count} server spans, got ${serverSpans().length}`);
    await sleep(5);
  }
  return serverSpans();
}

const versions: Array<[string, ExpressFactory, 4 | 5]> = [
  ['Express 4', express4, 4],
  ['Express 5', express5, 5],
];

describe.each(versions)('%s', (_name, express, major) => {
  it('names spans by the full route template', async () => {
    const app = express();
    app.use(autotelemetry());
    const ok = (_req: unknown, res: { send(body: string): void }) => res.send('ok');
    app.get('/users/:id', ok);
    const api = express.Router();
    const v1 = express.Router();
    v1.get('/orders/:orderId', ok);
    v1.get('/', ok);
    api.use('/v1', v1);
    app.use('/api', api);
    const tenant = express.Router({ mergeParams: true });
    tenant.get('/items/:item', ok);
    app.use('/tenants/:tenant', tenant);
    app
      .route('/books')
      .get(ok)
      .post((_req, res) => {
        res.status(201).send('created');
      });
    app.get(['/alpha/:a', '/beta/:b'], ok);
    app.get(/^\/regex-(one|two)$/, ok);
    if (major === 5) {
      app.get('/files/*path', ok);
      app.get('/optional{/:id}', ok);
    } else {
      app.get('/files/*', ok);
      app.get('/optional/:id?', ok);
    }
    const admin = express();
    admin.get('/stats/:period', ok);
    app.use('/admin', admin);
    const port = await listen(app);

    const cases: Array<[string, string, string?]> = [
      ['/users/42', 'GET /users/:id'],
      ['/api/v1/orders/7', 'GET /api/v1/orders/:orderId'],
      ['/api/v1', 'GET /api/v1'],
      ['/tenants/acme/items/9', 'GET /tenants/:tenant/items/:item'],
      ['/books', 'GET /books'],
      ['/books', 'POST /books', 'POST'],
      ['/beta/3', 'GET /beta/:b'],
      ['/regex-two', 'GET /^\\/regex-(one|two)$/'],
      ['/files/a/b.txt', major === 5 ? 'GET /files/*path' : 'GET /files/*'],
      ['/optional/5', major === 5 ? 'GET /optional{/:id}' : 'GET /optional/:id?'],
      ['/optional', major === 5 ? 'GET /optional{/:id}' : 'GET /optional/:id?'],
      ['/admin/stats/week', 'GET /admin/stats/:period'],
    ];
    for (const [path, , method] of cases) {
      const response = await get(port, path, { method });
      expect(response.status, path).toBeLessThan(300);
    }
    const spans = await spansAfter(cases.length);
    expect(spans.map((s) => s.name)).toEqual(cases.map(([, name]) => name));
    for (const span of spans)
      expect(`${span.attributes['http.request.method']} ${span.attributes['http.route']}`).toBe(span.name);
  });

  it('gives GET with no http.route for a 404', async () => {
    const app = express();
    app.use(autotelemetry());
    app.get('/exists', (_req, res) => {
      res.send('ok');
    });
    const port = await listen(app);
    expect((await get(port, '/missing/123')).status).toBe(404);
    const [span] = await spansAfter(1);
    expect(span?.name).toBe('GET');
    expect(span?.attributes['http.route']).toBeUndefined();
    expect(span?.attributes['http.response.status_code']).toBe(404);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('keeps the full template when an app-level error handler answers an error from a nested router', async () => {
    const app = express();
    app.use(autotelemetry());
    const api = express.Router();
    api.get('/things/:id', (_req, _res, next) => next(new RangeError('no such thing')));
    app.use('/api', api);
    app.use((error: Error, _req: unknown, res: { status(n: number): { json(b: unknown): void } }, _next: unknown) => {
      res.status(500).json({ error: error.message });
    });
    const port = await listen(app);
    expect((await get(port, '/api/things/1')).status).toBe(500);
    const [span] = await spansAfter(1);
    expect(span?.name).toBe('GET /api/things/:id');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such thing' });
    expect(span?.attributes['error.type']).toBe('500');
    expect(span?.events.filter((e) => e.name === 'exception')).toHaveLength(1);
    expect(span?.events[0]?.attributes?.['exception.type']).toBe('RangeError');
  });

  it('records thrown errors and next(err) when the app has its own error handler, ERROR only for 5xx', async () => {
    const app = express();
    app.use(autotelemetry());
    app.get('/thrown', () => {
      throw new TypeError('thrown in handler');
    });
    app.get('/next', (_req, _res, next) => next(new Error('passed to next')));
    app.get('/teapot', (_req, _res, next) => next(Object.assign(new Error('client mistake'), { status: 418 })));
    app.use(
      (
        error: Error & { status?: number },
        _req: unknown,
        res: { status(n: number): { send(b: string): void } },
        _next: unknown,
      ) => {
        res.status(error.status ?? 500).send(error.message);
      },
    );
    const port = await listen(app);
    expect((await get(port, '/thrown')).status).toBe(500);
    expect((await get(port, '/next')).status).toBe(500);
    expect((await get(port, '/teapot')).status).toBe(418);
    const spans = await spansAfter(3);
    const byName = (name: string) => spans.find((s) => s.name === name);
    expect(byName('GET /thrown')?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'thrown in handler' });
    expect(byName('GET /next')?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'passed to next' });
    expect(byName('GET /teapot')?.status.code).toBe(SpanStatusCode.UNSET);
    for (const span of spans) expect(span.events.filter((e) => e.name === 'exception')).toHaveLength(1);
    const errorLines = telemetry.logs().filter((l) => l.level === 'ERROR' && String(l.message).includes('failed'));
    expect(errorLines.map((l) => l.message).sort()).toEqual([
      'GET /next failed: passed to next',
      'GET /thrown failed: thrown in handler',
    ]);
    const thrownSpan = byName('GET /thrown');
    const thrownLine = errorLines.find((l) => String(l.message).startsWith('GET /thrown'));
    expect(thrownLine?.span_id).toBe(thrownSpan?.spanContext().spanId);
    expect((thrownLine?.error as { type?: string } | undefined)?.type).toBe('TypeError');
  });

  it.runIf(major === 5)('records a rejected async handler (Express 5)', async () => {
    const app = express();
    app.use(autotelemetry());
    app.get('/async/:id', async () => {
      await sleep(1);
      throw new SyntaxError('rejected later');
    });
    app.set('env', 'test');
    const port = await listen(app);
    expect((await get(port, '/async/1')).status).toBe(500);
    const [span] = await spansAfter(1);
    expect(span?.name).toBe('GET /async/:id');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rejected later' });
    expect(span?.events.map((e) => e.attributes?.['exception.type'])).toEqual(['SyntaxError']);
  });

  it('gets status and error.type right with no error handler at all, and the error with telemetryErrorHandler()', async () => {
    const bare = express();
    bare.use(autotelemetry());
    bare.get('/crash', () => {
      throw new Error('unhandled crash');
    });
    bare.set('env', 'test'); // keeps Express's final handler from printing the stack
    const port = await listen(bare);
    expect((await get(port, '/crash')).status).toBe(500);
    const [span] = await spansAfter(1);
    expect(span?.name).toBe('GET /crash');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('500');
    // Express 5.3's router remembers the error; Express 4 needs the error handler line for the exception.
    expect(span?.events.filter((e) => e.name === 'exception')).toHaveLength(major === 5 ? 1 : 0);

    const withHandler = express();
    withHandler.use(autotelemetry());
    withHandler.get('/crash', () => {
      throw new Error('unhandled crash');
    });
    withHandler.use(telemetryErrorHandler());
    withHandler.set('env', 'test');
    server?.close();
    const port2 = await listen(withHandler);
    expect((await get(port2, '/crash')).status).toBe(500);
    const spans = await spansAfter(2);
    expect(spans[1]?.events.filter((e) => e.name === 'exception')).toHaveLength(1);
    expect(spans[1]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'unhandled crash' });
  });

  it('keeps the request span active in handlers, after await, and for req.log and named loggers', async () => {
    const app = express();
    app.use(autotelemetry());
    const seen: Array<string | undefined> = [];
    app.get('/ctx/:id', async (req, res) => {
      seen.push(trace.getActiveSpan()?.spanContext().spanId);
      await sleep(2);
      seen.push(trace.getActiveSpan()?.spanContext().spanId);
      req.log.info('from req.log', { id: req.params.id });
      telemetry.client.getLogger('orders').info('from a named logger');
      res.send('ok');
    });
    const port = await listen(app);
    await get(port, '/ctx/5', { headers: { 'x-request-id': 'abc-123' } });
    const [span] = await spansAfter(1);
    const spanId = span?.spanContext().spanId;
    expect(seen).toEqual([spanId, spanId]);
    const lines = telemetry.logs();
    const fromReq = lines.find((l) => l.message === 'from req.log');
    expect(fromReq).toMatchObject({
      trace_id: span?.spanContext().traceId,
      span_id: spanId,
      data: { id: '5' },
      context: { 'http.request.method': 'GET', 'url.path': '/ctx/5', request_id: 'abc-123' },
    });
    expect(lines.find((l) => l.message === 'from a named logger')).toMatchObject({ logger: 'orders', span_id: spanId });
    const access = lines.find((l) => l.logger === 'http');
    expect(access).toMatchObject({
      level: 'INFO',
      span_id: spanId,
      data: { method: 'GET', route: '/ctx/:id', path: '/ctx/5', status: 200 },
    });
  });

  it('passes requests through untouched when telemetry is disabled', async () => {
    await telemetry.shutdown();
    telemetry = await startTestTelemetry({ serviceName: 'express.test', enabled: false });
    const app = express();
    app.use(autotelemetry());
    app.get('/users/:id', (req, res) => {
      res.json({ id: req.params.id, span: trace.getActiveSpan() === undefined ? null : 'active' });
    });
    const port = await listen(app);
    const response = await get(port, '/users/9');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ id: '9', span: null });
    await sleep(20);
    expect(telemetry.getFinishedSpans()).toHaveLength(0);
  });

  it('records the duration histogram by route and excludes health checks', async () => {
    const app = express();
    app.use(autotelemetry());
    app.get('/items/:id', (_req, res) => {
      res.send('item');
    });
    app.get('/health', (_req, res) => {
      res.send('up');
    });
    const port = await listen(app);
    for (const id of [1, 2, 3]) await get(port, `/items/${id}`);
    expect((await get(port, '/health')).body).toBe('up');
    await spansAfter(3);
    await sleep(20);
    expect(serverSpans()).toHaveLength(3);
    const duration = await telemetry.getMetric('http.server.request.duration');
    const points = duration?.dataPoints ?? [];
    expect(points).toHaveLength(1);
    expect(points[0]?.attributes).toMatchObject({ 'http.route': '/items/:id', 'http.response.status_code': 200 });
    expect((points[0]?.value as Histogram | undefined)?.count).toBe(3);
  });
});
