/**
 * The app's logger stays the app's: for each way an app configures Fastify's logging (a `logger` options
 * object with its stream, a `loggerInstance`, a plugin's `logLevel`, custom serializers, a route's and the
 * instance's `childLoggerFactory`, `disableRequestLogging` as a flag and as a function, the request-id
 * options, the default 404 handler's line), the same app, driven over real sockets with the same requests,
 * writes the same lines to its own stream with the plugin registered as without it — apart from the
 * `trace_id`/`span_id` the plugin adds to the lines written inside a request, which name the request's
 * SERVER span.
 */

import type { TestTelemetry } from '@autotelemetry/core/testing';
import { httpCall } from '@autotelemetry/test-utils';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { autotelemetry } from '../src/index.js';
import { serverSpans, startPipeline, until } from './helpers.js';

type Line = Record<string, unknown>;

interface Run {
  /** The lines the app's own stream received, parsed, in order. */
  lines: Line[];
  /** The answers, in request order. */
  statuses: number[];
}

let telemetry: TestTelemetry;

beforeEach(async () => {
  telemetry = await startPipeline();
});

afterEach(async () => {
  await telemetry.shutdown();
});

/** A stream pino writes to: one JSON line per `write`. */
function captureStream(lines: Line[]): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const text of chunk.split('\n')) if (text !== '') lines.push(JSON.parse(text) as Line);
    },
  };
}

/**
 * Builds the app (`options` gets the capture stream), optionally registers the plugin first, adds the routes,
 * sends `paths` one after the other over real sockets, and waits until the lines stop coming.
 */
async function run(
  withPlugin: boolean,
  options: (stream: { write(chunk: string): void }) => FastifyServerOptions,
  routes: (app: FastifyInstance) => void,
  paths: readonly (string | { path: string; headers: Record<string, string> })[],
): Promise<Run> {
  const lines: Line[] = [];
  const app = Fastify(options(captureStream(lines)));
  if (withPlugin) await app.register(autotelemetry);
  routes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const statuses: number[] = [];
  try {
    for (const entry of paths) {
      const { path, headers } = typeof entry === 'string' ? { path: entry, headers: {} } : entry;
      statuses.push((await httpCall(port, path, { headers })).status);
    }
    // Fastify writes "request completed" on the response's finish, which may follow the client's read.
    let seen = -1;
    await until(() => {
      const settled = seen === lines.length;
      seen = lines.length;
      return settled;
    });
  } finally {
    await app.close();
  }
  return { lines, statuses };
}

/** A line without what differs between two runs by nature: times, ports, and the ids the plugin adds. */
function comparable(line: Line): Line {
  const { time: _time, responseTime: _responseTime, trace_id: _traceId, span_id: _spanId, ...rest } = line;
  const text = JSON.stringify(rest)
    .replace(/(127\.0\.0\.1|localhost):\d+/g, '$1:PORT')
    .replace(/"remotePort":\d+/g, '"remotePort":"PORT"');
  return JSON.parse(text) as Line;
}

/**
 * Runs the app without and with the plugin; the lines must match apart from the added ids, every line that
 * has ids must name one of the plugin's SERVER spans, and `expectIds` lines (by message) must have them.
 */
async function expectSameLines(
  options: (stream: { write(chunk: string): void }) => FastifyServerOptions,
  routes: (app: FastifyInstance) => void,
  paths: readonly (string | { path: string; headers: Record<string, string> })[],
  expectIds: readonly string[],
): Promise<{ without: Run; with: Run }> {
  const without = await run(false, options, routes, paths);
  const withPlugin = await run(true, options, routes, paths);
  expect(withPlugin.statuses).toEqual(without.statuses);
  expect(withPlugin.lines.map(comparable)).toEqual(without.lines.map(comparable));
  for (const line of without.lines) expect(line.trace_id).toBeUndefined();

  await until(() => serverSpans(telemetry).length >= paths.length);
  const spans = new Map(serverSpans(telemetry).map((s) => [s.spanContext().spanId, s.spanContext().traceId]));
  for (const line of withPlugin.lines) {
    if (line.span_id === undefined) continue;
    expect(spans.get(line.span_id as string), JSON.stringify(line)).toBe(line.trace_id);
  }
  for (const message of expectIds) {
    const line = withPlugin.lines.find((l) => l.msg === message);
    expect(line, message).toBeDefined();
    expect(line?.trace_id, message).toMatch(/^[0-9a-f]{32}$/);
    expect(line?.span_id, message).toMatch(/^[0-9a-f]{16}$/);
  }
  return { without, with: withPlugin };
}

/** The messages of the lines written for the requests (Fastify's "Server listening" line left out). */
function messages(run: Run): unknown[] {
  return run.lines.map((l) => l.msg).filter((m) => !String(m).startsWith('Server listening'));
}

function helloRoute(app: FastifyInstance): void {
  app.get('/', async (request) => {
    request.log.info('Hello');
    return { hello: 'world' };
  });
}

