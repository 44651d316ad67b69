/**
 * End to end over real sockets and a real child process, for each Nest major (12 ESM, 11 CommonJS) on both
 * HTTP platforms: one SERVER span per request named by Nest's full route (global prefix, URI version,
 * controller and method paths), its attributes and metrics, 4xx vs 5xx, the app's filters still answering,
 * W3C context in and out, the request's ids on log lines, Nest's own logs in the schema, and `@Traced()`
 * on a controller method keeping its route, guard, pipe and metadata.
 */

import { killAllChildren } from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DumpedSpan, SPAN_KIND, startApp } from './helpers/app-process.js';
import { buildFixtureApp, type FixtureApp, type NestMajor } from './helpers/fixture-app.js';
import { call, postInTwoParts } from './helpers/http.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const LOG_KEYS = new Set([
  'timestamp',
  'level',
  'logger',
  'message',
  'service.name',
  'service.version',
  'deployment.environment',
  'trace_id',
  'span_id',
  'data',
  'error',
  'context',
]);

const apps = new Map<NestMajor, FixtureApp>();

beforeAll(() => {
  for (const major of [12, 11] as const) apps.set(major, buildFixtureApp(major));
});

afterAll(async () => {
  await killAllChildren();
  for (const app of apps.values()) app.remove();
});

