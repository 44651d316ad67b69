/**
 * RabbitMQ through amqplib, traced end to end against a real broker (installed by the project's scripts when
 * missing, on free loopback ports in a temp dir; one for the whole file). For Express, Fastify and Nest an app
 * in its own process loads amqplib before telemetry starts or after, from CJS or from ESM without a loader
 * flag, and publishes an order to queue `orders` inside a request; a worker in another process (a plain
 * script with @autotelemetry/node, exporting over OTLP to a real receiver that decodes what it sends)
 * consumes it. The publish span is a child of the request's SERVER span, the worker's process span a child
 * of the publish span (the `traceparent` travelled in the message headers), the worker's log line carries
 * the trace id, both sides follow the current messaging conventions, the message body is on no span, and
 * the duration histograms have their series.
 */
import {
  type DumpedSpan,
  ensureServer,
  killAllChildren,
  type NodeProcess,
  type OtlpReceiver,
  type RealServer,
  type ReceivedSpan,
  spawnNode,
  startOtlpReceiver,
  startRabbitmq,
} from '@autotelemetry/test-utils';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppRun,
  DUMPED,
  FRAMEWORKS,
  fixture,
  loadVariants,
  OTLP,
  pooled,
  requestAndChildren,
  runQueryApp,
  STATUS,
} from './fixture-runs.js';

const { PRODUCER } = DUMPED;
const OTLP_CONSUMER = OTLP.CONSUMER;
const { ERROR } = STATUS;

/** The instrumentation's own pre-1.25 attribute names, which must not reach a span. */
const OLD_ATTRIBUTES = [
  'messaging.destination',
  'messaging.destination_kind',
  'messaging.rabbitmq.routing_key',
  'messaging.message_id',
  'messaging.conversation_id',
  'messaging.operation',
  'messaging.protocol',
  'messaging.url',
];

const unavailable = ensureServer('rabbitmq');

let rabbit: RealServer | undefined;
let receiver: OtlpReceiver | undefined;
let worker: NodeProcess | undefined;

beforeAll(async () => {
  if (unavailable !== undefined) return;
  [rabbit, receiver] = await Promise.all([startRabbitmq(), startOtlpReceiver({ protocol: 'http/protobuf' })]);
  worker = spawnNode(fixture('worker.cjs'), {
    env: { AMQP_URL: rabbit.url, OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '500' },
    killAfterMs: 300_000,
  });
  await worker.waitForLine('"event":"consuming"', { timeoutMs: 30_000 });
  await warmUp(rabbit.url);
}, 120_000);

/**
 * One message from the test itself, whose process span must reach the receiver before any app runs: the
 * worker's first export (its exporter loaded, its first connection made) is then behind it, so a slow machine
 * cannot push the first apps' spans past the tests' waits. A message lost here fails the whole file.
 */
async function warmUp(url: string): Promise<void> {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    channel.sendToQueue('orders', Buffer.from(JSON.stringify({ order: 0 })), { messageId: 'warm-up' });
    await channel.close();
  } finally {
    await connection.close();
  }
  await otlp().waitForSpans(1, (s) => s.kind === OTLP_CONSUMER && s.attributes['messaging.message.id'] === 'warm-up', {
    timeoutMs: 60_000,
  });
}

afterAll(async () => {
  await killAllChildren();
  await receiver?.close();
  await rabbit?.stop();
});

function broker(): RealServer {
  if (rabbit === undefined) throw new Error('RabbitMQ not started');
  return rabbit;
}

function otlp(): OtlpReceiver {
  if (receiver === undefined) throw new Error('receiver not started');
  return receiver;
}

/** The worker's process span for the message published by `publish`, once it has been exported. */
async function processSpanOf(publish: DumpedSpan): Promise<ReceivedSpan> {
  const [span] = await otlp().waitForSpans(
    1,
    (s) => s.kind === OTLP_CONSUMER && s.traceId === publish.traceId && s.parentSpanId === publish.spanId,
    { timeoutMs: 20_000 },
  );
  return span as ReceivedSpan;
}

const VARIANTS = loadVariants();

