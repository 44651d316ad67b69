/**
 * Acceptance over real child processes running the built package: CJS with Fastify and its encapsulated
 * plugin set up before the telemetry plugin is required, CJS registering it first, ESM with plain imports
 * and no loader — and each again with the official HTTP instrumentation's incoming spans on. Every time:
 * exactly one SERVER span per request, named by the declared route (plugin prefix included), continuing the
 * caller's trace, active in the handler after `await`, carried by outgoing calls, stamped on log lines;
 * a 400 from validation is not an error, a thrown 500 is.
 */
import { fileURLToPath } from 'node:url';
import { type DumpedSpan, httpCall, killAllChildren, startFixtureApp } from '@autotelemetry/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

const SERVER = 1;
const CLIENT = 2;
const ERROR = 2;

function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

const start = (script: string, env: Record<string, string>) => startFixtureApp(fixture(script), env);

afterAll(async () => {
  await killAllChildren();
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const json = { 'content-type': 'application/json' };

describe.each([
  ['cjs-fastify-first.cjs', '0'],
  ['cjs-telemetry-first.cjs', '0'],
  ['esm-plain.mjs', '0'],
  ['cjs-fastify-first.cjs', '1'],
  ['cjs-telemetry-first.cjs', '1'],
  ['esm-plain.mjs', '1'],
])('%s (official incoming HTTP instrumentation: %s)', (script, official) => {
  it('gives exactly one SERVER span per request, named by the declared route, with context and propagation', async () => {
    const { proc, port } = await start(script, { OFFICIAL_INCOMING: official });
    const user = await httpCall(port, '/api/v1/users/42', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=abc' },
    });
    expect(user.status).toBe(200);
    expect((await httpCall(port, '/api/v1/orders', { method: 'POST', headers: json, body: '{}' })).status).toBe(400);
    expect(
      (await httpCall(port, '/api/v1/orders', { method: 'POST', headers: json, body: '{"sku":"A1"}' })).status,
    ).toBe(201);
    const outgoing = await httpCall(port, '/api/v1/outgoing');
    expect((await httpCall(port, '/nope')).status).toBe(404);
    expect((await httpCall(port, '/boom')).status).toBe(500);
    // An excluded path stays silent, whichever instrumentation would make its SERVER span: the first read of
    // the spans (an excluded path) has ended before the second.
    await httpCall(port, '/__spans');
    const spans = JSON.parse((await httpCall(port, '/__spans')).body) as DumpedSpan[];
    proc.kill();
    expect(spans.filter((s) => s.attributes['url.path'] === '/__spans')).toEqual([]);

    const servers = spans.filter((s) => s.kind === SERVER);
    expect(servers.map((s) => s.name).sort()).toEqual(
      [
        'GET /api/v1/users/:id',
        'POST /api/v1/orders',
        'POST /api/v1/orders',
        'GET /api/v1/outgoing',
        'GET /api/v1/echo',
        'GET /api/v1/echo',
        'GET',
        'GET /boom',
      ].sort(),
    );
    if (official === '1') {
      // The official instrumentation made each span; the lifecycle adopted it instead of adding another.
      for (const span of servers) expect(span.scope).toBe('@opentelemetry/instrumentation-http');
    }

    const userSpan = servers.find((s) => s.name === 'GET /api/v1/users/:id') as DumpedSpan;
    expect(userSpan.traceId).toBe(TRACE_ID);
    expect(userSpan.parentSpanId).toBe(PARENT_ID);
    expect(userSpan.traceState).toBe('vendor=abc');
    expect(userSpan.attributes['http.route']).toBe('/api/v1/users/:id');
    const ids = JSON.parse(user.body) as { before: { spanId: string }; after: { spanId: string } };
    expect(ids.before.spanId).toBe(userSpan.spanId);
    expect(ids.after.spanId).toBe(userSpan.spanId);

    const orders = servers.filter((s) => s.name === 'POST /api/v1/orders');
    const invalid = orders.find((s) => s.attributes['http.response.status_code'] === 400) as DumpedSpan;
    expect(invalid.status.code).not.toBe(ERROR);
    const boom = servers.find((s) => s.name === 'GET /boom') as DumpedSpan;
    expect(boom.status.code).toBe(ERROR);
    expect(boom.events).toContain('exception');

    const notFound = servers.find((s) => s.name === 'GET') as DumpedSpan;
    expect(notFound.attributes['http.route']).toBeUndefined();

    // Outgoing calls from the handler carry its context: /echo's spans are children of client spans that are
    // children of the /outgoing span.
    const outgoingSpan = servers.find((s) => s.name === 'GET /api/v1/outgoing') as DumpedSpan;
    const seen = JSON.parse(outgoing.body) as { self: { spanId: string }; viaFetch: string; viaHttp: string };
    expect(seen.self.spanId).toBe(outgoingSpan.spanId);
    const clients = spans.filter((s) => s.kind === CLIENT && s.parentSpanId === outgoingSpan.spanId);
    expect(clients).toHaveLength(2);
    expect([seen.viaFetch, seen.viaHttp].sort()).toEqual(
      clients.map((c) => `00-${outgoingSpan.traceId}-${c.spanId}-01`).sort(),
    );
    const echoes = servers.filter((s) => s.name === 'GET /api/v1/echo');
    expect(echoes.map((s) => s.parentSpanId).sort()).toEqual(clients.map((c) => c.spanId).sort());

    // The handler's request.log line carries the request span's ids — in the schema when Fastify logs through
    // AutoTelemetry, in the app's own pino format otherwise; one access line per request.
    await proc.exited;
    const lines = proc.json().filter((l) => typeof l.message === 'string');
    const line = proc.json().find((l) => l.message === 'user requested' || l.msg === 'user requested');
    expect(line?.trace_id).toBe(TRACE_ID);
    expect(line?.span_id).toBe(userSpan.spanId);
    const access = lines.filter(
      (l) => l.logger === 'http' && (l.data as { duration_ms?: number } | undefined)?.duration_ms !== undefined,
    );
    expect(access).toHaveLength(servers.length);
  });
});
