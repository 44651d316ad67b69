/**
 * RabbitMQ spans under the current messaging conventions (libraries/amqplib.ts) and the messaging duration
 * histograms (libraries/client-metrics.ts), without a broker: spans started as the amqplib instrumentation
 * starts them (its names and pre-1.25 attributes) through the wrapped tracer, ended into the metrics
 * processor and an in-memory exporter. The end-to-end tests against a real broker are in apps/library-tests.
 */
import { type Attributes, SpanKind, SpanStatusCode, ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  amqpErrorType,
  describeRabbitmqSpan,
  processDestination,
  publishDestination,
  rabbitmqTracerProvider,
} from '../src/libraries/amqplib.js';
import {
  ClientMetricsProcessor,
  DB_CLIENT_OPERATION_DURATION,
  MAX_SERIES,
  MESSAGING_CLIENT_OPERATION_DURATION,
  MESSAGING_PROCESS_DURATION,
} from '../src/libraries/client-metrics.js';
import { LIBRARY_INSTRUMENTATION_SCOPE } from '../src/libraries/libraries.js';
import { MetricCellStore } from '../src/metrics/cell-store.js';

class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** What the instrumentation passes for `channel.sendToQueue('orders', …, { messageId: 'm-1' })`. */
const SEND_TO_QUEUE: Attributes = {
  'messaging.destination': '',
  'messaging.destination_kind': 'topic',
  'messaging.rabbitmq.routing_key': 'orders',
  'messaging.message_id': 'm-1',
};

/** What it passes for a delivery from queue `orders` published that way. */
const DELIVERY: Attributes = {
  'messaging.destination': '',
  'messaging.destination_kind': 'topic',
  'messaging.rabbitmq.routing_key': 'orders',
  'messaging.operation': 'process',
  'messaging.message_id': 'm-1',
};

const OLD_KEYS = Object.keys({ ...SEND_TO_QUEUE, ...DELIVERY });

const channel = { connection: { stream: { remoteAddress: '10.0.0.7', remotePort: 5672 } } };

