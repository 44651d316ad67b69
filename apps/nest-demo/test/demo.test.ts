/**
 * The demo end to end, as it is run: compiled by `tsc` (decorators and their metadata), started as its own
 * process in the staging environment, exporting to a real OTLP receiver (http/protobuf) and serving
 * Prometheus. The tour's requests must give what the README of @autotelemetry/nestjs promises.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  killAllChildren,
  type OtlpReceiver,
  type ReceivedSpan,
  spawnNode,
  startOtlpReceiver,
} from '@autotelemetry/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';

const DEMO_DIR = fileURLToPath(new URL('../', import.meta.url));
const SERVER = 2;
const CLIENT = 3;

let receiver: OtlpReceiver;

beforeAll(async () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: DEMO_DIR, stdio: 'inherit' });
  receiver = await startOtlpReceiver({ protocol: 'http/protobuf' });
});

afterAll(async () => {
  await killAllChildren();
  await receiver?.close();
});

it('shows every signal for the tour’s requests', async () => {
  const port = await freePort();
  const metricsPort = await freePort();
  const demo = spawnNode(`${DEMO_DIR}dist/main.js`, {
    cwd: DEMO_DIR,
    env: {
      PORT: String(port),
      AUTOTELEMETRY_ENVIRONMENT: 'staging',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      AUTOTELEMETRY_PROMETHEUS_PORT: String(metricsPort),
      AUTOTELEMETRY_PROMETHEUS_HOST: '127.0.0.1',
      AUTOTELEMETRY_RUNTIME_METRICS: 'false',
    },
  });
  await demo
    .waitForLine((l) => l.includes('listening on'), { timeoutMs: 20_000 })
    .catch((error: unknown) => {
      throw new Error(`the demo did not start: ${String(error)}\n${demo.stderr.join('\n')}`);
    });
  const { runTour, TOUR } = (await import(`${DEMO_DIR}dist/tour.js`)) as typeof import('../src/tour.js');
  const statuses = await runTour(`http://127.0.0.1:${port}`);
  expect(statuses).toEqual([200, 401, 400, 201, 200, 200, 404, 500, 200]);
  expect(TOUR).toHaveLength(statuses.length);
  const scrape = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  demo.kill('SIGTERM');
  await demo.exited;

  // Every span reached the collector at shutdown.
  const spans = await receiver.waitForSpans(13, undefined, { timeoutMs: 10_000 });
  expect(receiver.decodeErrors).toEqual([]);
  const servers = spans.filter((s) => s.kind === SERVER);
  expect(servers.map((s) => s.name).sort()).toEqual(
    [
      'POST /api/v1/orders',
      'POST /api/v1/orders',
      'POST /api/v1/orders',
      'GET /api/v1/pricing/:sku',
      'GET /api/v1/orders/:id',
      'GET /api/v2/orders/:id',
      'GET /api/v1/orders/:id',
      'GET /api/v1/orders/:id/invoice',
      'POST /api/v1/orders/reprice',
      'GET /api/v1/pricing/:sku',
    ].sort(),
  );
  for (const span of spans) expect(span.resource['service.name']).toBe('demo.orders');
  const byStatus = (status: number) =>
    servers.find((s) => s.attributes['http.response.status_code'] === status) as ReceivedSpan;
  // 401 (guard), 400 (validation pipe), 404 (HttpException): the client's errors, not the server's.
  for (const status of [401, 400, 404]) expect(byStatus(status).status.code).toBe(0);
  const invoice = byStatus(500);
  expect(invoice.status.code).toBe(2);
  expect(invoice.events.map((e) => e.name)).toEqual(['exception']);

  // The order: POST span → orders.place (traced) → client call → the pricing API's server span, one trace.
  const placed = byStatus(201);
  const place = spans.find((s) => s.name === 'orders.place') as ReceivedSpan;
  expect(place.parentSpanId).toBe(placed.spanId);
  const call = spans.find((s) => s.kind === CLIENT && s.parentSpanId === place.spanId) as ReceivedSpan;
  const pricing = servers.find((s) => s.parentSpanId === call.spanId) as ReceivedSpan;
  expect(pricing.name).toBe('GET /api/v1/pricing/:sku');
  expect(pricing.traceId).toBe(placed.traceId);
  expect(spans.find((s) => s.name === 'orders.reprice')?.attributes['data.operation.rows']).toBe(1);

  // Metrics by route, over OTLP and on /metrics.
  const duration = await receiver.waitForMetric('http.server.request.duration');
  expect(duration.points.some((p) => p.attributes['http.route'] === '/api/v2/orders/:id')).toBe(true);
  expect(scrape).toContain('http_route="/api/v1/orders/:id/invoice"');

  // Nest's own lines and the app's, in the JSON schema; those of a request carry its ids.
  const lines = demo.json();
  for (const logger of ['NestFactory', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'Bootstrap']) {
    expect(lines.some((l) => l.logger === logger && l['service.name'] === 'demo.orders')).toBe(true);
  }
  expect(lines.find((l) => l.message === 'order placed')).toMatchObject({
    logger: 'orders',
    trace_id: placed.traceId,
    span_id: place.spanId,
    data: { order_id: 1000, total: 25 },
  });
  expect(lines.find((l) => l.logger === 'ExceptionsHandler')).toMatchObject({
    level: 'ERROR',
    message: 'invoice service timed out',
    span_id: invoice.spanId,
  });
});