function byName(spans: DumpedSpan[], name: string): DumpedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found, `one span named ${name} in ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0] as DumpedSpan;
}

describe.each([
  [12, 'express'],
  [12, 'fastify'],
  [11, 'express'],
  [11, 'fastify'],
] as const)('Nest %i on platform-%s', (major, platform) => {
  it('traces, measures and logs every request through Nest, and leaves Nest’s answers alone', async () => {
    const app = await startApp(apps.get(major) as FixtureApp, { PLATFORM: platform });
    const { port } = app;

    const cat = await call(port, 'GET', '/api/v1/cats/42', {
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
      tracestate: 'vendor=abc',
    });
    expect(cat.status).toBe(200);
    const badId = await call(port, 'GET', '/api/v1/cats/abc', { traceparent: 'not-a-traceparent' });
    expect(badId.status).toBe(400);
    expect(JSON.parse(badId.body)).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const created = await call(port, 'POST', '/api/v1/cats', {}, { name: 'Tom' });
    expect(created.status).toBe(201);
    const slow = await postInTwoParts(port, '/api/v1/cats', { name: 'Slowpoke' });
    expect(slow.status).toBe(201);
    const boom = await call(port, 'GET', '/api/v1/failures/boom');
    expect(boom.status).toBe(500);
    expect(JSON.parse(boom.body)).toEqual({ statusCode: 500, message: 'Internal server error' });
    const stock = await call(port, 'GET', '/api/v1/failures/stock');
    expect(stock.status).toBe(409);
    expect(stock.headers['x-filtered-by']).toBe('StockFilter');
    expect(JSON.parse(stock.body)).toEqual({ reason: 'no more cats', filtered: true });
    const upstream = await call(port, 'GET', '/api/v1/failures/upstream');
    expect(upstream.status).toBe(502);
    expect(JSON.parse(upstream.body)).toEqual({ upstream: 'catalog down', filtered: true });
    expect((await call(port, 'GET', '/api/v1/failures/teapot')).status).toBe(418);
    expect((await call(port, 'GET', '/api/v1/failures/unavailable')).status).toBe(503);
    expect((await call(port, 'GET', '/api/v1/cats/guarded')).status).toBe(403);
    const traced = await call(port, 'GET', '/api/v1/cats/traced/21', { 'x-api-key': 'secret' });
    expect(traced.status).toBe(200);
    expect((await call(port, 'GET', '/api/v1/cats/traced/21')).status).toBe(403);
    expect((await call(port, 'GET', '/api/v1/cats/traced/x', { 'x-api-key': 'secret' })).status).toBe(400);
    const outgoing = await call(port, 'GET', '/api/v1/cats/outgoing');
    expect(outgoing.status).toBe(200);
    expect((await call(port, 'GET', '/nope')).status).toBe(404);

    const spans = await app.spans();
    const metrics = await app.metrics();
    const logs = await app.stop();
    const servers = spans.filter((s) => s.kind === SPAN_KIND.SERVER);

    // One SERVER span per request (the outgoing call's /echo included), named by Nest's full route.
    expect(servers.map((s) => s.name).sort()).toEqual(
      [
        'GET /api/v1/cats/:id',
        'GET /api/v1/cats/:id',
        'POST /api/v1/cats',
        'POST /api/v1/cats',
        'GET /api/v1/failures/boom',
        'GET /api/v1/failures/stock',
        'GET /api/v1/failures/upstream',
        'GET /api/v1/failures/teapot',
        'GET /api/v1/failures/unavailable',
        'GET /api/v1/cats/guarded',
        'GET /api/v1/cats/traced/:id',
        'GET /api/v1/cats/traced/:id',
        'GET /api/v1/cats/traced/:id',
        'GET /api/v1/cats/outgoing',
        'GET /api/v1/cats/echo',
        'GET',
      ].sort(),
    );

    // The caller's trace is continued; the handler runs in the span, before and after `await`.
    const catSpan = servers.find((s) => s.attributes['url.path'] === '/api/v1/cats/42') as DumpedSpan;
    expect(catSpan.traceId).toBe(TRACE_ID);
    expect(catSpan.parentSpanId).toBe(PARENT_ID);
    expect(catSpan.traceState).toBe('vendor=abc');
    expect(catSpan.status.code).toBe(0);
    expect(catSpan.scope).toBe('@autotelemetry/core/http');
    expect(catSpan.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/v1/cats/:id',
      'http.response.status_code': 200,
      'url.path': '/api/v1/cats/42',
      'url.scheme': 'http',
      'server.port': port,
      'client.address': '127.0.0.1',
      'network.protocol.version': '1.1',
    });
    const catBody = JSON.parse(cat.body) as { before: { spanId: string }; after: { spanId: string } };
    expect(catBody.before.spanId).toBe(catSpan.spanId);
    expect(catBody.after.spanId).toBe(catSpan.spanId);
    // A traced provider method nests under the request.
    expect(byName(spans, 'cats.find').parentSpanId).toBe(catSpan.spanId);

    // A malformed traceparent starts a new trace; the pipe's 400 is not an error on the server side.
    const badSpan = servers.find((s) => s.attributes['url.path'] === '/api/v1/cats/abc') as DumpedSpan;
    expect(badSpan.traceId).not.toBe(TRACE_ID);
    expect(badSpan.parentSpanId).toBeNull();
    expect(badSpan.attributes['http.response.status_code']).toBe(400);
    expect(badSpan.status.code).toBe(0);
    expect(badSpan.events).toEqual([]);

    // The POST body was parsed inside the span, also when its second half came in a later read.
    const posts = servers.filter((s) => s.name === 'POST /api/v1/cats').map((s) => s.spanId);
    for (const answer of [created, slow]) {
      const body = JSON.parse(answer.body) as { created: string; ids: { spanId: string } };
      expect(posts).toContain(body.ids.spanId);
    }
    expect(JSON.parse(slow.body)).toMatchObject({ created: 'Slowpoke' });

    // An unknown error: ERROR, one exception event, the built-in filter's 500.
    const boomSpan = byName(servers, 'GET /api/v1/failures/boom');
    expect(boomSpan.status).toMatchObject({ code: 2, message: 'kaboom' });
    expect(boomSpan.attributes['error.type']).toBe('500');
    expect(boomSpan.events).toEqual(['exception']);
    // The app's filters answered; a failure they answer 4xx is recorded but is not an error.
    const stockSpan = byName(servers, 'GET /api/v1/failures/stock');
    expect(stockSpan.attributes['http.response.status_code']).toBe(409);
    expect(stockSpan.status.code).toBe(0);
    const upstreamSpan = byName(servers, 'GET /api/v1/failures/upstream');
    expect(upstreamSpan.status).toMatchObject({ code: 2, message: 'catalog down' });
    expect(upstreamSpan.events).toEqual(['exception']);
    // HttpException: 4xx is the client's, 5xx is ours.
    const teapot = byName(servers, 'GET /api/v1/failures/teapot');
    expect(teapot.status.code).toBe(0);
    expect(teapot.events).toEqual([]);
    const unavailable = byName(servers, 'GET /api/v1/failures/unavailable');
    expect(unavailable.status.code).toBe(2);
    expect(unavailable.events).toEqual(['exception']);
    // A guard's 403 keeps the route (the span began before the guard ran).
    expect(byName(servers, 'GET /api/v1/cats/guarded').attributes['http.response.status_code']).toBe(403);

    // @Traced() on the controller method: guard, pipe, route and Swagger-style metadata all still work.
    const tracedBody = JSON.parse(traced.body) as { doubled: number; operation: unknown; ids: { spanId: string } };
    expect(tracedBody.doubled).toBe(42);
    expect(tracedBody.operation).toEqual({ summary: 'Find a cat, doubled' });
    const tracedServer = servers.find(
      (s) => s.name === 'GET /api/v1/cats/traced/:id' && s.attributes['http.response.status_code'] === 200,
    ) as DumpedSpan;
    const methodSpan = byName(spans, 'cats_controller.traced_find');
    expect(methodSpan.parentSpanId).toBe(tracedServer.spanId);
    expect(tracedBody.ids.spanId).toBe(methodSpan.spanId);

    // The outgoing call carries the handler's context: /echo's server span is a child of the client span.
    const outgoingSpan = byName(servers, 'GET /api/v1/cats/outgoing');
    const seen = (JSON.parse(outgoing.body) as { seen: string }).seen;
    expect(seen).toMatch(new RegExp(`^00-${outgoingSpan.traceId}-[0-9a-f]{16}-01$`));
    const client = spans.find((s) => s.kind === SPAN_KIND.CLIENT && s.parentSpanId === outgoingSpan.spanId);
    expect(client).toBeDefined();
    expect(byName(servers, 'GET /api/v1/cats/echo').parentSpanId).toBe(client?.spanId);

    // A path no route matched: method-only name, no http.route.
    const notFound = byName(servers, 'GET');
    expect(notFound.attributes['http.route']).toBeUndefined();
    expect(notFound.attributes['http.response.status_code']).toBe(404);

    // Metrics labelled by the route template, method and status.
    const duration = metrics.find((m) => m.name === 'http.server.request.duration');
    const catPoint = duration?.points.find(
      (p) =>
        p.attributes['http.route'] === '/api/v1/cats/:id' &&
        p.attributes['http.response.status_code'] === 200 &&
        p.attributes['http.request.method'] === 'GET',
    );
    expect(catPoint?.value).toBe(1);
    const boomPoint = duration?.points.find((p) => p.attributes['http.route'] === '/api/v1/failures/boom');
    expect(boomPoint?.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
    expect(metrics.find((m) => m.name === 'http.server.active_requests')).toBeDefined();

    // Every line has the schema; Nest's bootstrap lines come through TelemetryLogger with Nest's context.
    for (const line of logs) {
      for (const key of Object.keys(line)) expect(LOG_KEYS.has(key), `unexpected key ${key}`).toBe(true);
      expect(line['service.name']).toBe('nestjs.fixture');
      expect(line['service.version']).toBe('1.2.3');
    }
    const loggers = new Set(logs.map((l) => l.logger));
    for (const name of ['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']) {
      expect(loggers.has(name), `a ${name} line`).toBe(true);
    }
    const mapped = logs.find((l) => l.logger === 'RouterExplorer' && String(l.message).includes('/api/cats/:id'));
    expect(mapped).toMatchObject({ level: 'INFO' });
    expect(mapped?.trace_id).toBeUndefined();

    // Lines written inside a request carry its ids: Nest's Logger, TelemetryService's logger, the access line.
    for (const [logger, message] of [
      ['CatsController', 'cat 42 requested'],
      ['cats', 'cat found'],
    ]) {
      const line = logs.find((l) => l.logger === logger && l.message === message);
      expect(line, `${logger}: ${message}`).toMatchObject({ trace_id: TRACE_ID, span_id: catSpan.spanId });
    }
    // The failure: Nest's own ExceptionsHandler line and the request's error line, both with the ids.
    const nestError = logs.find((l) => l.logger === 'ExceptionsHandler' && l.message === 'kaboom');
    expect(nestError).toMatchObject({ level: 'ERROR', trace_id: boomSpan.traceId, span_id: boomSpan.spanId });
    expect(nestError?.error).toMatchObject({ type: 'Error', message: 'kaboom' });
    const failedLine = logs.find((l) => l.logger === 'http' && l.level === 'ERROR' && l.span_id === boomSpan.spanId);
    expect(failedLine?.message).toContain('kaboom');
  });
});