describe('span names and attributes by the current conventions', () => {
  it('sendToQueue: publish orders, a send to destination orders, the old names gone', () => {
    const start = describeRabbitmqSpan('publish <default>', SpanKind.PRODUCER, SEND_TO_QUEUE, channel);
    expect(start).toEqual({
      name: 'publish orders',
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.name': 'publish',
        'messaging.operation.type': 'send',
        'messaging.destination.name': 'orders',
        'messaging.rabbitmq.destination.routing_key': 'orders',
        'messaging.message.id': 'm-1',
        'server.address': '10.0.0.7',
        'server.port': 5672,
        'network.peer.address': '10.0.0.7',
        'network.peer.port': 5672,
      },
    });
  });

  it('a delivery from queue orders: process orders, with the delivery tag', () => {
    const start = describeRabbitmqSpan('orders process', SpanKind.CONSUMER, DELIVERY, channel, {
      fields: { deliveryTag: 3 },
    });
    expect(start?.name).toBe('process orders');
    expect(start?.attributes).toMatchObject({
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'orders',
      'messaging.rabbitmq.message.delivery_tag': 3,
      'server.address': '10.0.0.7',
    });
    for (const key of OLD_KEYS) expect(start?.attributes).not.toHaveProperty(key);
  });

  it.each([
    ['shop', 'orders.created', 'shop:orders.created'],
    ['logs', '', 'logs'],
    ['', 'orders', 'orders'],
    ['', '', 'amq.default'],
  ])('publish destination of exchange %j and routing key %j: %s', (exchange, routingKey, destination) => {
    expect(publishDestination(exchange, routingKey)).toBe(destination);
  });

  it.each([
    ['shop', 'orders.created', 'billing', 'shop:orders.created:billing'],
    ['', 'orders', 'orders', 'orders'],
    ['logs', '', 'audit', 'logs:audit'],
    ['shop', 'billing', 'billing', 'shop:billing'],
  ])('process destination of %j, %j, queue %j: %s', (exchange, routingKey, queue, destination) => {
    expect(processDestination(exchange, routingKey, queue)).toBe(destination);
  });

  it('a server-named queue is anonymous: the span is named by the operation alone', () => {
    const start = describeRabbitmqSpan('amq.gen-Xa2 process', SpanKind.CONSUMER, {
      'messaging.destination': 'logs',
      'messaging.rabbitmq.routing_key': '',
    });
    expect(start?.name).toBe('process');
    expect(start?.attributes).toMatchObject({
      'messaging.destination.name': 'logs:amq.gen-Xa2',
      'messaging.destination.anonymous': true,
    });
  });

  it('a reply to the direct reply-to queue is temporary', () => {
    const start = describeRabbitmqSpan('publish <default>', SpanKind.PRODUCER, {
      'messaging.destination': '',
      'messaging.rabbitmq.routing_key': 'amq.rabbitmq.reply-to.g1h2AA',
    });
    expect(start?.name).toBe('publish');
    expect(start?.attributes['messaging.destination.temporary']).toBe(true);
  });

  it('no socket (a closed connection): no server address', () => {
    const start = describeRabbitmqSpan('publish <default>', SpanKind.PRODUCER, SEND_TO_QUEUE, { connection: {} });
    expect(start?.attributes).not.toHaveProperty('server.address');
  });

  it('leaves any other span alone', () => {
    expect(describeRabbitmqSpan('orders', SpanKind.CONSUMER, {})).toBeUndefined();
    expect(describeRabbitmqSpan('work', SpanKind.INTERNAL, {})).toBeUndefined();
  });

  it('error.type: the AMQP reply code by its name, else the code or the class', () => {
    expect(amqpErrorType(Object.assign(new Error('Channel closed by server: 404'), { code: 404 }))).toBe('not-found');
    expect(amqpErrorType(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(amqpErrorType(new TypeError('x'))).toBe('TypeError');
    expect(amqpErrorType(Object.assign(new Error('odd'), { code: 999 }))).toBe('Error');
  });
});

// Both ways the pipeline records them: SDK histograms (an application's own reader, a redacted attribute)
// and its own cells, collected through the store's producer; each test must hold for both.
describe.each([
  ['SDK histograms', false],
  ['the pipeline’s own cells', true],
] as const)('spans through the wrapped tracer, into the duration histograms (%s)', (_, ownCells) => {
  let exporter: InMemorySpanExporter;
  let reader: OnDemandReader;
  let meterProvider: MeterProvider;
  let tracerProvider: TracerProvider;

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    const store = ownCells ? new MetricCellStore(resourceFromAttributes({})) : undefined;
    reader = new OnDemandReader({
      metricProducers: store ? [store.producer((type) => reader.selectAggregationTemporality(type))] : [],
    });
    meterProvider = new MeterProvider({ readers: [reader] });
    tracerProvider = new TracerProvider({
      spanProcessors: [
        new ClientMetricsProcessor(meterProvider.getMeter(LIBRARY_INSTRUMENTATION_SCOPE), store),
        new SimpleSpanProcessor({ exporter }),
      ],
    });
  });

  afterEach(async () => {
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });

  const tracer = () => rabbitmqTracerProvider(tracerProvider).getTracer('@opentelemetry/instrumentation-amqplib');

  async function points(name: string): Promise<DataPoint<Histogram>[]> {
    const { resourceMetrics } = await reader.collect();
    const found = resourceMetrics.scopeMetrics
      .filter((s) => s.scope.name === LIBRARY_INSTRUMENTATION_SCOPE)
      .flatMap((s) => s.metrics)
      .filter((m) => m.descriptor.name === name);
    // Recorded one way only: never both an SDK instrument and cells.
    expect(found.length).toBeLessThanOrEqual(1);
    const metric = found[0];
    if (metric !== undefined) {
      expect(metric.descriptor).toMatchObject({ unit: 's', valueType: ValueType.DOUBLE });
      for (const point of metric.dataPoints as DataPoint<Histogram>[]) {
        const boundaries = point.value.buckets.boundaries;
        expect(boundaries[0]).toBe(name === DB_CLIENT_OPERATION_DURATION ? 0.001 : 0.005);
        expect(point.value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(point.value.count);
      }
    }
    return (metric?.dataPoints ?? []) as DataPoint<Histogram>[];
  }

  it('starts the span with the new name and attributes: the SDK never holds the old ones', () => {
    tracer().startSpan('publish <default>', { kind: SpanKind.PRODUCER, attributes: SEND_TO_QUEUE }).end();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('publish orders');
    for (const key of OLD_KEYS) expect(span?.attributes).not.toHaveProperty(key);
  });

  it('a publish is a messaging.client.operation.duration point, a process a messaging.process.duration one', async () => {
    tracer().startSpan('publish <default>', { kind: SpanKind.PRODUCER, attributes: SEND_TO_QUEUE }).end();
    tracer().startSpan('orders process', { kind: SpanKind.CONSUMER, attributes: DELIVERY }).end();
    const [publish] = await points(MESSAGING_CLIENT_OPERATION_DURATION);
    expect(publish?.attributes).toEqual({
      'messaging.system': 'rabbitmq',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders',
    });
    expect(publish?.value.count).toBe(1);
    const [processed] = await points(MESSAGING_PROCESS_DURATION);
    expect(processed?.attributes).toMatchObject({
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'orders',
    });
    expect(await points(DB_CLIENT_OPERATION_DURATION)).toEqual([]);
  });

  it('a failed span without error.type gets one, from its exception or _OTHER, on the span and the series', async () => {
    const failed = tracer().startSpan('orders process', { kind: SpanKind.CONSUMER, attributes: DELIVERY });
    failed.recordException(new RangeError('bad order'));
    failed.setStatus({ code: SpanStatusCode.ERROR });
    failed.end();
    const bare = tracer().startSpan('publish <default>', { kind: SpanKind.PRODUCER, attributes: SEND_TO_QUEUE });
    bare.setStatus({ code: SpanStatusCode.ERROR });
    bare.end();
    expect(exporter.getFinishedSpans().map((s) => s.attributes['error.type'])).toEqual(['RangeError', '_OTHER']);
    expect((await points(MESSAGING_PROCESS_DURATION))[0]?.attributes['error.type']).toBe('RangeError');
    expect((await points(MESSAGING_CLIENT_OPERATION_DURATION))[0]?.attributes['error.type']).toBe('_OTHER');
  });

  it('an anonymous destination is no series of its own', async () => {
    tracer()
      .startSpan('amq.gen-Xa2 process', {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.destination': 'logs', 'messaging.rabbitmq.routing_key': '' },
      })
      .end();
    const [point] = await points(MESSAGING_PROCESS_DURATION);
    expect(point?.attributes).not.toHaveProperty('messaging.destination.name');
  });

  it(`keeps at most ${MAX_SERIES} attribute sets per histogram; later destinations fold into _OTHER`, async () => {
    for (let i = 0; i < MAX_SERIES + 50; i++) {
      tracer()
        .startSpan('publish <default>', {
          kind: SpanKind.PRODUCER,
          attributes: { 'messaging.destination': '', 'messaging.rabbitmq.routing_key': `tenant-${i}` },
        })
        .end();
    }
    const all = await points(MESSAGING_CLIENT_OPERATION_DURATION);
    expect(all).toHaveLength(MAX_SERIES + 1);
    const other = all.find((p) => p.attributes['messaging.destination.name'] === '_OTHER');
    expect(other?.value.count).toBe(50);
  });

  it('database spans still make db.client.operation.duration, and messaging ones never do', async () => {
    tracerProvider
      .getTracer('db')
      .startSpan('SELECT shop.orders', {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT' },
      })
      .end();
    const [point] = await points(DB_CLIENT_OPERATION_DURATION);
    expect(point?.attributes).toEqual({ 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT' });
    expect(await points(MESSAGING_CLIENT_OPERATION_DURATION)).toEqual([]);
  });
});
