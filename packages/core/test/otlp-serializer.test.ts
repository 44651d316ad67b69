/**
 * The core's OTLP span serializer writes the bytes the SDK's serializer writes for the same spans — SDK
 * spans of every shape and the lifecycle's request spans —, on the first export (encoding each attribute)
 * and on later ones (copying kept encodings), and a real collector-side decoder reads them back. The batch
 * encoder, which writes each item as it comes, makes the same request bytes.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { type RequestSpan, RequestSpanFactory } from '../src/http/request-span.js';
import { BatchEncoder } from '../src/otlp/batch-encoder.js';
import { LogsSerializer } from '../src/otlp/logs-serializer.js';
import { SharedEncodings, TraceSerializer } from '../src/otlp/trace-serializer.js';

function makeSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const resource = resourceFromAttributes({
    'service.name': 'encoder.test',
    'service.version': '1.2.3',
    'host.cpus': 2,
    'process.pid': 4242,
  });
  const processors = [new SimpleSpanProcessor({ exporter })];
  const sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() });
  const provider = new TracerProvider({ resource, sampler, spanProcessors: processors });
  const tracer = provider.getTracer('encoder.tracer', '9.9.9');
  const other = provider.getTracer('other.scope');

  const root = tracer.startSpan('root', {
    kind: SpanKind.SERVER,
    attributes: {
      's.ascii': 'plain',
      's.utf8': 'héllo wörld ✓ 😀',
      's.empty': '',
      's.long': 'x'.repeat(70_000),
      'n.int': 42,
      'n.zero': 0,
      'n.negative': -7,
      'n.big': 2 ** 40,
      'n.bigNegative': -(2 ** 40),
      'n.double': 3.25,
      'n.nan': Number.NaN,
      'b.true': true,
      'b.false': false,
      'a.strings': ['a', 'b', 'ç'],
      'a.numbers': [1, 2.5, -3],
      'a.bools': [true, false],
    },
  });
  root.addEvent('plain event');
  root.addEvent('event with attributes', { 'e.key': 'v', 'e.n': 1 }, [1_700_000_000, 123_456_789]);
  root.recordException(new Error('boom'));
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'it failed' });
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);
  const child = tracer.startSpan(
    'child',
    {
      kind: SpanKind.CLIENT,
      links: [
        { context: root.spanContext(), attributes: { 'link.kind': 'cause' } },
        {
          context: {
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            traceFlags: TraceFlags.NONE,
            isRemote: true,
            traceState: new TraceState('vendor=value,other=x'),
          },
        },
      ],
    },
    rootContext,
  );
  child.setStatus({ code: SpanStatusCode.OK });
  child.end([1_700_000_001, 5]);
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('congo=t61rcWkgMzE'),
  });
  const remoteChild = other.startSpan('remote child', { kind: SpanKind.CONSUMER }, remoteParent);
  remoteChild.end();
  root.end();

  // The lifecycle's request spans, on the same resource and processors.
  const factory = new RequestSpanFactory(resource, sampler, processors, { name: '@autotelemetry/core/http' });
  for (const path of ['/users/1', '/users/2', '/users/1']) {
    const span = factory.start(
      'GET',
      { 'http.request.method': 'GET', 'url.path': path, 'url.scheme': 'http', 'server.port': 3000 },
      remoteParent,
      performance.now(),
    ) as unknown as RequestSpan;
    span.setKnownAttribute('http.route', '/users/:id');
    span.setKnownAttribute('http.response.status_code', 200);
    span.endAt(performance.now());
  }
  return exporter.getFinishedSpans();
}

describe('the OTLP span serializer', () => {
  it('writes the SDK serializer’s bytes, first and on later exports', () => {
    const spans = makeSpans();
    expect(spans.length).toBe(6);
    const ours = new TraceSerializer(ProtobufTraceSerializer.deserializeResponse);
    const expected = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
    for (let round = 0; round < 3; round++) {
      expect(Buffer.from(ours.serializeRequest(spans)).equals(expected)).toBe(true);
    }
    // A batch in another order and a part of it: grouping by resource and scope, as the SDK groups them.
    const reordered = [...spans].reverse().slice(1);
    expect(
      Buffer.from(ours.serializeRequest(reordered)).equals(
        Buffer.from(ProtobufTraceSerializer.serializeRequest(reordered) as Uint8Array),
      ),
    ).toBe(true);
    expect(ours.serializeRequest([]).length).toBe(0);
  });

  it('writes the SDK serializer’s bytes for many distinct attribute values (past the kept ones)', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('many');
    for (let i = 0; i < 300; i++) {
      tracer
        .startSpan(`span ${i}`, { attributes: { 'url.path': `/items/${i}`, 'n.value': i * 1.5, kind: 'same' } })
        .end();
    }
    const spans = exporter.getFinishedSpans();
    const ours = new TraceSerializer(ProtobufTraceSerializer.deserializeResponse);
    for (let round = 0; round < 2; round++) {
      expect(
        Buffer.from(ours.serializeRequest(spans)).equals(
          Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array),
        ),
      ).toBe(true);
    }
    propagation.disable();
    context.disable();
  });
});

/** A batch encoder sharing nothing with the serializer it is compared to. */
function spanEncoder(): BatchEncoder<ReadableSpan> {
  const shared = new SharedEncodings();
  return new BatchEncoder(shared, new TraceSerializer(() => undefined, shared).writeSpan);
}

