/**
 * The plugin through `inject()`: span names from the declared routes (prefixes included, whatever the
 * registration order), semconv attributes, metrics labelled by route, opt-out, errors (400 is not an error,
 * 500 is, with its exception), `request.log` left Fastify's / `request.telemetry`, the Fastify logger one-liner, the
 * `/metrics` route, and option errors.
 */
import type { TestTelemetry } from '@autotelemetry/core/testing';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import defaultExport, { autotelemetry, autotelemetryLogger, autotelemetryLogging } from '../src/index.js';
import { accessLines, histogramPoints, onlyServerSpan, serverSpans, startPipeline } from './helpers.js';

let telemetry: TestTelemetry;
let app: FastifyInstance | undefined;

beforeEach(async () => {
  telemetry = await startPipeline();
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await telemetry.shutdown();
});

function activeSpanId(): string | null {
  return trace.getActiveSpan()?.spanContext().spanId ?? null;
}

/** An app with a prefixed encapsulated plugin, params, a validated body, a failing route and an opted-out route. */
function buildRoutes(fastify: FastifyInstance): void {
  fastify.register(
    async (api) => {
      api.register(
        async (v1) => {
          v1.get<{ Params: { id: string } }>('/users/:id', async (request) => {
            const before = activeSpanId();
            await new Promise((resolve) => setTimeout(resolve, 2));
            request.log.info({ id: request.params.id }, 'user read');
            return { before, after: activeSpanId(), record: request.telemetry?.span.spanContext().spanId ?? null };
          });
          v1.post(
            '/orders',
            {
              schema: {
                body: {
                  type: 'object',
                  required: ['sku'],
                  properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
                },
              },
            },
            async (request, reply) => {
              reply.code(201);
              return { created: (request.body as { sku: string }).sku, span: activeSpanId() };
            },
          );
        },
        { prefix: '/v1' },
      );
    },
    { prefix: '/api' },
  );
  fastify.get('/boom', async () => {
    throw new Error('database unreachable');
  });
  fastify.get('/quiet', { config: { telemetry: false } }, async () => ({ span: activeSpanId() }));
  fastify.get('/health', async () => ({ ok: true }));
}