/** Starts `script` for `framework`, makes the amqp calls, reads spans and metrics, stops it. */
function runApp(framework: string, script: string, order: string, env: Record<string, string> = {}): Promise<AppRun> {
  return runQueryApp(script, { FRAMEWORK: framework, ORDER: order, AMQP_URL: broker().url, ...env }, [
    'amqp',
    'amqp-reject',
    'amqp-fail',
  ]);
}

/**
 * The twelve app runs, two at a time (one per CPU of a small machine), made before the tests read them: the
 * worker's spans are exported in batches a second apart, so a test waiting for them right after its own run
 * would wait that second twelve times.
 */
const runs = new Map<string, Promise<AppRun>>();

beforeAll(async () => {
  if (unavailable !== undefined) return;
  const tasks = FRAMEWORKS.flatMap((framework) =>
    VARIANTS.map(([script, order]) => async () => {
      const run = runApp(framework, script, order);
      runs.set(`${framework} ${script} ${order}`, run);
      await run.catch(() => {});
    }),
  );
  await pooled(tasks, 2);
}, 120_000);

describe.skipIf(unavailable !== undefined).each(FRAMEWORKS)('%s', (framework) => {
  describe.each(VARIANTS)('%s (amqplib loaded %s telemetry starts)', (script, order) => {
    let spans: DumpedSpan[] = [];
    let metrics = '';
    let answers: Record<string, number> = {};

    beforeAll(async () => {
      const run = await runs.get(`${framework} ${script} ${order}`);
      if (run === undefined) throw new Error('app run missing');
      ({ spans, metrics, answers } = run);
    });

    it('answers as the app wrote it (telemetry changes no answer)', () => {
      expect(answers).toEqual({ amqp: 200, 'amqp-reject': 200, 'amqp-fail': 500 });
    });

    /** The PRODUCER spans under the SERVER span of GET /q/`query`. */
    function publishSpans(query: string): DumpedSpan[] {
      return requestAndChildren(spans, query, PRODUCER).children;
    }

    it('publish: a PRODUCER span under the request, by the current messaging conventions, no body', () => {
      const producers = publishSpans('amqp');
      expect(producers.map((s) => s.name)).toEqual(['publish orders']);
      const span = producers[0] as DumpedSpan;
      expect(span.scope).toBe('@opentelemetry/instrumentation-amqplib');
      expect(span.attributes).toMatchObject({
        'messaging.system': 'rabbitmq',
        'messaging.operation.name': 'publish',
        'messaging.operation.type': 'send',
        'messaging.destination.name': 'orders',
        'messaging.rabbitmq.destination.routing_key': 'orders',
        'messaging.message.id': expect.stringMatching(/^order-\d+-1$/),
        'server.address': '127.0.0.1',
        'server.port': broker().port,
      });
      for (const old of OLD_ATTRIBUTES) expect(span.attributes, old).not.toHaveProperty(old);
      expect(span.status.code).not.toBe(ERROR);
      expect(JSON.stringify(spans)).not.toContain('hunter2');
    });

    it('the worker continues the trace: its process span is a child of the publish span, its log line has the trace id', async () => {
      const publish = publishSpans('amqp')[0] as DumpedSpan;
      const span = await processSpanOf(publish);
      expect(span.name).toBe('process orders');
      expect(span.resource['service.name']).toBe('orders.worker');
      expect(span.scope.name).toBe('@opentelemetry/instrumentation-amqplib');
      expect(span.attributes).toMatchObject({
        'messaging.system': 'rabbitmq',
        'messaging.operation.name': 'process',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'orders',
        'messaging.message.id': publish.attributes['messaging.message.id'],
        'messaging.rabbitmq.message.delivery_tag': expect.any(Number),
        'server.address': '127.0.0.1',
        'server.port': broker().port,
      });
      for (const old of OLD_ATTRIBUTES) expect(span.attributes, old).not.toHaveProperty(old);
      expect(span.status.code).not.toBe(ERROR);
      expect(JSON.stringify(span.attributes)).not.toContain('hunter2');
      // The log line the consumer callback wrote, and the header the trace travelled in.
      const line = worker
        ?.json()
        .find(
          (l) =>
            l.message === 'Order received' &&
            (l.data as Record<string, unknown> | undefined)?.message_id === publish.attributes['messaging.message.id'],
        );
      expect(line, worker?.stdout.join('\n')).toMatchObject({
        trace_id: publish.traceId,
        span_id: span.spanId,
        data: { traceparent: `00-${publish.traceId}-${publish.spanId}-01` },
      });
      const [record] = await otlp().waitForLogs(1, (r) => r.traceId === publish.traceId, { timeoutMs: 10_000 });
      expect(record?.spanId).toBe(span.spanId);
    });

    it('a rejected message: the process span is ERROR with error.type reject', async () => {
      const publish = publishSpans('amqp-reject')[0] as DumpedSpan;
      expect(publish.name).toBe('publish orders');
      const span = await processSpanOf(publish);
      expect(span.status.code).toBe(ERROR);
      expect(span.attributes['error.type']).toBe('reject');
    });

    it('a publish the broker refuses (no such exchange, confirm channel): an ERROR span with the reason', () => {
      const producers = publishSpans('amqp-fail');
      expect(producers.map((s) => s.name)).toEqual(['publish no-such-exchange:orders']);
      const span = producers[0] as DumpedSpan;
      expect(span.status.code).toBe(ERROR);
      expect(span.events).toContain('exception');
      expect(span.attributes).toMatchObject({
        'error.type': 'not-found',
        'messaging.destination.name': 'no-such-exchange:orders',
        'messaging.rabbitmq.destination.routing_key': 'orders',
      });
    });

    it('records messaging.client.operation.duration for publish on /metrics, the refused one with error_type', () => {
      const series = metrics.split('\n').filter((line) => line.startsWith('messaging_client_operation_duration_count'));
      const ok = series.find((line) => line.includes('messaging_destination_name="orders"'));
      expect(ok, series.join('\n')).toBeDefined();
      expect(ok).toContain('messaging_system="rabbitmq"');
      expect(ok).toContain('messaging_operation_name="publish"');
      expect(ok).toContain(`server_port="${broker().port}"`);
      expect(ok).toMatch(/ 2$/);
      expect(series.some((line) => line.includes('error_type="not-found"'))).toBe(true);
      expect(metrics).not.toContain('hunter2');
    });
  });
});

