/**
 * One SERVER span per request, on both platforms, when something else also instruments the same requests:
 * the Express or Fastify adapter package installed on the Nest app, or the official HTTP instrumentation
 * with its incoming spans on (the lifecycle then adopts its span and names it by Nest's route).
 */
import { killAllChildren } from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DumpedSpan, SPAN_KIND, startApp } from './helpers/app-process.js';
import { buildFixtureApp, type FixtureApp, type NestMajor } from './helpers/fixture-app.js';
import { call } from './helpers/http.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

const apps = new Map<NestMajor, FixtureApp>();

beforeAll(() => {
  for (const major of [12, 11] as const) apps.set(major, buildFixtureApp(major));
});

afterAll(async () => {
  await killAllChildren();
  for (const app of apps.values()) app.remove();
});

describe.each([
  [12, 'express', { ADAPTER: 'express' }, '@autotelemetry/core/http'],
  [12, 'fastify', { ADAPTER: 'fastify' }, '@autotelemetry/core/http'],
  [12, 'express', { OFFICIAL_INCOMING: '1' }, '@opentelemetry/instrumentation-http'],
  [12, 'fastify', { OFFICIAL_INCOMING: '1' }, '@opentelemetry/instrumentation-http'],
  [11, 'express', { OFFICIAL_INCOMING: '1' }, '@opentelemetry/instrumentation-http'],
  [11, 'fastify', { ADAPTER: 'fastify' }, '@autotelemetry/core/http'],
] as const)('Nest %i, platform-%s with %o', (major, platform, extra, scope) => {
  it('still gives exactly one SERVER span per request, named by Nest’s route', async () => {
    const running = await startApp(apps.get(major) as FixtureApp, { PLATFORM: platform, ...extra });
    const { port } = running;
    expect(
      (await call(running.port, 'GET', '/api/v1/cats/5', { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` })).status,
    ).toBe(200);
    expect((await call(port, 'POST', '/api/v1/cats', {}, { name: 'Felix' })).status).toBe(201);
    expect((await call(port, 'GET', '/api/v1/failures/boom')).status).toBe(500);
    expect((await call(port, 'GET', '/api/v1/cats/guarded')).status).toBe(403);
    // An excluded path stays silent, whichever instrumentation would make its SERVER span: the first read of
    // the spans (an excluded path) has ended before the second.
    await running.spans();
    const spans = await running.spans();
    await running.stop();

    expect(spans.filter((s) => String(s.attributes['url.path']).includes('__telemetry'))).toEqual([]);
    const servers = spans.filter((s) => s.kind === SPAN_KIND.SERVER);
    expect(servers.map((s) => s.name).sort()).toEqual(
      ['GET /api/v1/cats/:id', 'GET /api/v1/cats/guarded', 'GET /api/v1/failures/boom', 'POST /api/v1/cats'].sort(),
    );
    for (const span of servers) {
      expect(span.scope).toBe(scope);
      expect(span.attributes['http.route']).toBe(span.name.slice(span.name.indexOf(' ') + 1));
    }
    const cat = servers.find((s) => s.name === 'GET /api/v1/cats/:id') as DumpedSpan;
    expect(cat.traceId).toBe(TRACE_ID);
    expect(cat.parentSpanId).toBe(PARENT_ID);
    const boom = servers.find((s) => s.name === 'GET /api/v1/failures/boom') as DumpedSpan;
    expect(boom.status.code).toBe(2);
    expect(boom.events).toContain('exception');
    // Everything the handler made nests under the one request span.
    const find = spans.find((s) => s.name === 'cats.find') as DumpedSpan;
    expect(find.parentSpanId).toBe(cat.spanId);
  });
});