describe('the app’s own logger, with and without the plugin', () => {
  it('logger: { stream }: the handler’s request.log lines and Fastify’s request lines reach the app’s stream', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({ logger: { stream, level: 'info' } }),
      helloRoute,
      ['/', '/'],
      ['Hello'],
    );
    expect(messages(run)).toEqual([
      'incoming request',
      'Hello',
      'request completed',
      'incoming request',
      'Hello',
      'request completed',
    ]);
    // The two requests are two traces.
    const hellos = run.lines.filter((l) => l.msg === 'Hello');
    expect(hellos[0]?.trace_id).not.toBe(hellos[1]?.trace_id);
  });

  it('loggerInstance: the app’s pino instance (its base bindings and its own mixin kept)', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({
        loggerInstance: pino({ base: { app: 'shop' }, mixin: () => ({ region: 'eu' }) }, stream),
      }),
      helloRoute,
      ['/'],
      ['Hello'],
    );
    expect(run.lines.find((l) => l.msg === 'Hello')).toMatchObject({ app: 'shop', region: 'eu', reqId: 'req-1' });
  });

  it('a plugin’s logLevel: its routes log at that level only', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({ logger: { stream, level: 'info' } }),
      (app) => {
        app.register(
          async (quiet) => {
            quiet.get('/quiet', async (request) => {
              request.log.info('not shown');
              request.log.warn('shown');
              return 'ok';
            });
          },
          { logLevel: 'warn' },
        );
        helloRoute(app);
      },
      ['/quiet', '/'],
      ['shown', 'Hello'],
    );
    expect(messages(run)).toEqual(['shown', 'incoming request', 'Hello', 'request completed']);
  });

  it('custom serializers, on the logger and on a route (logSerializers)', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({
        logger: {
          stream,
          serializers: { req: (req: { method: string; url: string }) => ({ line: `${req.method} ${req.url}` }) },
        },
      }),
      (app) => {
        app.get(
          '/serialized',
          { logSerializers: { user: (user: { name: string }) => user.name.toUpperCase() } },
          async (request) => {
            request.log.info({ user: { name: 'ada', password: 'secret' } }, 'user seen');
            return 'ok';
          },
        );
      },
      ['/serialized'],
      ['user seen'],
    );
    expect(run.lines.find((l) => l.msg === 'incoming request')?.req).toEqual({ line: 'GET /serialized' });
    expect(run.lines.find((l) => l.msg === 'user seen')?.user).toBe('ADA');
  });

  it('a route’s childLoggerFactory adding a method, and the instance’s setChildLoggerFactory', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({ logger: { stream } }),
      (app) => {
        app.setChildLoggerFactory((logger, bindings, opts) => logger.child({ ...bindings, tier: 'web' }, opts));
        app.get(
          '/custom',
          {
            childLoggerFactory(logger, bindings, opts) {
              const child = logger.child(bindings, opts) as typeof logger & { customLog(message: string): void };
              child.customLog = function customLog(message: string) {
                this.warn({ custom: true }, message);
              };
              return child;
            },
          },
          async (request) => {
            (request.log as typeof request.log & { customLog(message: string): void }).customLog('from customLog');
            return 'ok';
          },
        );
        helloRoute(app);
      },
      ['/custom', '/'],
      ['from customLog', 'Hello'],
    );
    expect(run.statuses).toEqual([200, 200]);
    expect(run.lines.find((l) => l.msg === 'from customLog')).toMatchObject({ custom: true, level: 40 });
    expect(run.lines.find((l) => l.msg === 'Hello')).toMatchObject({ tier: 'web' });
  });

  it('disableRequestLogging: true keeps Fastify’s request lines off, the handler’s line on', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({ logger: { stream }, disableRequestLogging: true }),
      helloRoute,
      ['/'],
      ['Hello'],
    );
    expect(messages(run)).toEqual(['Hello']);
  });

  it('disableRequestLogging as a function, for routes and for a 404', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({
        logger: { stream },
        disableRequestLogging: (request: { url?: string }) => request.url === '/not-logged',
      }),
      helloRoute,
      ['/', '/not-logged', '/logged-404'],
      ['Hello'],
    );
    expect(run.statuses).toEqual([200, 404, 404]);
    expect(messages(run)).toEqual([
      'incoming request',
      'Hello',
      'request completed',
      'incoming request',
      'Route GET:/logged-404 not found',
      'request completed',
    ]);
  });

  it('the request-id options: requestIdHeader, requestIdLogLabel and genReqId', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({
        logger: { stream },
        requestIdHeader: 'x-correlation-id',
        requestIdLogLabel: 'correlation',
        genReqId: () => 'generated',
      }),
      helloRoute,
      [{ path: '/', headers: { 'x-correlation-id': 'from-client' } }, '/'],
      ['Hello'],
    );
    const hellos = run.lines.filter((l) => l.msg === 'Hello');
    expect(hellos.map((l) => l.correlation)).toEqual(['from-client', 'generated']);
    expect(hellos.every((l) => l.reqId === undefined)).toBe(true);
  });

  it('the default 404 handler’s line, at the level the logger allows', async () => {
    const { with: run } = await expectSameLines(
      (stream) => ({ logger: { stream, level: 'debug' } }),
      helloRoute,
      ['/nowhere'],
      ['Route GET:/nowhere not found'],
    );
    expect(messages(run)).toEqual(['incoming request', 'Route GET:/nowhere not found', 'request completed']);
  });
});

describe('lines outside a request', () => {
  it('have no ids, and a line in a request names the span active where it is written', async () => {
    const lines: Line[] = [];
    const app = Fastify({ logger: { stream: captureStream(lines) }, disableRequestLogging: true });
    await app.register(autotelemetry);
    app.get('/', async (request) => {
      request.log.info('in the request');
      return 'ok';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    app.log.info('outside');
    await httpCall((app.server.address() as { port: number }).port, '/');
    await app.close();
    await until(() => serverSpans(telemetry).length === 1);
    const span = serverSpans(telemetry)[0];
    expect(lines.find((l) => l.msg === 'outside')?.trace_id).toBeUndefined();
    expect(lines.find((l) => l.msg === 'in the request')).toMatchObject({
      trace_id: span?.spanContext().traceId,
      span_id: span?.spanContext().spanId,
    });
  });
});