describe('with the plugin registered first', () => {
  beforeEach(async () => {
    app = Fastify();
    await app.register(autotelemetry);
    buildRoutes(app);
    await app.ready();
  });

  it('names the span by the full declared route and keeps it active in the handler, after await', async () => {
    const response = await app!.inject({ method: 'GET', url: '/api/v1/users/42?expand=roles&token=s3cr3t' });
    expect(response.statusCode).toBe(200);
    const span = onlyServerSpan(telemetry, 'GET /api/v1/users/:id');
    const body = response.json() as { before: string; after: string; record: string };
    expect(body).toEqual({
      before: span.spanContext().spanId,
      after: span.spanContext().spanId,
      record: span.spanContext().spanId,
    });
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/v1/users/:id',
      'url.path': '/api/v1/users/42',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
      'user_agent.original': 'lightMyRequest',
    });
    // Sensitive query values are masked, the others kept.
    expect(String(span.attributes['url.query'])).toContain('expand=roles');
    expect(String(span.attributes['url.query'])).not.toContain('s3cr3t');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records the duration histogram and the active-requests counter by route, method and status', async () => {
    await app!.inject({ method: 'GET', url: '/api/v1/users/1' });
    await app!.inject({ method: 'GET', url: '/api/v1/users/2' });
    await app!.inject({ method: 'GET', url: '/nowhere/at/all' });
    const points = histogramPoints(await telemetry.getMetric('http.server.request.duration'));
    const users = points.find((p) => p.attributes['http.route'] === '/api/v1/users/:id');
    expect(users?.value.count).toBe(2);
    expect(users?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.scheme': 'http',
    });
    // The unmatched URL is one series without a route, not a series per URL.
    const unmatched = points.filter((p) => p.attributes['http.route'] === undefined);
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]?.attributes['http.response.status_code']).toBe(404);
    const active = await telemetry.getMetric('http.server.active_requests');
    const inFlight = (active?.dataPoints ?? []).reduce((sum, p) => sum + (p.value as number), 0);
    expect(inFlight).toBe(0);
  });

  it('gives a 404 a method-only span without http.route, and one access line per request', async () => {
    const response = await app!.inject({ method: 'GET', url: '/missing' });
    expect(response.statusCode).toBe(404);
    const span = onlyServerSpan(telemetry, 'GET');
    expect(span.attributes['http.route']).toBeUndefined();
    expect(span.attributes['http.response.status_code']).toBe(404);
    const lines = accessLines(telemetry);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      span_id: span.spanContext().spanId,
      data: { status: 404, path: '/missing' },
    });
  });

  it('records nothing for a route with config { telemetry: false } and for the default exclusions', async () => {
    const quiet = await app!.inject({ method: 'GET', url: '/quiet' });
    expect(quiet.json()).toEqual({ span: null });
    expect((await app!.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(serverSpans(telemetry)).toEqual([]);
    expect(accessLines(telemetry)).toEqual([]);
    const points = histogramPoints(await telemetry.getMetric('http.server.request.duration'));
    expect(points).toEqual([]);
  });

  it('does not make a schema validation error (400) an ERROR span', async () => {
    const response = await app!.inject({ method: 'POST', url: '/api/v1/orders', payload: { quantity: 0 } });
    expect(response.statusCode).toBe(400);
    const span = onlyServerSpan(telemetry, 'POST /api/v1/orders');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['http.response.status_code']).toBe(400);
    expect(span.attributes['error.type']).toBeUndefined();
    expect(accessLines(telemetry)[0]).toMatchObject({ level: 'WARN', data: { status: 400, route: '/api/v1/orders' } });
    expect(telemetry.logs().filter((line) => line.level === 'ERROR')).toEqual([]);
  });

  it('keeps the span active after the body is parsed and validated', async () => {
    const response = await app!.inject({ method: 'POST', url: '/api/v1/orders', payload: { sku: 'A-1', quantity: 2 } });
    expect(response.statusCode).toBe(201);
    const span = onlyServerSpan(telemetry, 'POST /api/v1/orders');
    expect(response.json()).toEqual({ created: 'A-1', span: span.spanContext().spanId });
  });

  it('makes a thrown error (500) an ERROR span with an exception event and one error line', async () => {
    const response = await app!.inject({ method: 'GET', url: '/boom' });
    expect(response.statusCode).toBe(500);
    const span = onlyServerSpan(telemetry, 'GET /boom');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'database unreachable' });
    expect(span.attributes['error.type']).toBe('500');
    const exceptions = span.events.filter((event) => event.name === 'exception');
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]?.attributes?.['exception.message']).toBe('database unreachable');
    const errors = telemetry.logs().filter((line) => line.level === 'ERROR' && line.error !== undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      trace_id: span.spanContext().traceId,
      error: { type: 'Error', message: 'database unreachable' },
    });
  });

  it('leaves request.log Fastify’s own logger: with Fastify’s logging off, a handler’s line goes nowhere', async () => {
    const answer = await app!.inject({ method: 'GET', url: '/api/v1/users/7' });
    const span = onlyServerSpan(telemetry, 'GET /api/v1/users/:id');
    // The request is traced (the record is there) but the app's logger is the one the app chose.
    expect(answer.json().record).toBe(span.spanContext().spanId);
    expect(telemetry.logs().find((l) => l.message === 'user read')).toBeUndefined();
    expect((app!.log as { getLogger?: unknown }).getLogger).toBeUndefined();
  });
});

describe('registration order and shape', () => {
  it('traces routes of encapsulated plugins registered before the plugin, and root routes declared before it', async () => {
    app = Fastify();
    buildRoutes(app);
    app.get('/early/:slug', async () => ({ span: activeSpanId() }));
    await app.register(autotelemetry);
    await app.ready();
    const users = await app.inject({ method: 'GET', url: '/api/v1/users/5' });
    const early = await app.inject({ method: 'GET', url: '/early/x' });
    const usersSpan = onlyServerSpan(telemetry, 'GET /api/v1/users/:id');
    expect((users.json() as { after: string }).after).toBe(usersSpan.spanContext().spanId);
    expect((early.json() as { span: string }).span).toBe(
      onlyServerSpan(telemetry, 'GET /early/:slug').spanContext().spanId,
    );
  });

  it('is the default export too, and a second registration adds nothing', async () => {
    expect(defaultExport).toBe(autotelemetry);
    app = Fastify();
    await app.register(defaultExport);
    await app.register(autotelemetry);
    app.register(async (child) => {
      await child.register(autotelemetry);
      child.get('/inner', async () => 'ok');
    });
    await app.ready();
    await app.inject({ method: 'GET', url: '/inner' });
    expect(serverSpans(telemetry).map((s) => s.name)).toEqual(['GET /inner']);
    expect(accessLines(telemetry)).toHaveLength(1);
  });

  it('records the error of a custom error handler that answers 500 without rethrowing', async () => {
    app = Fastify();
    await app.register(autotelemetry);
    app.setErrorHandler(async (_error, _request, reply) => {
      reply.code(500);
      return { message: 'something went wrong' };
    });
    app.get('/handled', async () => {
      throw new TypeError('bad shape');
    });
    await app.ready();
    const response = await app.inject({ method: 'GET', url: '/handled' });
    expect(response.json()).toEqual({ message: 'something went wrong' });
    const span = onlyServerSpan(telemetry, 'GET /handled');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.find((e) => e.name === 'exception')?.attributes?.['exception.type']).toBe('TypeError');
  });

  it('fails registration with a ConfigError naming a bad option, and takes the core options', async () => {
    await telemetry.shutdown();
    const bad = Fastify();
    bad.register(autotelemetry, { environment: 'moon' });
    await expect(bad.ready()).rejects.toMatchObject({ name: 'ConfigError', option: 'environment' });
    await bad.close();
    const badRoute = Fastify();
    badRoute.register(autotelemetry, { metricsRoute: 'metrics' as string });
    await expect(badRoute.ready()).rejects.toMatchObject({ name: 'ConfigError', option: 'metricsRoute' });
    await badRoute.close();
  });
  it('stays out of the way when telemetry is disabled', async () => {
    await telemetry.shutdown();
    telemetry = await startPipeline({ enabled: false });
    app = Fastify();
    await app.register(autotelemetry, { metricsRoute: true });
    buildRoutes(app);
    await app.ready();
    const response = await app.inject({ method: 'GET', url: '/api/v1/users/3' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ before: null, after: null, record: null });
    expect((await app.inject({ method: 'GET', url: '/boom' })).statusCode).toBe(500);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(503);
    expect(telemetry.getFinishedSpans()).toEqual([]);
  });
});