describe.skipIf(unavailable !== undefined)('the worker', () => {
  it('exports messaging.process.duration with the destination, and error.type for the rejected messages', async () => {
    const { process, reject } = await waitForProcessPoints();
    expect(process?.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'orders',
      'server.address': '127.0.0.1',
    });
    expect(reject?.attributes['error.type']).toBe('reject');
  });
});

describe.skipIf(unavailable !== undefined)(
  'instrumentations: { amqplib: false } (OTEL_NODE_DISABLED_INSTRUMENTATIONS)',
  () => {
    it('publishes untraced: no PRODUCER span, no duration series', async () => {
      const { answers, spans, metrics } = await runApp('express', 'cjs.cjs', 'after', {
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'amqplib',
      });
      expect(answers).toEqual({ amqp: 200, 'amqp-reject': 200, 'amqp-fail': 500 });
      expect(spans.some((s) => s.attributes['url.path'] === '/q/amqp')).toBe(true);
      expect(spans.filter((s) => s.kind === PRODUCER)).toEqual([]);
      expect(metrics).not.toContain('messaging_client_operation_duration');
    });
  },
);

/** Waits until the worker's exported histogram has an ok point for `orders` and a rejected one. */
async function waitForProcessPoints(): Promise<{
  process: { attributes: Record<string, unknown> } | undefined;
  reject: { attributes: Record<string, unknown> } | undefined;
}> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const points = otlp()
      .metrics.filter((m) => m.name === 'messaging.process.duration')
      .flatMap((m) => m.points);
    const process = points.find(
      (p) => p.attributes['messaging.destination.name'] === 'orders' && p.attributes['error.type'] === undefined,
    );
    const reject = points.find((p) => p.attributes['error.type'] === 'reject');
    if ((process !== undefined && reject !== undefined) || Date.now() > deadline) return { process, reject };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