describe('the OTLP batch encoder', () => {
  it('makes, item by item, the bytes the SDK serializer makes of the whole batch', () => {
    const spans = makeSpans();
    const encoder = spanEncoder();
    for (let round = 0; round < 3; round++) {
      // Interleaved scopes: the groups keep first-seen order, as the SDK's serializer groups them.
      const batch = round === 1 ? [...spans].reverse().slice(1) : spans;
      for (const span of batch) encoder.add(span);
      expect(encoder.count).toBe(batch.length);
      const taken = encoder.take();
      expect(taken?.count).toBe(batch.length);
      expect(
        Buffer.from(taken?.bytes ?? []).equals(
          Buffer.from(ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array),
        ),
      ).toBe(true);
      expect(encoder.count).toBe(0);
    }
    expect(encoder.take()).toBeUndefined();
  });

  it('leaves no bytes of an item that fails to encode', () => {
    const [good] = makeSpans() as [ReadableSpan];
    const encoder = spanEncoder();
    const broken = { ...good, spanContext: () => good.spanContext(), attributes: good.attributes } as ReadableSpan;
    Object.defineProperty(broken, 'name', {
      get() {
        throw new Error('hostile getter');
      },
    });
    encoder.add(good);
    expect(() => encoder.add(broken)).toThrow('hostile getter');
    encoder.add(good);
    expect(encoder.count).toBe(2);
    expect(
      Buffer.from(encoder.take()?.bytes ?? []).equals(
        Buffer.from(ProtobufTraceSerializer.serializeRequest([good, good]) as Uint8Array),
      ),
    ).toBe(true);
  });
});

describe('the OTLP log serializer', () => {
  it('writes the SDK serializer’s bytes, first and on later exports', () => {
    const exporter = new InMemoryLogRecordExporter();
    const resource = resourceFromAttributes({ 'service.name': 'encoder.test' });
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
    const logger = provider.getLogger('encoder.logs', '1.0.0');
    const other = provider.getLogger('other.logs');
    const span = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    const inSpan = trace.setSpan(ROOT_CONTEXT, span);
    for (let i = 0; i < 5; i++) {
      logger.emit({
        severityNumber: SeverityNumber.INFO,
        severityText: 'INFO',
        body: `GET /items/${i} 200 1.5 ms`,
        attributes: { method: 'GET', route: '/items/:id', path: `/items/${i}`, status: 200, duration_ms: 1.5 + i },
        context: inSpan,
      });
    }
    logger.emit({ body: { structured: ['body', 1, true], nested: { deep: 'é' } }, context: ROOT_CONTEXT });
    logger.emit({ severityNumber: SeverityNumber.ERROR, body: 'with exception', exception: new Error('boom') });
    other.emit({ eventName: 'app.event', attributes: { 'logger.name': 'x', list: ['a', 'b'] }, context: ROOT_CONTEXT });
    logger.emit({ severityNumber: SeverityNumber.UNSPECIFIED, timestamp: [1_700_000_000, 1], context: ROOT_CONTEXT });
    const records = exporter.getFinishedLogRecords();
    expect(records.length).toBe(9);
    const ours = new LogsSerializer(ProtobufLogsSerializer.deserializeResponse);
    const expected = Buffer.from(ProtobufLogsSerializer.serializeRequest(records) as Uint8Array);
    for (let round = 0; round < 3; round++) {
      expect(Buffer.from(ours.serializeRequest(records)).equals(expected)).toBe(true);
    }
    const shared = new SharedEncodings();
    const encoder = new BatchEncoder(shared, new LogsSerializer(() => undefined, shared).writeRecord);
    for (let round = 0; round < 2; round++) {
      for (const record of records) encoder.add(record);
      expect(Buffer.from(encoder.take()?.bytes ?? []).equals(expected)).toBe(true);
    }
  });
});
