/**
 * The plugin over real sockets (`listen(0)` on 127.0.0.1): W3C trace context in and out, a client that hangs
 * up before the answer (the span ends once, as aborted), and a route of an encapsulated child plugin with a
 * prefix.
 */
import { once } from 'node:events';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestTelemetry } from '@autotelemetry/core/testing';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { autotelemetry } from '../src/index.js';
import { accessLines, onlyServerSpan, serverSpans, startPipeline, until } from './helpers.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

let telemetry: TestTelemetry;
let app: FastifyInstance;
let port: number;
/** A plain server that answers with the headers it received: the "downstream" of outgoing calls. */
let downstream: Server;
let downstreamPort: number;
/** Resolves when the slow route's handler has finished (after its client is gone). */
let slowFinished: Promise<void>;
let markSlowFinished: () => void;

/** The test's own calls to the app: not traced (the outgoing instrumentation would replace `traceparent`). */
function untraced<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    untraced(() =>
      http
        .request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject)
        .end(),
    );
  });
}

function headersVia(client: 'fetch' | 'http'): Promise<IncomingHttpHeaders> {
  const url = `http://127.0.0.1:${downstreamPort}/echo`;
  if (client === 'fetch') return fetch(url).then((r) => r.json() as Promise<IncomingHttpHeaders>);
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve(JSON.parse(body) as IncomingHttpHeaders));
      })
      .on('error', reject);
  });
}

beforeEach(async () => {
  telemetry = await startPipeline();
  downstream = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });
  downstream.listen(0, '127.0.0.1');
  await once(downstream, 'listening');
  downstreamPort = (downstream.address() as AddressInfo).port;
  slowFinished = new Promise((resolve) => {
    markSlowFinished = resolve;
  });

  app = Fastify();
  await app.register(autotelemetry);
  app.register(
    async (shop) => {
      shop.get<{ Params: { sku: string } }>('/products/:sku', async (request) => ({
        sku: request.params.sku,
        span: trace.getActiveSpan()?.spanContext().spanId ?? null,
      }));
      shop.get('/outgoing', async () => ({
        viaFetch: (await headersVia('fetch')).traceparent ?? null,
        viaHttp: (await headersVia('http')).traceparent ?? null,
        self: trace.getActiveSpan()?.spanContext().spanId ?? null,
      }));
    },
    { prefix: '/shop' },
  );
  app.get('/slow', async (request) => {
    // Answers only after the client has hung up.
    await once(request.raw.socket, 'close');
    await new Promise((resolve) => setTimeout(resolve, 20));
    markSlowFinished();
    return { late: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});

afterEach(async () => {
  await app.close();
  downstream.close();
  await telemetry.shutdown();
});

it('continues an incoming traceparent/tracestate, and starts a new trace for a malformed one', async () => {
  const response = await get('/shop/products/ab-12', {
    traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
    tracestate: 'vendor=abc,other=1',
  });
  expect(response.status).toBe(200);
  await get('/shop/products/cd-34', { traceparent: `00-${TRACE_ID}-zz-01` });
  await until(() => serverSpans(telemetry).length === 2);
  const [continued, fresh] = serverSpans(telemetry);
  expect(continued?.name).toBe('GET /shop/products/:sku');
  expect(continued?.spanContext().traceId).toBe(TRACE_ID);
  expect(continued?.parentSpanContext?.spanId).toBe(PARENT_ID);
  expect(continued?.spanContext().traceState?.serialize()).toBe('vendor=abc,other=1');
  expect((JSON.parse(response.body) as { span: string }).span).toBe(continued?.spanContext().spanId);
  expect(continued?.attributes).toMatchObject({
    'server.address': '127.0.0.1',
    'server.port': port,
    'client.address': '127.0.0.1',
    'http.route': '/shop/products/:sku',
  });
  expect(fresh?.name).toBe('GET /shop/products/:sku');
  expect(fresh?.spanContext().traceId).not.toBe(TRACE_ID);
  expect(fresh?.parentSpanContext).toBeUndefined();
});

it('sends the request span’s context on outgoing fetch and http calls', async () => {
  const response = await get('/shop/outgoing', { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
  const body = JSON.parse(response.body) as { viaFetch: string; viaHttp: string; self: string };
  await until(() => serverSpans(telemetry).length === 1);
  const server = onlyServerSpan(telemetry, 'GET /shop/outgoing');
  expect(body.self).toBe(server.spanContext().spanId);
  const clients = telemetry.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
  // Only the handler's two calls: the test's own call is untraced.
  expect(clients).toHaveLength(2);
  for (const client of clients) {
    expect(client.spanContext().traceId).toBe(TRACE_ID);
    expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  }
  const sent = [body.viaFetch, body.viaHttp].sort();
  expect(sent).toEqual(clients.map((c) => `00-${TRACE_ID}-${c.spanContext().spanId}-01`).sort());
});

it('ends the span of a request whose client hung up exactly once, as aborted', async () => {
  const request = untraced(() => http.request({ host: '127.0.0.1', port, path: '/slow', agent: false }));
  request.on('error', () => {});
  request.end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  request.destroy();
  await slowFinished;
  // The handler's late answer is dropped by Fastify; give any second end a chance to show up.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const span = onlyServerSpan(telemetry, 'GET /slow');
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
  expect(span.attributes['error.type']).toBe('aborted');
  expect(span.attributes['http.response.status_code']).toBeUndefined();
  const lines = accessLines(telemetry);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 'WARN', data: { route: '/slow', aborted: true } });
  const active = await telemetry.getMetric('http.server.active_requests');
  expect((active?.dataPoints ?? []).reduce((sum, p) => sum + (p.value as number), 0)).toBe(0);
});
