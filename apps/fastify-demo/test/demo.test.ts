/**
 * The demo end to end on a real socket: the tour's requests give the spans, lines and metrics the README of
 * @autotelemetry/fastify promises — prefixed routes, the order's outgoing call joining its trace, a 400 that is
 * not an error, a 500 that is, `/metrics` on the app's port.
 */
import type { AddressInfo } from 'node:net';
import { startTestTelemetry } from '@autotelemetry/core/testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { expect, it } from 'vitest';
import { buildApp, SERVICE_NAME } from '../src/app.ts';
import { runTour, TOUR } from '../src/tour.ts';

it('shows every signal for the tour’s requests', async () => {
  const telemetry = await startTestTelemetry({ serviceName: SERVICE_NAME, logLevel: 'INFO' });
  const app = await buildApp();
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const statuses = await runTour(base);
    expect(statuses).toEqual([200, 200, 404, 400, 201, 500, 404, 200]);
    expect(TOUR).toHaveLength(statuses.length);
    const metricsText = await (await fetch(`${base}/metrics`)).text();
    await new Promise((resolve) => setTimeout(resolve, 20));

    const spans = telemetry.getFinishedSpans();
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(servers.map((s) => s.name).sort()).toEqual(
      [
        'GET /api/catalog/products',
        'GET /api/catalog/products/:sku',
        'GET /api/catalog/products/:sku',
        'POST /api/catalog/products',
        'POST /api/orders',
        'GET /api/catalog/products/:sku',
        'GET /api/orders/:id/invoice',
        'GET',
      ].sort(),
    );
    const order = servers.find((s) => s.name === 'POST /api/orders');
    const invoice = servers.find((s) => s.name === 'GET /api/orders/:id/invoice');
    const invalid = servers.find((s) => s.name === 'POST /api/catalog/products');
    expect(invalid?.status.code).toBe(SpanStatusCode.UNSET);
    expect(invoice?.status.code).toBe(SpanStatusCode.ERROR);
    expect(invoice?.events.map((e) => e.name)).toContain('exception');

    // The order's catalog lookup: a client span under the order's span, and the catalog's server span under it.
    const orderSpanId = order?.spanContext().spanId;
    const lookup = spans.find((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === orderSpanId);
    const catalogSide = servers.find((s) => s.parentSpanContext?.spanId === lookup?.spanContext().spanId);
    expect(catalogSide?.name).toBe('GET /api/catalog/products/:sku');
    expect(catalogSide?.spanContext().traceId).toBe(order?.spanContext().traceId);
    const pricing = spans.find((s) => s.name === 'orders.price');
    expect(pricing?.parentSpanContext?.spanId).toBe(orderSpanId);

    const placed = telemetry.logs().find((l) => l.message === 'order placed');
    expect(placed).toMatchObject({ logger: 'fastify', span_id: orderSpanId, data: { total: 105, order_id: 1000 } });
    expect(metricsText).toContain('http_route="/api/orders"');
  } finally {
    await app.close();
    await telemetry.shutdown();
  }
});