describe('the /metrics route on the app’s own server', () => {
  it('is off by default, and serves the Prometheus text (recording nothing itself) when asked', async () => {
    app = Fastify();
    await app.register(autotelemetry);
    app.get('/ping', async () => 'pong');
    await app.ready();
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    await app.close();
    telemetry.reset();

    app = Fastify();
    await app.register(autotelemetry, { metricsRoute: '/internal/metrics' });
    app.get('/ping', async () => 'pong');
    await app.ready();
    await app.inject({ method: 'GET', url: '/ping' });
    const response = await app.inject({ method: 'GET', url: '/internal/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toMatch(/^http_server_request_duration(_seconds)?_count\{.*http_route="\/ping".*\} 1$/m);
    expect(serverSpans(telemetry).map((s) => s.name)).toEqual(['GET /ping']);
  });
});

describe('Fastify logging through AutoTelemetry: Fastify({ ...autotelemetryLogging() })', () => {
  it('writes Fastify’s and the app’s lines in the schema, one access line per request, no request lines', async () => {
    app = Fastify({ ...autotelemetryLogging() });
    await app.register(autotelemetry);
    buildRoutes(app);
    app.get('/quiet-boom', { config: { telemetry: false } }, async () => {
      throw new Error('unrecorded failure');
    });
    await app.ready();
    await app.inject({ method: 'GET', url: '/api/v1/users/9' });
    await app.inject({ method: 'GET', url: '/boom' });
    await app.inject({ method: 'GET', url: '/missing' });
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/quiet-boom' });

    const lines = telemetry.logs();
    const userSpan = onlyServerSpan(telemetry, 'GET /api/v1/users/:id');
    const userLine = lines.find((l) => l.message === 'user read');
    // request.log is Fastify's per-request child of the AutoTelemetry logger: Fastify's reqId under context.
    expect(userLine).toMatchObject({
      logger: 'fastify',
      span_id: userSpan.spanContext().spanId,
      context: { reqId: expect.any(String) },
    });
    expect(accessLines(telemetry).map((l) => (l.data as { status: number }).status)).toEqual([200, 500, 404]);
    // Fastify's per-request lines are replaced by the access line; excluded paths are quiet altogether.
    expect(lines.some((l) => l.message === 'incoming request' || l.message === 'request completed')).toBe(false);
    expect(lines.some((l) => String(l.message).includes('not found'))).toBe(false);
    // The recorded 500 is said once, by the plugin's error line (Fastify's default error line is left out);
    // the 500 of an opted-out route keeps Fastify's line, so no error goes unsaid.
    const errors = lines.filter((l) => l.level === 'ERROR' && l.error !== undefined);
    expect(errors.map((l) => [l.logger, (l.error as { message: string }).message])).toEqual([
      ['http', 'database unreachable'],
      ['fastify', 'unrecorded failure'],
    ]);
    for (const line of lines) {
      expect(typeof line.timestamp).toBe('string');
      expect(line['service.name']).toBe('fastify.test');
    }
  });

  it('warns once when Fastify’s own request lines would repeat the access line', async () => {
    // Fastify infers its logger type from loggerInstance: this instance is typed with TelemetryLogger.
    const logged = Fastify({ loggerInstance: autotelemetryLogger() });
    await logged.register(autotelemetry);
    await logged.ready();
    await logged.close();
    const warnings = telemetry
      .logs()
      .filter((l) => l.level === 'WARN' && String(l.message).includes('autotelemetryLogging'));
    expect(warnings).toHaveLength(1);
  });
});
