/**
 * The lean tracers the pipeline gives the library instrumentations: their spans are made by the pipeline's
 * span factory, parented, sampled and processed as the SDK's would be, and whatever the factory does not
 * take (a start time, links, a new root, suppressed tracing, an attribute value to validate) is left to the
 * SDK's tracer, so that such a span is exactly the SDK's.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestSpan } from '../src/http/request-span.js';
import { leanTracerProvider } from '../src/pipeline/lean-tracer.js';
import { startTestPipeline, type TestPipeline } from './otel-test-pipeline.js';

describe('lean tracer provider', () => {
  let pipeline: TestPipeline;
  beforeEach(() => {
    pipeline = startTestPipeline();
  });
  afterEach(async () => {
    await pipeline.shutdown();
  });

  const leanTracer = (name = '@opentelemetry/instrumentation-pg', version = '0.78.0') =>
    leanTracerProvider(pipeline.lean.requestSpans, pipeline.tracerProvider).getTracer(name, version);

  it("makes the factory's spans, with the instrumentation's scope, as children of the active span", () => {
    const parent = pipeline.tracerProvider.getTracer('app').startSpan('GET /orders');
    const span = context.with(trace.setSpan(context.active(), parent), () =>
      leanTracer().startSpan('SELECT shop.orders', {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'postgresql', 'server.port': 5432, 'db.namespace': undefined },
      }),
    );
    span.setAttribute('db.query.text', 'SELECT * FROM orders WHERE id = $1');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.end();
    parent.end();
    expect(span).toBeInstanceOf(RequestSpan);
    const [exported] = pipeline.spansNamed('SELECT shop.orders');
    expect(exported?.instrumentationScope).toEqual({
      name: '@opentelemetry/instrumentation-pg',
      version: '0.78.0',
      schemaUrl: undefined,
    });
    expect(exported?.kind).toBe(SpanKind.CLIENT);
    expect(exported?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(exported?.spanContext().traceId).toBe(parent.spanContext().traceId);
    // The unset value is left out, as the SDK leaves it out.
    expect(exported?.attributes).toEqual({
      'db.system.name': 'postgresql',
      'server.port': 5432,
      'db.query.text': 'SELECT * FROM orders WHERE id = $1',
    });
    expect(exported?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
  });

  it('does not share the attributes object it was given', () => {
    const attributes = { 'db.system.name': 'postgresql' };
    const span = leanTracer().startSpan('pg.connect', { attributes });
    span.setAttribute('server.address', 'localhost');
    span.end();
    expect(attributes).toEqual({ 'db.system.name': 'postgresql' });
  });

  it('starts an active span with startActiveSpan, in any of its forms', () => {
    const tracer = leanTracer();
    const seen: string[] = [];
    tracer.startActiveSpan('one', (span) => {
      seen.push(trace.getActiveSpan() === span ? 'one active' : 'one not active');
      span.end();
    });
    tracer.startActiveSpan('two', { kind: SpanKind.PRODUCER }, (span) => {
      seen.push(trace.getActiveSpan() === span ? 'two active' : 'two not active');
      span.end();
    });
    tracer.startActiveSpan('three', {}, context.active(), (span) => {
      seen.push(trace.getActiveSpan() === span ? 'three active' : 'three not active');
      span.end();
    });
    expect(seen).toEqual(['one active', 'two active', 'three active']);
    expect(pipeline.spansNamed('two')[0]?.kind).toBe(SpanKind.PRODUCER);
  });

  it('reuses one tracer per scope', () => {
    const provider = leanTracerProvider(pipeline.lean.requestSpans, pipeline.tracerProvider);
    expect(provider.getTracer('a', '1')).toBe(provider.getTracer('a', '1'));
    expect(provider.getTracer('a', '1')).not.toBe(provider.getTracer('a', '2'));
  });

  it.each([
    ['a start time', { startTime: [1_700_000_000, 0] as [number, number] }],
    [
      'links',
      {
        links: [
          { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 } },
        ],
      },
    ],
    ['a new root', { root: true }],
    ['an array attribute', { attributes: { 'messaging.batch.ids': ['a', 'b'] } }],
  ])("leaves a span with %s to the SDK's tracer", (_what, options) => {
    const span = leanTracer().startSpan('consume', options);
    span.end();
    expect(span).not.toBeInstanceOf(RequestSpan);
    const [exported] = pipeline.spansNamed('consume');
    expect(exported?.instrumentationScope.name).toBe('@opentelemetry/instrumentation-pg');
    if ('startTime' in options) expect(exported?.startTime).toEqual([1_700_000_000, 0]);
    if ('links' in options) expect(exported?.links).toHaveLength(1);
    if ('attributes' in options) expect(exported?.attributes['messaging.batch.ids']).toEqual(['a', 'b']);
  });

  it('records nothing where tracing is suppressed (an exporter’s own calls)', () => {
    const span = context.with(suppressTracing(context.active()), () => leanTracer().startSpan('pg.query'));
    span.end();
    expect(span.isRecording()).toBe(false);
    expect(pipeline.spansNamed('pg.query')).toEqual([]);
  });
});
