/**
 * The gRPC pieces that need no gRPC server: channel targets read as `server.address` / `server.port`, the
 * instrumentation's server spans completed to the stable RPC conventions as they end, and the duration
 * histograms with their bounded cardinality. End to end, with real processes: apps/library-tests/test/grpc.test.ts.
 */
import { type Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type HistogramMetricData,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { ClientMetricsProcessor, MAX_SERIES, RPC_CLIENT_CALL_DURATION } from '../src/libraries/client-metrics.js';
import { endGrpcClientSpan, GRPC_INSTRUMENTATION_SCOPE, grpcStatusName, grpcTargetOf } from '../src/libraries/grpc.js';
import { RpcSpanProcessor } from '../src/libraries/rpc-spans.js';

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function pipeline() {
  const reader = new Reader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [
      new RpcSpanProcessor(),
      new ClientMetricsProcessor(meterProvider.getMeter('test')),
      new SimpleSpanProcessor({ exporter }),
    ],
  });
  const points = async (name: string): Promise<Attributes[]> => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === name) as HistogramMetricData | undefined;
    return metric?.dataPoints.map((point) => point.attributes) ?? [];
  };
  return { tracerProvider, exporter, points };
}

describe('grpcTargetOf', () => {
  it.each([
    ['dns:///127.0.0.1:50051', { address: '127.0.0.1', port: 50051 }],
    ['localhost:50051', { address: 'localhost', port: 50051 }],
    ['dns://8.8.8.8/orders.internal:443', { address: 'orders.internal', port: 443 }],
    ['ipv4:10.0.0.1:8443', { address: '10.0.0.1', port: 8443 }],
    ['[::1]:50051', { address: '::1', port: 50051 }],
    ['orders.internal', { address: 'orders.internal' }],
    ['unix:/run/orders.sock', {}],
  ])('%s', (target, expected) => {
    expect(grpcTargetOf(target)).toEqual(expected);
  });

  it('names the statuses, _OTHER for an unknown code', () => {
    expect([0, 5, 16, 17, undefined].map(grpcStatusName)).toEqual([
      'OK',
      'NOT_FOUND',
      'UNAUTHENTICATED',
      '_OTHER',
      '_OTHER',
    ]);
  });
});

describe('server spans of @opentelemetry/instrumentation-grpc', () => {
  /** A span as the instrumentation makes it for a call that ended with `code` (none: an error without one). */
  async function serverSpan(code: number | undefined) {
    const { tracerProvider, exporter } = pipeline();
    const span = tracerProvider
      .getTracer(GRPC_INSTRUMENTATION_SCOPE)
      .startSpan('grpc.shop.Orders/GetOrder', { kind: SpanKind.SERVER });
    span.setAttributes({ 'rpc.system': 'grpc', 'rpc.method': 'GetOrder', 'rpc.service': 'shop.Orders' });
    if (code === undefined) {
      span.setAttributes({ 'grpc.error_name': 'Error', 'grpc.error_message': 'handler crashed' });
    } else {
      span.setAttribute('rpc.grpc.status_code', code);
      if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: 'details' });
    }
    span.end();
    await tracerProvider.forceFlush();
    const [ended] = exporter.getFinishedSpans();
    if (ended === undefined) throw new Error('no span');
    return ended;
  }

  it('are named package.Service/Method with the stable attributes, the older ones gone', async () => {
    const span = await serverSpan(0);
    expect(span.name).toBe('shop.Orders/GetOrder');
    expect(span.attributes).toEqual({
      'rpc.system.name': 'grpc',
      'rpc.method': 'shop.Orders/GetOrder',
      'rpc.status_code': 'OK',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('are no error for a status that answers the caller (NOT_FOUND)', async () => {
    const span = await serverSpan(5);
    expect(span.attributes['rpc.status_code']).toBe('NOT_FOUND');
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("are an ERROR with error.type for the server's own failures, a handler error without code as UNKNOWN", async () => {
    const internal = await serverSpan(13);
    expect(internal.status.code).toBe(SpanStatusCode.ERROR);
    expect(internal.attributes).toMatchObject({ 'rpc.status_code': 'INTERNAL', 'error.type': 'INTERNAL' });
    const unknown = await serverSpan(undefined);
    expect(unknown.status.code).toBe(SpanStatusCode.ERROR);
    expect(unknown.attributes).toEqual({
      'rpc.system.name': 'grpc',
      'rpc.method': 'shop.Orders/GetOrder',
      'rpc.status_code': 'UNKNOWN',
      'error.type': 'UNKNOWN',
    });
  });
});

describe('rpc.client.call.duration', () => {
  it('has one series per method, status and target; after MAX_SERIES new methods fold into _OTHER', async () => {
    const { tracerProvider, points } = pipeline();
    const tracer = tracerProvider.getTracer('test');
    const call = (method: string, code: number) => {
      const span = tracer.startSpan(method, {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system.name': 'grpc',
          'rpc.method': method,
          'server.address': 'orders',
          'server.port': 50051,
        },
      });
      endGrpcClientSpan(span, { code, details: 'details' });
    };
    call('shop.Orders/GetOrder', 0);
    call('shop.Orders/GetOrder', 5);
    expect(await points(RPC_CLIENT_CALL_DURATION)).toEqual([
      {
        'rpc.system.name': 'grpc',
        'rpc.method': 'shop.Orders/GetOrder',
        'rpc.status_code': 'OK',
        'server.address': 'orders',
        'server.port': 50051,
      },
      {
        'rpc.system.name': 'grpc',
        'rpc.method': 'shop.Orders/GetOrder',
        'rpc.status_code': 'NOT_FOUND',
        'server.address': 'orders',
        'server.port': 50051,
        'error.type': 'NOT_FOUND',
      },
    ]);
    for (let i = 0; i < MAX_SERIES + 10; i++) call(`tenant${i}.Orders/GetOrder`, 0);
    const series = await points(RPC_CLIENT_CALL_DURATION);
    expect(series).toHaveLength(MAX_SERIES + 1);
    expect(series.filter((attributes) => attributes['rpc.method'] === '_OTHER')).toHaveLength(1);
  });
});
