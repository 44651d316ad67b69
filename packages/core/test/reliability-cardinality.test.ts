/**
 * The metric cardinality cap, through a real server: even when route templates come from the client (a
 * framework, or an adapter, that hands the raw path to `setRoute`), `http.server.request.duration` keeps a
 * bounded number of series — past {@link MAX_ROUTE_ENTRIES} templates, every new one is recorded under the
 * overflow label `http.route="_OTHER"` — while each span still carries its real route.
 */
import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, SpanKind } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ROUTE_ENTRIES, OVERFLOW_ROUTE } from '../src/http/metrics.js';
import { getHttpLifecycle } from '../src/http/running-lifecycle.js';
import { startTestTelemetry, type TestTelemetry } from '../src/testing.js';

let telemetry: TestTelemetry;
let server: Server;
let port: number;

beforeAll(async () => {
  telemetry = await startTestTelemetry({ serviceName: 'cardinality.test', accessLog: false });
  // A careless adapter: the route template is whatever path the client sent.
  server = createServer((req, res) => {
    const record = getHttpLifecycle()?.begin(req, res);
    record?.setRoute(req.url ?? '/');
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await telemetry.shutdown();
});

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function send(path: string): Promise<void> {
  return context.with(suppressTracing(context.active()), () => {
    return new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
  });
}

describe('metric cardinality under client-chosen routes', () => {
  it(`caps the duration series at ${MAX_ROUTE_ENTRIES} routes plus one _OTHER series, spans keep the real route`, async () => {
    const total = 3000;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) await send(`/r/${next++}`);
    };
    await Promise.all(Array.from({ length: 16 }, worker));

    const duration = (await telemetry.getMetric('http.server.request.duration')) as HistogramMetricData;
    const routes = duration.dataPoints.map((p) => p.attributes['http.route']);
    // One series per route up to the cap, then one overflow series that keeps method and status.
    expect(duration.dataPoints).toHaveLength(MAX_ROUTE_ENTRIES + 1);
    expect(new Set(routes).size).toBe(routes.length);
    const overflow = duration.dataPoints.find((p) => p.attributes['http.route'] === OVERFLOW_ROUTE);
    expect(overflow?.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200 });
    expect(overflow?.value.count).toBe(total - MAX_ROUTE_ENTRIES);
    // Not the SDK's own last resort (an attribute-less `otel.metric.overflow` series): nothing was folded there.
    expect(duration.dataPoints.some((p) => p.attributes['otel.metric.overflow'] === true)).toBe(false);
    // The spans past the cap still tell which route it was.
    const spans = telemetry.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    expect(spans).toHaveLength(total);
    const last = spans.find((s) => s.attributes['url.path'] === `/r/${total - 1}`);
    expect(last?.name).toBe(`GET /r/${total - 1}`);
    expect(last?.attributes['http.route']).toBe(`/r/${total - 1}`);
    console.log(
      `${total} distinct routes: ${duration.dataPoints.length} duration series (cap ${MAX_ROUTE_ENTRIES} + _OTHER)`,
    );
  }, 60_000);
});
