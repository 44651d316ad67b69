/**
 * RabbitMQ through amqplib: PRODUCER spans for `publish`/`sendToQueue` and CONSUMER spans for each message a
 * `consume` callback gets, from the maintained `@opentelemetry/instrumentation-amqplib`, applied to the loaded
 * package (otel-patch.ts). The instrumentation injects `traceparent` into the message headers and starts the
 * consumer's span as a child of the publish span found there.
 *
 * What is changed, and why:
 * - Conventions. The instrumentation emits the pre-1.25 messaging attributes (`messaging.destination`,
 *   `messaging.rabbitmq.routing_key`, `messaging.message_id`…) with names such as `publish <default>` and
 *   `orders process`, and has no opt-in to the current ones. Its tracer is wrapped
 *   ({@link rabbitmqTracerProvider}) so that each span is started with the current conventions' name
 *   (`publish orders`, `process orders`) and attributes (`messaging.system`, `messaging.operation.name`,
 *   `messaging.operation.type`, `messaging.destination.name`…), translated from what the instrumentation
 *   passes; the old names never reach the span, and a sampler sees the new ones.
 * - Broker address. The instrumentation reads the broker's address when `lib/connect.js` opens a connection,
 *   but amqplib's entry files keep their own reference to that `connect` from load time, so a patch applied
 *   to the loaded package never sees a connection open. Instead `publish` and the channel's `delivery` event
 *   are wrapped once more, outside the instrumentation's wrappers, only to tell the tracer which channel the
 *   span starting now is for: `server.address`/`server.port` (and `network.peer.*`) are the connection
 *   socket's remote address and port — an IP address: the host name of the URL is kept nowhere a patch
 *   applied later can read.
 * - Failures. A confirm-channel publish that fails (the broker closes the channel: no such exchange) gets
 *   `error.type` (`not-found`) and the exception the channel reported (the status message stays the
 *   instrumentation's, "message confirmation has been nack'ed"); a message nacked or rejected, whose span the
 *   instrumentation marks ERROR, gets `error.type` = the way it ended (`nack`, `reject`…). A publish on a
 *   plain channel is fire-and-forget: its span has ended before the broker can refuse it.
 *
 * The message body is never read. The instrumentation records no metrics; the duration histograms come from
 * the spans (client-metrics.ts).
 */
