/**
 * The demo end to end on a real socket: the tour's requests give the spans, lines and metrics the README of
 * @autotelemetry/express promises — full route templates, the order's outgoing call joining its trace, 4xx
 * that are not errors, a failing route that is, and log lines carrying the request's ids.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestTelemetry } from '@autotelemetry/core/testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { expect, it } from 'vitest';
import { buildApp, SERVICE_NAME } from '../src/app.ts';
import { runTour, TOUR } from '../src/tour.ts';

it('shows every signal for the tour’s requests', async () => {
  const telemetry = await startTestTelemetry({ serviceName: SERVICE_NAME, logLevel: 'INFO' });
  const server: Server = buildApp().listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const statuses = await runTour(base);
    expect(statuses).toEqual([200, 200, 404, 400, 201, 409, 500, 404, 200]);
    expect(TOUR).toHaveLength(statuses.length);
    await new Promise((resolve) => setTimeout(resolve, 20));

    const spans = telemetry.getFinishedSpans();
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(servers.map((s) => s.name).sort()).toEqual(
      [
        'GET /api/catalog/products',
        'GET /api/catalog/products/:sku',
        'GET /api/catalog/products/:sku',
        'POST /api/orders',
        'GET /api/inventory/:sku',
        'POST /api/orders',
        'GET /api/inventory/:sku',
        'POST /api/orders',
        'GET /api/orders/:id/invoice',
        'GET /api/billing/invoices/:id',
        'GET',
      ].sort(),
    );
    const failing = new Set(['GET /api/orders/:id/invoice', 'GET /api/billing/invoices/:id']);
    for (const span of servers.filter((s) => !failing.has(s.name))) {
      expect(span.status.code, span.name).toBe(SpanStatusCode.UNSET);
    }
    const invoice = servers.find((s) => s.name === 'GET /api/orders/:id/invoice');
    expect(invoice?.status.code).toBe(SpanStatusCode.ERROR);
    expect(invoice?.attributes['error.type']).toBe('500');
    expect(invoice?.events.map((e) => e.name)).toEqual(['exception']);
    // Under it: the traced() renderer, its call to the billing service, and that service's 503.
    const renderer = spans.find((s) => s.name === 'billing.render_invoice');
    expect(renderer?.parentSpanContext?.spanId).toBe(invoice?.spanContext().spanId);
    expect(renderer?.status.code).toBe(SpanStatusCode.ERROR);
    const billingCall = spans.find(
      (s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === renderer?.spanContext().spanId,
    );
    expect(billingCall?.attributes['http.response.status_code']).toBe(503);
    expect(billingCall?.status.code).toBe(SpanStatusCode.ERROR);
    const billing = servers.find((s) => s.name === 'GET /api/billing/invoices/:id');
    expect(billing?.parentSpanContext?.spanId).toBe(billingCall?.spanContext().spanId);
    expect(billing?.attributes['http.response.status_code']).toBe(503);

    // The placed order: its inventory lookup is a client span under it, answered by a server span under that.
    const order = servers.find(
      (s) => s.name === 'POST /api/orders' && s.attributes['http.response.status_code'] === 201,
    );
    const orderSpanId = order?.spanContext().spanId;
    const lookup = spans.find((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === orderSpanId);
    const inventorySide = servers.find((s) => s.parentSpanContext?.spanId === lookup?.spanContext().spanId);
    expect(inventorySide?.name).toBe('GET /api/inventory/:sku');
    expect(inventorySide?.spanContext().traceId).toBe(order?.spanContext().traceId);
    expect(spans.find((s) => s.name === 'orders.price')?.parentSpanContext?.spanId).toBe(orderSpanId);

    const logs = telemetry.logs();
    expect(logs.find((l) => l.message === 'order placed')).toMatchObject({
      span_id: orderSpanId,
      data: { order_id: 1000, total: 105 },
      context: { 'http.request.method': 'POST', 'url.path': '/api/orders' },
    });
    expect(logs.find((l) => l.message === 'rendering invoice')).toMatchObject({
      logger: 'billing',
      span_id: invoice?.spanContext().spanId,
    });
    const failure = logs.find(
      (l) => l.level === 'ERROR' && String(l.message).startsWith('GET /api/orders/:id/invoice failed'),
    );
    expect(failure?.span_id).toBe(invoice?.spanContext().spanId);
    const accessLines = logs.filter((l) => l.logger === 'http' && l.data !== undefined);
    expect(accessLines).toHaveLength(servers.length);

    const duration = await telemetry.getMetric('http.server.request.duration');
    const routes = new Set(duration?.dataPoints.map((p) => p.attributes['http.route']));
    expect(routes).toEqual(
      new Set([
        '/api/catalog/products',
        '/api/catalog/products/:sku',
        '/api/orders',
        '/api/inventory/:sku',
        '/api/orders/:id/invoice',
        '/api/billing/invoices/:id',
        undefined,
      ]),
    );
  } finally {
    server.close();
    await telemetry.shutdown();
  }
});
