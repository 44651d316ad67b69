/**
 * Acceptance over real child processes and sockets: whatever the load order (CJS requiring express first,
 * CJS starting telemetry first, ESM with plain imports and no loader), with Express 4 and 5, and also with
 * the official HTTP instrumentation's incoming spans on: exactly one SERVER span per request, named by the
 * route template, continuing the caller's trace, active in the handler after `await`, carried by outgoing
 * calls, and stamped on the request's log lines.
 */
import { fileURLToPath } from 'node:url';
import { type DumpedSpan, httpCall, killAllChildren, startFixtureApp } from '@autotelemetry/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

const SERVER = 1;
const CLIENT = 2;

function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

const start = (script: string, env: Record<string, string>) => startFixtureApp(fixture(script), env);
const get = (port: number, path: string, headers: Record<string, string> = {}) => httpCall(port, path, { headers });

afterAll(async () => {
  await killAllChildren();
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

const variants = [
  ['cjs-express-first.cjs', 'express'],
  ['cjs-express-first.cjs', 'express4'],
  ['cjs-telemetry-first.cjs', 'express'],
  ['cjs-telemetry-first.cjs', 'express4'],
  ['esm-plain.mjs', 'express'],
  ['esm-plain.mjs', 'express4'],
] as const;

describe.each(variants)('%s with %s', (script, expressModule) => {
  it('gives one SERVER span per request with the route template, the caller’s trace, context in handlers and outgoing calls', async () => {
    const { proc, port } = await start(script, { EXPRESS_MODULE: expressModule });
    const user = await get(port, '/users/42', {
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
      tracestate: 'vendor=abc',
    });
    expect(user.status).toBe(200);
    const order = await get(port, '/api/v1/orders/7', { traceparent: 'garbage' });
    expect(order.status).toBe(200);
    const outgoing = await get(port, '/outgoing');
    expect((await get(port, '/nope')).status).toBe(404);
    expect((await get(port, '/boom')).status).toBe(500);
    const spans = JSON.parse((await get(port, '/__spans')).body) as DumpedSpan[];
    proc.kill();

    const servers = spans.filter((s) => s.kind === SERVER);
    // /users, /api/..., /outgoing, its two /echo calls, /nope, /boom.
    expect(servers.map((s) => s.name).sort()).toEqual(
      [
        'GET',
        'GET /api/v1/orders/:orderId',
        'GET /boom',
        'GET /echo',
        'GET /echo',
        'GET /outgoing',
        'GET /users/:id',
      ].sort(),
    );

    const userSpan = servers.find((s) => s.name === 'GET /users/:id') as DumpedSpan;
    expect(userSpan.traceId).toBe(TRACE_ID);
    expect(userSpan.parentSpanId).toBe(PARENT_ID);
    expect(userSpan.traceState).toBe('vendor=abc');
    expect(userSpan.attributes['http.route']).toBe('/users/:id');
    const ids = JSON.parse(user.body) as { before: { spanId: string }; after: { spanId: string } };
    expect(ids.before.spanId).toBe(userSpan.spanId);
    expect(ids.after.spanId).toBe(userSpan.spanId);

    const orderSpan = servers.find((s) => s.name === 'GET /api/v1/orders/:orderId') as DumpedSpan;
    expect(orderSpan.traceId).not.toBe(TRACE_ID);
    expect(orderSpan.parentSpanId).toBeNull();

    const notFound = servers.find((s) => s.name === 'GET') as DumpedSpan;
    expect(notFound.attributes['http.route']).toBeUndefined();
    expect(notFound.attributes['http.response.status_code']).toBe(404);

    const boom = servers.find((s) => s.name === 'GET /boom') as DumpedSpan;
    expect(boom.status.code).toBe(2);
    expect(boom.attributes['error.type']).toBe('500');

    // Outgoing calls made in the handler carry its context: the /echo server spans are children of client
    // spans that are children of the /outgoing span, all in one trace.
    const outgoingSpan = servers.find((s) => s.name === 'GET /outgoing') as DumpedSpan;
    const seen = JSON.parse(outgoing.body) as { self: { spanId: string }; viaFetch: string; viaHttp: string };
    expect(seen.self.spanId).toBe(outgoingSpan.spanId);
    for (const header of [seen.viaFetch, seen.viaHttp])
      expect(header).toMatch(new RegExp(`^00-${outgoingSpan.traceId}-[0-9a-f]{16}-01$`));
    const clients = spans.filter((s) => s.kind === CLIENT && s.parentSpanId === outgoingSpan.spanId);
    expect(clients).toHaveLength(2);
    const echoes = servers.filter((s) => s.name === 'GET /echo');
    expect(echoes.map((s) => s.parentSpanId).sort()).toEqual(clients.map((c) => c.spanId).sort());

    // Log lines written in the handler (req.log and a named logger) carry the request span's ids.
    await proc.exited;
    const lines = proc.json().filter((l) => typeof l.message === 'string');
    for (const message of ['user requested', 'named logger line']) {
      const line = lines.find((l) => l.message === message);
      expect(line?.trace_id).toBe(TRACE_ID);
      expect(line?.span_id).toBe(userSpan.spanId);
    }
    const access = lines.find((l) => (l.data as { route?: string } | undefined)?.route === '/users/:id');
    expect(access?.span_id).toBe(userSpan.spanId);
  });
});

describe.each(variants.filter(([, m]) => m === 'express'))(
  '%s with the official incoming HTTP instrumentation on',
  (script, expressModule) => {
    it('still gives exactly one SERVER span per request, named by the route', async () => {
      const { proc, port } = await start(script, { EXPRESS_MODULE: expressModule, OFFICIAL_INCOMING: '1' });
      await get(port, '/users/42', { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
      await get(port, '/api/v1/orders/7');
      // An excluded path stays silent, though the official instrumentation starts a SERVER span for it: the
      // first read of the spans (an excluded path) has ended before the second.
      await get(port, '/__spans');
      const spans = JSON.parse((await get(port, '/__spans')).body) as DumpedSpan[];
      proc.kill();
      expect(spans.filter((s) => s.attributes['url.path'] === '/__spans')).toEqual([]);
      const servers = spans.filter((s) => s.kind === SERVER);
      expect(servers.map((s) => s.name).sort()).toEqual(['GET /api/v1/orders/:orderId', 'GET /users/:id']);
      for (const span of servers) {
        // The official instrumentation made the span; the lifecycle adopted it instead of adding another.
        expect(span.scope).toBe('@opentelemetry/instrumentation-http');
        expect(span.attributes['http.route']).toMatch(/^\/(users|api)/);
      }
      expect(servers.find((s) => s.name === 'GET /users/:id')?.parentSpanId).toBe(PARENT_ID);
    });
  },
);
