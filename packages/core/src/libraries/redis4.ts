/**
 * node-redis 4 (`@redis/client` 1.x), which publishes no tracing channels: spans from the maintained
 * `@opentelemetry/instrumentation-redis`, applied to the loaded package (otel-patch.ts), with the same name
 * and attributes as the channel-based spans of node-redis ≥ 5.12 (redis.ts): one CLIENT span per command,
 * named by the command (`GET`), and one more for a MULTI or a pipeline.
 *
 * What is changed, and why:
 * - Only its `@redis/client` 1.x part is applied, and of it only the patches of `commander.js` (the command
 *   methods) and `client/index.js` (`sendCommand`): node-redis ≥ 5.12 is traced by its channels, and its
 *   per-command spans of a MULTI start when a command is queued, not when it runs.
 * - Commands attached before the patch. `@redis/client` attaches its command methods (`client.get`) to the
 *   client's prototype while its own files load, passing the executor they call by value; the instrumentation
 *   wraps that executor when the methods are attached, which a patch applied to the loaded package comes too
 *   late for — whether the app loaded node-redis before telemetry started or after (the package is found
 *   once its files have run). So the command methods are attached once more, through the patched path
 *   ({@link reattachCommands}); the undo puts back the methods they replaced.
 * - Names and attributes. The instrumentation names its spans `redis-GET` and records the raw arguments
 *   through a serializer; here the serializer records nothing, and the tracer it is given
 *   ({@link redis4TracerProvider}) starts each command span as `GET` with the attributes of node-redis 5:
 *   `db.system.name`, `db.operation.name`, `db.query.text` sanitized here ({@link redisCommandText}: keys
 *   stay, written values are `?`), `db.namespace` (the database index of the client's options),
 *   `server.address`/`server.port`. The client a command runs on is handed to the tracer around the
 *   instrumentation's synchronous call that starts the span. A failing command gets `error.type`, and the
 *   arguments Redis repeats in the error of an unknown command are left out of its status and exception.
 * - Its `redis-connect` span is not kept (node-redis 5 makes none): a non-recording span takes its place,
 *   carrying the caller's span context.
 * - MULTI and pipelines. `client.multiExecutor`, which runs both, is wrapped: a `MULTI` or `PIPELINE` span
 *   with `db.operation.batch.size`, and for a pipeline one span per command beside it, as node-redis 5 does.
 * - Module commands. `createClient()` of `redis` attaches the modules' commands (`client.json.get`) to a
 *   subclass, with the executor read from the prototype then: that executor is replaced by one that runs
 *   the command in the instrumentation's span, so clients created after the start trace them too.
 *
 * Not traced: legacyMode's callback API (its methods reach the private send path directly), module commands
 * of a client created before telemetry started, scripts and functions (`defineScript`), clusters' own
 * routing.
 */