import {
  type Attributes,
  type Context,
  createNoopMeter,
  type Span,
  SpanKind,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { failSpan } from './channel-spans.js';
import type { LoadedPackage } from './module-watch.js';
import { undoInReverse } from './otel-patch.js';

export const RABBITMQ_SYSTEM = 'rabbitmq';

/** The attributes the instrumentation (0.71) sets, read here and never kept. */
const OLD_EXCHANGE = 'messaging.destination';
const OLD_ROUTING_KEY = 'messaging.rabbitmq.routing_key';
const OLD_MESSAGE_ID = 'messaging.message_id';
const OLD_CONVERSATION_ID = 'messaging.conversation_id';
/** The suffix of its consumer span names, `<queue> process`. */
const PROCESS_SUFFIX = ' process';

/** AMQP 0-9-1 reply codes a broker closes a channel or a connection with, by their names in the spec. */
const REPLY_CODES: Readonly<Record<number, string>> = {
  311: 'content-too-large',
  312: 'no-route',
  313: 'no-consumers',
  320: 'connection-forced',
  402: 'invalid-path',
  403: 'access-refused',
  404: 'not-found',
  405: 'resource-locked',
  406: 'precondition-failed',
  501: 'frame-error',
  502: 'syntax-error',
  503: 'command-invalid',
  504: 'channel-error',
  505: 'unexpected-frame',
  506: 'resource-error',
  530: 'not-allowed',
  540: 'not-implemented',
  541: 'internal-error',
};

/** What amqplib's channels hold that is read here. */
interface ChannelLike {
  readonly connection?: { readonly stream?: { readonly remoteAddress?: unknown; readonly remotePort?: unknown } };
  [CHANNEL_ERROR]?: unknown;
}

interface MessageLike {
  readonly fields?: { readonly deliveryTag?: unknown };
}

/** The last error a channel emitted (the broker's reason for closing it). */
const CHANNEL_ERROR = Symbol.for('autotelemetry.amqplib.channel-error');

interface Handoff {
  /**
   * The channel (and for a delivery, the message) whose span the instrumentation starts now: set around the
   * synchronous call that starts it, read by the tracer.
   */
  current: { readonly channel: ChannelLike; readonly message?: MessageLike } | undefined;
  /** The channel of each publish span, for the confirm hook. */
  readonly channelOfSpan: WeakMap<Span, ChannelLike>;
}

// Registered: the ESM and CJS copies of the core share the one instrumentation object (libraries.ts), so the
// wrappers, the tracer and the hooks must share this too, whichever copy made them.
const SLOT = Symbol.for('autotelemetry.amqplib-handoff.v1');
type GlobalWithSlot = typeof globalThis & { [SLOT]?: Handoff };

function shared(): Handoff {
  const global = globalThis as GlobalWithSlot;
  global[SLOT] ??= { current: undefined, channelOfSpan: new WeakMap() };
  return global[SLOT];
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A server-named queue (`amq.gen-…`) or the direct reply-to pseudo-queue: not a name to group by. */
function anonymity(name: string): Attributes | undefined {
  if (name.startsWith('amq.gen-')) return { 'messaging.destination.anonymous': true };
  if (name.startsWith('amq.rabbitmq.reply-to')) return { 'messaging.destination.temporary': true };
  return undefined;
}

/** `{exchange}:{routing key}`, either alone when the other is empty, `amq.default` when both are. */
export function publishDestination(exchange: string, routingKey: string): string {
  if (exchange !== '' && routingKey !== '') return `${exchange}:${routingKey}`;
  return exchange || routingKey || 'amq.default';
}

/** `{exchange}:{routing key}:{queue}` without the empty ones, and the queue once when it is the routing key. */
export function processDestination(exchange: string, routingKey: string, queue: string): string {
  const parts = [exchange, routingKey];
  if (queue !== routingKey) parts.push(queue);
  return parts.filter((part) => part !== '').join(':') || 'amq.default';
}

export interface MessagingSpanStart {
  readonly name: string;
  readonly attributes: Attributes;
}

/**
 * The current conventions' name and attributes of a span the instrumentation starts as `name` with
 * `attributes`; undefined for a span that is not one of its publish or process spans.
 */
export function describeRabbitmqSpan(
  name: string,
  kind: SpanKind | undefined,
  attributes: Attributes,
  channel?: ChannelLike,
  message?: MessageLike,
): MessagingSpanStart | undefined {
  const exchange = text(attributes[OLD_EXCHANGE]);
  const routingKey = text(attributes[OLD_ROUTING_KEY]);
  let operation: string;
  let destination: string;
  const out: Attributes = { 'messaging.system': RABBITMQ_SYSTEM };
  if (kind === SpanKind.PRODUCER) {
    operation = 'publish';
    out['messaging.operation.type'] = 'send';
    destination = publishDestination(exchange, routingKey);
    Object.assign(out, anonymity(routingKey));
  } else if (kind === SpanKind.CONSUMER && name.endsWith(PROCESS_SUFFIX)) {
    const queue = name.slice(0, -PROCESS_SUFFIX.length);
    operation = 'process';
    out['messaging.operation.type'] = 'process';
    destination = processDestination(exchange, routingKey, queue);
    Object.assign(out, anonymity(queue) ?? anonymity(routingKey));
    const tag = message?.fields?.deliveryTag;
    if (typeof tag === 'number') out['messaging.rabbitmq.message.delivery_tag'] = tag;
  } else {
    return undefined;
  }
  out['messaging.operation.name'] = operation;
  out['messaging.destination.name'] = destination;
  if (routingKey !== '') out['messaging.rabbitmq.destination.routing_key'] = routingKey;
  const messageId = attributes[OLD_MESSAGE_ID];
  if (typeof messageId === 'string' || typeof messageId === 'number') out['messaging.message.id'] = String(messageId);
  const conversationId = attributes[OLD_CONVERSATION_ID];
  if (typeof conversationId === 'string' || typeof conversationId === 'number')
    out['messaging.message.conversation_id'] = String(conversationId);
  const socket = channel?.connection?.stream;
  if (typeof socket?.remoteAddress === 'string' && typeof socket.remotePort === 'number') {
    out['server.address'] = socket.remoteAddress;
    out['server.port'] = socket.remotePort;
    out['network.peer.address'] = socket.remoteAddress;
    out['network.peer.port'] = socket.remotePort;
  }
  const named = out['messaging.destination.anonymous'] !== true && out['messaging.destination.temporary'] !== true;
  return { name: named ? `${operation} ${destination}` : operation, attributes: out };
}

/** The instrumentation's tracer, starting its spans under the current conventions. */
class RabbitmqTracer implements Tracer {
  readonly #tracer: Tracer;

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  startSpan(name: string, options: SpanOptions = {}, ctx?: Context): Span {
    const { current, channelOfSpan } = shared();
    const channel = current?.channel;
    let start: MessagingSpanStart | undefined;
    try {
      start = describeRabbitmqSpan(name, options.kind, options.attributes ?? {}, channel, current?.message);
    } catch {
      start = undefined;
    }
    if (start === undefined) return this.#tracer.startSpan(name, options, ctx);
    const span = this.#tracer.startSpan(start.name, { ...options, attributes: start.attributes }, ctx);
    if (channel !== undefined && options.kind === SpanKind.PRODUCER) channelOfSpan.set(span, channel);
    return span;
  }

  startActiveSpan: Tracer['startActiveSpan'] = ((...args: unknown[]) =>
    Reflect.apply(this.#tracer.startActiveSpan, this.#tracer, args)) as Tracer['startActiveSpan'];
}

/** `provider` whose tracers start the instrumentation's spans under the current conventions. */
export function rabbitmqTracerProvider(provider: TracerProvider): TracerProvider {
  return { getTracer: (name, version, options) => new RabbitmqTracer(provider.getTracer(name, version, options)) };
}

/** `error.type` of an amqplib error: the AMQP reply code's name (`not-found`), else its class. */
export function amqpErrorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && REPLY_CODES[code] !== undefined) return REPLY_CODES[code];
  if (typeof code === 'string' && code !== '' && code.length <= 64) return code;
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : '_OTHER';
}

/** A confirm-channel publish failed: the channel's own error (why the broker closed it) when it has one. */
function onPublishConfirm(span: Span, info: { confirmError?: unknown }): void {
  if (info.confirmError === undefined || info.confirmError === null) return;
  const cause = shared().channelOfSpan.get(span)?.[CHANNEL_ERROR] ?? info.confirmError;
  failSpan(span, cause);
  span.setAttribute('error.type', amqpErrorType(cause));
}

/** A message settled as a failure (nack, reject, channel closed, timeout): the way it ended. */
function onConsumeEnd(span: Span, info: { rejected?: boolean | null; endOperation?: unknown }): void {
  if (info.rejected === false || typeof info.endOperation !== 'string') return;
  span.setAttribute('error.type', info.endOperation);
}

const noMeters = { getMeter: () => createNoopMeter() };

/** Creates the instrumentation, loading its package now (only once `amqplib` is found). */
export function createAmqplibInstrumentation(
  requireDependency: NodeJS.Require,
  tracerProvider: TracerProvider,
): InstrumentationBase {
  const { AmqplibInstrumentation } = requireDependency('@opentelemetry/instrumentation-amqplib') as {
    AmqplibInstrumentation: new (config: object) => InstrumentationBase;
  };
  const instrumentation = new AmqplibInstrumentation({
    enabled: false,
    publishConfirmHook: onPublishConfirm,
    consumeEndHook: onConsumeEnd,
  });
  instrumentation.setTracerProvider(rabbitmqTracerProvider(tracerProvider));
  instrumentation.setMeterProvider(noMeters);
  return instrumentation;
}

type Method = (this: ChannelLike, ...args: unknown[]) => unknown;

/** Replaces `proto[name]` by `wrap(original)`; returns the undo, which leaves a later patch in place. */
function wrapMethod(proto: Record<string, unknown>, name: string, wrap: (original: Method) => Method): () => void {
  const original = proto[name];
  if (typeof original !== 'function') return () => {};
  const own = Object.hasOwn(proto, name);
  const wrapped = wrap(original as Method);
  proto[name] = wrapped;
  return () => {
    if (proto[name] !== wrapped) return;
    if (own) proto[name] = original;
    else delete proto[name];
  };
}

/** Runs `call` with `channel` (and `message`) as the one the tracer sees. */
function withCurrent<T>(channel: ChannelLike, message: MessageLike | undefined, call: () => T): T {
  const handoff = shared();
  const saved = handoff.current;
  handoff.current = { channel, message };
  try {
    return call();
  } finally {
    handoff.current = saved;
  }
}

interface ChannelModule {
  readonly Channel?: { readonly prototype: Record<string, unknown> };
  readonly ConfirmChannel?: { readonly prototype: Record<string, unknown> };
}

/**
 * Wraps, outside the instrumentation's own wrappers, the publish methods and the `emit` of the channels of
 * `loaded` (promise and callback APIs): each sets the channel the span starting inside is for, and `emit`
 * keeps the channel's last error. Returns the undo (to run before the instrumentation's).
 */
export function trackChannels(loaded: LoadedPackage): () => void {
  const undo: Array<() => void> = [];
  for (const file of ['lib/channel_model.js', 'lib/callback_model.js']) {
    let model: ChannelModule;
    try {
      model = loaded.requireFile(file) as ChannelModule;
    } catch {
      continue;
    }
    for (const proto of [model.Channel?.prototype, model.ConfirmChannel?.prototype]) {
      if (proto === undefined || !Object.hasOwn(proto, 'publish')) continue;
      undo.push(
        wrapMethod(
          proto,
          'publish',
          (original) =>
            function publish(this: ChannelLike, ...args: unknown[]) {
              return withCurrent(this, undefined, () => original.apply(this, args));
            },
        ),
      );
    }
    const channel = model.Channel?.prototype;
    if (channel === undefined) continue;
    undo.push(
      wrapMethod(
        channel,
        'emit',
        (original) =>
          function emit(this: ChannelLike, ...args: unknown[]) {
            if (args[0] === 'delivery')
              return withCurrent(this, args[1] as MessageLike, () => original.apply(this, args));
            if (args[0] === 'error') this[CHANNEL_ERROR] = args[1];
            return original.apply(this, args);
          },
      ),
    );
  }
  return undoInReverse(undo);
}