import {
  type Attributes,
  type Context,
  context,
  createNoopMeter,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { errorType, failSpan, redactedException } from './channel-spans.js';
import type { LoadedPackage } from './module-watch.js';
import { undoInReverse } from './otel-patch.js';
import { REDIS_SYSTEM, redactRedisError } from './redis.js';

/** The versions of `@redis/client` patched (node-redis 4.1 – 4.7); 5.12 and later publish channels. */
export const REDIS4_VERSIONS = '>=1.1.0 <2';

/** The files of `@redis/client` whose patches are applied. */
const PATCHED_FILES = new Set(['@redis/client/dist/lib/commander.js', '@redis/client/dist/lib/client/index.js']);

/** The instrumentation's span name prefix, and its connect span's name. */
const SPAN_PREFIX = 'redis-';
const CONNECT_SPAN = 'redis-connect';

/** Longest query text kept: a command with thousands of keys is cut. */
const MAX_TEXT = 1024;

// How many arguments of a command may be shown as written; the others are `?`. Commands not listed show none.
/** Every argument: keys, field names, counts, cursors, patterns — never a value the app stores. */
const ALL_ARGUMENTS = new Set([
  'GET',
  'MGET',
  'GETDEL',
  'GETEX',
  'STRLEN',
  'EXISTS',
  'DEL',
  'UNLINK',
  'TOUCH',
  'TYPE',
  'TTL',
  'PTTL',
  'EXPIRE',
  'PEXPIRE',
  'EXPIREAT',
  'PEXPIREAT',
  'PERSIST',
  'INCR',
  'DECR',
  'INCRBY',
  'DECRBY',
  'INCRBYFLOAT',
  'KEYS',
  'SCAN',
  'DBSIZE',
  'SELECT',
  'WATCH',
  'UNWATCH',
  'HGET',
  'HMGET',
  'HGETALL',
  'HKEYS',
  'HVALS',
  'HLEN',
  'HEXISTS',
  'HDEL',
  'HSTRLEN',
  'HINCRBY',
  'HINCRBYFLOAT',
  'HSCAN',
  'LLEN',
  'LRANGE',
  'LINDEX',
  'LTRIM',
  'LPOP',
  'RPOP',
  'SCARD',
  'SMEMBERS',
  'SPOP',
  'SRANDMEMBER',
  'SSCAN',
  'SINTER',
  'SUNION',
  'SDIFF',
  'ZCARD',
  'ZRANGE',
  'ZREVRANGE',
  'ZRANGEBYSCORE',
  'ZREVRANGEBYSCORE',
  'ZCOUNT',
  'ZPOPMIN',
  'ZPOPMAX',
  'ZSCAN',
  'PFCOUNT',
  'XLEN',
  'XRANGE',
  'XREVRANGE',
  'XREAD',
  'XACK',
  'XDEL',
  'EXEC',
  'MULTI',
  'DISCARD',
  'PING',
  'INFO',
  'TIME',
  'FLUSHDB',
  'FLUSHALL',
]);

/** The first argument (the key, or a channel) only: the rest are values. */
const KEY_ONLY = new Set([
  'SET',
  'SETNX',
  'SETEX',
  'PSETEX',
  'GETSET',
  'APPEND',
  'SETRANGE',
  'MSET',
  'MSETNX',
  'HSET',
  'HSETNX',
  'HMSET',
  'LPUSH',
  'RPUSH',
  'LPUSHX',
  'RPUSHX',
  'LSET',
  'LINSERT',
  'LREM',
  'SADD',
  'SREM',
  'SISMEMBER',
  'SMISMEMBER',
  'ZADD',
  'ZREM',
  'ZSCORE',
  'ZINCRBY',
  'ZRANK',
  'PFADD',
  'XADD',
  'PUBLISH',
  'SPUBLISH',
]);

/** `GET cart:bob`, `SET cart:bob ?`: the command and its arguments, values replaced by `?`. */
export function redisCommandText(command: string, args: readonly unknown[]): string {
  const name = command.toUpperCase();
  const shown = ALL_ARGUMENTS.has(name) ? args.length : KEY_ONLY.has(name) ? 1 : 0;
  let text = name;
  for (let i = 0; i < args.length && text.length <= MAX_TEXT; i++) text += i < shown ? ` ${String(args[i])}` : ' ?';
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

interface ClientOptions {
  readonly socket?: { readonly host?: unknown; readonly port?: unknown; readonly path?: unknown };
  readonly database?: unknown;
}

interface ClientLike {
  readonly options?: ClientOptions;
}

/** What every span of a client says: the system, its database index and the server it talks to. */
export function redisClientAttributes(options: ClientOptions | undefined): Record<string, string | number> {
  const database = options?.database;
  const attributes: Record<string, string | number> = {
    'db.system.name': REDIS_SYSTEM,
    'db.namespace': String(typeof database === 'number' ? database : 0),
  };
  const socket = options?.socket;
  if (typeof socket?.path === 'string') {
    attributes['server.address'] = socket.path;
  } else {
    attributes['server.address'] = typeof socket?.host === 'string' ? socket.host : 'localhost';
    attributes['server.port'] = typeof socket?.port === 'number' ? socket.port : 6379;
  }
  return attributes;
}

/** A command's span: its name and attributes. */
export function describeRedis4Command(
  client: ClientLike | undefined,
  redisArgs: readonly unknown[],
  batchSize?: number,
): { name: string; attributes: Attributes } {
  const command = String(redisArgs[0] ?? '').toUpperCase();
  const attributes: Attributes = redisClientAttributes(client?.options);
  attributes['db.operation.name'] = command;
  attributes['db.query.text'] = redisCommandText(command, redisArgs.slice(1));
  if (batchSize !== undefined && batchSize > 1) attributes['db.operation.batch.size'] = batchSize;
  return { name: command, attributes };
}

interface Handoff {
  /** The command whose span the instrumentation starts now: set around its synchronous call, read by the tracer. */
  current: { readonly client: ClientLike | undefined; readonly args: readonly unknown[] } | undefined;
  /** The instrumentation's way of running a command in its span, once it is created. */
  traceCommand?: TraceClientCommand;
  /** Whether the module commands' executors trace (between a patch and its undo). */
  tracingModules?: boolean;
}

// Registered: the ESM and CJS copies of the core share the one instrumentation object (libraries.ts).
const SLOT = Symbol.for('autotelemetry.redis4-handoff.v1');
type GlobalWithSlot = typeof globalThis & { [SLOT]?: Handoff };

function shared(): Handoff {
  const global = globalThis as GlobalWithSlot;
  global[SLOT] ??= { current: undefined };
  return global[SLOT];
}

/**
 * `span`, whose recorded exception also sets `error.type` (the instrumentation records only the exception),
 * and whose status message and exception leave out the arguments a Redis error echoes.
 */
function asNodeRedisSpan(span: Span): Span {
  const record = span.recordException;
  const setStatus = span.setStatus;
  span.recordException = function recordException(this: Span, exception, time) {
    let recorded = exception;
    try {
      span.setAttribute('error.type', errorType(exception));
      recorded = redactedException(exception, redactRedisError);
    } catch {
      // The exception is still recorded.
    }
    return record.call(span, recorded, time);
  };
  span.setStatus = function redactedStatus(this: Span, status: SpanStatus) {
    const message = typeof status.message === 'string' ? redactRedisError(status.message) : status.message;
    return setStatus.call(span, message === status.message ? status : { ...status, message });
  };
  return span;
}

/** The instrumentation's tracer, starting its command spans with node-redis 5's name and attributes. */
class Redis4Tracer implements Tracer {
  readonly #tracer: Tracer;

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  startSpan(name: string, options: SpanOptions = {}, ctx?: Context): Span {
    if (name === CONNECT_SPAN) {
      return trace.wrapSpanContext(trace.getSpanContext(ctx ?? context.active()) ?? INVALID_SPAN_CONTEXT);
    }
    const current = shared().current;
    if (current === undefined || !name.startsWith(SPAN_PREFIX)) return this.#tracer.startSpan(name, options, ctx);
    let start: { name: string; attributes: Attributes };
    try {
      start = describeRedis4Command(current.client, current.args);
    } catch {
      // Never the instrumentation's own attributes: they could hold the raw arguments.
      start = { name: 'redis', attributes: { 'db.system.name': REDIS_SYSTEM } };
    }
    return asNodeRedisSpan(this.#tracer.startSpan(start.name, { ...options, attributes: start.attributes }, ctx));
  }

  startActiveSpan: Tracer['startActiveSpan'] = ((...args: unknown[]) =>
    Reflect.apply(this.#tracer.startActiveSpan, this.#tracer, args)) as Tracer['startActiveSpan'];
}

/** `provider` whose tracers start the instrumentation's spans as node-redis 5's. */
export function redis4TracerProvider(provider: TracerProvider): TracerProvider {
  return { getTracer: (name, version, options) => new Redis4Tracer(provider.getTracer(name, version, options)) };
}

type TraceClientCommand = (
  origFunction: unknown,
  origThis: ClientLike,
  origArguments: unknown,
  redisCommandArguments: readonly unknown[],
) => unknown;

interface RedisInstrumentationInternals extends InstrumentationBase {
  /** Its `@redis/client` part, which makes the command spans. */
  readonly instrumentationV4_V5?: { _traceClientCommand?: TraceClientCommand };
}

type Definitions = ReturnType<InstrumentationBase['getModuleDefinitions']>;

const noMeters = { getMeter: () => createNoopMeter() };

/** Creates the instrumentation, loading its package now (only once `@redis/client` 1.x is found). */
export function createRedis4Instrumentation(
  requireDependency: NodeJS.Require,
  tracerProvider: TracerProvider,
): InstrumentationBase {
  const { RedisInstrumentation } = requireDependency('@opentelemetry/instrumentation-redis') as {
    RedisInstrumentation: new (config: object) => RedisInstrumentationInternals;
  };
  const instrumentation = new RedisInstrumentation({
    enabled: false,
    requireParentSpan: false,
    // The text is made by the tracer from the arguments, sanitized; the raw ones are never serialized.
    dbStatementSerializer: () => undefined,
  });
  const commandPart = instrumentation.instrumentationV4_V5;
  const traceCommand = commandPart?._traceClientCommand;
  if (commandPart === undefined || typeof traceCommand !== 'function') {
    throw new Error('@opentelemetry/instrumentation-redis: no @redis/client command tracing found');
  }
  // Hands the client and the arguments of each command to the tracer while the span starts.
  commandPart._traceClientCommand = function traceClientCommand(origFunction, origThis, origArguments, redisArgs) {
    const handoff = shared();
    const saved = handoff.current;
    handoff.current = { client: origThis, args: Array.isArray(redisArgs) ? redisArgs : [] };
    try {
      return traceCommand.call(this, origFunction, origThis, origArguments, redisArgs);
    } finally {
      handoff.current = saved;
    }
  };
  shared().traceCommand = (origFunction, origThis, origArguments, redisArgs) =>
    commandPart._traceClientCommand?.(origFunction, origThis, origArguments, redisArgs);
  const definitions = instrumentation.getModuleDefinitions.bind(instrumentation);
  instrumentation.getModuleDefinitions = (): Definitions =>
    definitions()
      .filter((definition) => definition.name === '@redis/client')
      .map((definition) => ({
        name: definition.name,
        supportedVersions: [REDIS4_VERSIONS],
        patch: definition.patch,
        unpatch: definition.unpatch,
        files: definition.files.filter((file) => PATCHED_FILES.has(file.name)),
      })) as Definitions;
  instrumentation.setTracerProvider(redis4TracerProvider(tracerProvider));
  instrumentation.setMeterProvider(noMeters);
  return instrumentation;
}

type Method = (this: ClientLike, ...args: unknown[]) => unknown;

interface Wrapped {
  readonly __wrapped?: unknown;
  readonly __original?: unknown;
}

interface ClientClass {
  readonly name: string;
  readonly prototype: Record<string, unknown>;
}

interface QueuedCommand {
  readonly args?: unknown;
}

/** Ends the spans of a MULTI or a pipeline as `outcome` says. */
function endBatch(batch: Span, commands: readonly Span[], error: unknown, failed: boolean): void {
  if (failed) failSpan(batch, error, redactRedisError);
  batch.end();
  for (const span of commands) span.end();
}

/** A MULTI that EXEC discarded because a watched key changed (node-redis throws its own after the batch). */
class WatchError extends Error {}

/** The first error among the replies of a MULTI's EXEC (node-redis throws it only after the batch returned). */
function execError(results: unknown): unknown {
  if (!Array.isArray(results)) return undefined;
  const exec = results[results.length - 1];
  if (exec === null) return new WatchError('One (or more) of the watched keys has been changed');
  return Array.isArray(exec) ? exec.find((reply) => reply instanceof Error) : undefined;
}

/**
 * Wraps `multiExecutor`, which runs a MULTI (with a chain id) or a pipeline (without): a `MULTI` or
 * `PIPELINE` span, and for a pipeline a span per command. Returns the undo.
 */
function traceBatches(proto: Record<string, unknown>, tracer: Tracer): () => void {
  const original = proto.multiExecutor;
  if (typeof original !== 'function') return () => {};
  const wrapped = function multiExecutor(this: ClientLike, ...args: unknown[]): unknown {
    const [queued, , chainId] = args as [readonly QueuedCommand[] | undefined, unknown, unknown];
    const commands = Array.isArray(queued) ? queued : [];
    const mode = chainId === undefined ? 'PIPELINE' : 'MULTI';
    let batch: Span | undefined;
    const spans: Span[] = [];
    try {
      const attributes: Attributes = redisClientAttributes(this.options);
      attributes['db.operation.name'] = mode;
      attributes['db.operation.batch.size'] = commands.length;
      batch = tracer.startSpan(mode, { kind: SpanKind.CLIENT, attributes });
      if (mode === 'PIPELINE') {
        for (const command of commands) {
          const start = describeRedis4Command(this, Array.isArray(command.args) ? command.args : [], commands.length);
          spans.push(tracer.startSpan(start.name, { kind: SpanKind.CLIENT, attributes: start.attributes }));
        }
      }
    } catch {
      // The batch runs untraced.
    }
    const result = (original as Method).apply(this, args);
    if (batch === undefined) return result;
    const span = batch;
    if (typeof (result as Promise<unknown> | undefined)?.then !== 'function') {
      endBatch(span, spans, undefined, false);
      return result;
    }
    return (result as Promise<unknown>).then(
      (results) => {
        const error = mode === 'MULTI' ? execError(results) : undefined;
        endBatch(span, spans, error, error !== undefined);
        return results;
      },
      (error: unknown) => {
        endBatch(span, spans, error, true);
        throw error;
      },
    );
  };
  proto.multiExecutor = wrapped;
  return () => {
    if (proto.multiExecutor === wrapped) proto.multiExecutor = original;
  };
}

/**
 * Replaces `proto.commandsExecutor` by one that runs each command in the instrumentation's span, for the
 * module commands (`client.json.get`) of the clients created from now on: `createClient()` attaches them to
 * a subclass, with the executor it reads from the prototype then. Returns the undo.
 */
function traceModuleCommands(
  proto: Record<string, unknown>,
  transform: ((command: unknown, args: unknown[]) => { args?: unknown }) | undefined,
): () => void {
  const original = proto.commandsExecutor;
  const handoff = shared();
  if (typeof original !== 'function' || typeof transform !== 'function') return () => {};
  // Subclasses made meanwhile keep this executor: after the undo it only calls the original, until a later
  // start patches again.
  handoff.tracingModules = true;
  const wrapped = function commandsExecutor(this: ClientLike, ...callArgs: unknown[]): unknown {
    const traceCommand = handoff.traceCommand;
    if (handoff.tracingModules !== true || traceCommand === undefined) return Reflect.apply(original, this, callArgs);
    let redisArgs: unknown;
    try {
      redisArgs = transform(callArgs[0], Array.isArray(callArgs[1]) ? callArgs[1] : []).args;
    } catch {
      redisArgs = undefined;
    }
    if (!Array.isArray(redisArgs)) return Reflect.apply(original, this, callArgs);
    return traceCommand(original, this, callArgs, redisArgs);
  };
  proto.commandsExecutor = wrapped;
  return () => {
    handoff.tracingModules = false;
    if (proto.commandsExecutor === wrapped) proto.commandsExecutor = original;
  };
}

/**
 * The post-hoc steps of node-redis 4 (made after the instrumentation's patches, undone before them): the
 * client's command methods attached once more, through the instrumentation's patched `attachCommands`; the
 * executor of the module commands of clients created later; the MULTI/pipeline spans. Returns the undo.
 */
export function reattachCommands(loaded: LoadedPackage, tracer: Tracer): () => void {
  const undo: Array<() => void> = [];
  const commander = loaded.requireFile('dist/lib/commander.js') as {
    attachCommands?: ((config: object) => void) & Wrapped;
    transformCommandArguments?: (command: unknown, args: unknown[]) => { args?: unknown };
  };
  const Client = (loaded.requireFile('dist/lib/client/index.js') as { default?: ClientClass }).default;
  const commands = (loaded.requireFile('dist/lib/client/commands.js') as { default?: Record<string, unknown> }).default;
  if (Client === undefined || commands === undefined) return () => {};
  const proto = Client.prototype;
  if (commander.attachCommands?.__wrapped === true && typeof proto.commandsExecutor === 'function') {
    const before = new Map(Object.keys(commands).map((name) => [name, proto[name]]));
    commander.attachCommands({ BaseClass: Client, commands, executor: proto.commandsExecutor });
    const attached = new Map(Object.keys(commands).map((name) => [name, proto[name]]));
    undo.push(() => {
      for (const [name, method] of attached) if (proto[name] === method) proto[name] = before.get(name);
    });
    // After the re-attach, which must get the executor as it was.
    undo.push(traceModuleCommands(proto, commander.transformCommandArguments));
  }
  undo.push(traceBatches(proto, tracer));
  // The instrumentation's undo leaves its `connect` wrapper: a later start would wrap it again.
  undo.push(() => {
    const connect = proto.connect as Wrapped | undefined;
    if (connect?.__wrapped === true && typeof connect.__original === 'function') proto.connect = connect.__original;
  });
  return undoInReverse(undo);
}
