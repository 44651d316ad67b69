/**
 * The logger: a real pino instance (so it can be Fastify's `loggerInstance` or pino-http's `logger`) whose
 * every line has the seed's schema — see log-format.ts for the line and DESIGN.md "Log line".
 *
 * Pino stays in charge of levels (a disabled level is pino's no-op, nothing runs), message formatting,
 * children, serializers and the destination. Three of its extension points are used:
 * - the `logMethod` hook turns the seed's `info(message, data)` into pino's `info(data, message)`;
 * - the `asJson` slot (published in `pino.symbols`) writes the line from parts rendered once per logger;
 * - `child` is wrapped so bindings are merged into one context instead of appended (pino appends them as
 *   they are, so a child named again would write `"logger"` twice).
 *
 * The root logger is named {@link ROOT_LOGGER_NAME}; `getLogger(name)` gives named children.
 */
import type { Context, Span } from '@opentelemetry/api';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { pino } from 'pino';
import { parseLogLevel } from '../config/environment.js';
import type { Config, LogDestination } from '../config/types.js';
import { isoTimestamp, isoTimestampAt, localTimestamp } from './clock.js';
import { flushStream, openDestination } from './destination.js';
import {
  childParts,
  formatJsonLine,
  formatTextLine,
  headFor,
  jsonLine,
  LEVEL_NAMES,
  type LineShared,
  type LoggerParts,
  LoneValue,
  PARTS,
  rootParts,
  type Serializers,
  serviceFragment,
} from './log-format.js';
import { OtelLogBridge } from './otel-bridge.js';
import { isError, LOG_LIMITS, SafeJson, truncateString } from './safe-json.js';
import { traceJsonFragment } from './trace-context.js';

export { LOG_LIMITS } from './safe-json.js';

/** The `logger` of lines written by the root logger itself (named loggers come from `getLogger`). */
export const ROOT_LOGGER_NAME = 'root';

/**
 * The seed's call shape, tried before pino's own: `logger.info('Processing done', { rows: 150 })`.
 * `data` is written under `data`; an Error (or an `err`/`error` key holding one) becomes the line's `error`.
 */
export type SeedLogFn = (message: string, data?: unknown) => void;

/**
 * A level method: the seed's `(message, data?)`, and pino's `(obj, message?, ...args)`, `(error)` and
 * `('hello %s', 'x')` forms.
 */
export type TelemetryLogFn = SeedLogFn & pino.LogFn;

type LevelMethodName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** A pino logger writing the seed's schema, with typed seed call shapes and {@link TelemetryLogger.getLogger}. */
export interface TelemetryLogger extends Omit<pino.Logger, LevelMethodName | 'child'> {
  /** Writes a TRACE line. */
  trace: TelemetryLogFn;
  /** Writes a DEBUG line. */
  debug: TelemetryLogFn;
  /** Writes an INFO line. */
  info: TelemetryLogFn;
  /** Writes a WARN line. */
  warn: TelemetryLogFn;
  /** Writes an ERROR line; with an Error inside an active span, also records an exception event on it. */
  error: TelemetryLogFn;
  /** Writes a FATAL line and flushes; with an Error inside an active span, also records it on the span. */
  fatal: TelemetryLogFn;
  /**
   * A child logger. A `logger` binding renames it; the other bindings are written under `context`, merged
   * with the parent's. Pino's options (`level`, `serializers`, `msgPrefix`, `redact` as extra keys) apply.
   */
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): TelemetryLogger;
  /** A child whose lines carry `logger: name`, keeping this logger's context. */
  getLogger(name: string): TelemetryLogger;
}

/** What {@link createLogger} may take besides the config. */
export interface CreateLoggerOverrides {
  /** Where lines go, instead of `config.logDestination`. */
  destination?: LogDestination;
  /** The root logger's `logger` value, instead of {@link ROOT_LOGGER_NAME}. */
  name?: string;
}

/** The logger with the slots this module reads and writes. */
interface InternalLogger {
  [PARTS]: LoggerParts;
  [key: symbol]: unknown;
  readonly levels: { readonly labels: Readonly<Record<number, string>> };
}

const { asJsonSym, serializersSym, setLevelSym, streamSym, timeSym, hooksSym, mixinSym } = pino.symbols;
// Present at run time, absent from pino's typings.
const { msgPrefixSym, needsMetadataGsym } = pino.symbols as unknown as Record<string, symbol>;

/** Pino's own implementations, taken from the first logger's prototype to call them from the overrides. */
interface PinoMethods {
  child(this: unknown, bindings: pino.Bindings, options?: pino.ChildLoggerOptions): InternalLogger;
  isLevelEnabled(this: unknown, level: string): boolean;
  setLevel(this: unknown, level: string | number): void;
}
let pinoMethods: PinoMethods | undefined;

function capturePinoMethods(logger: object): PinoMethods {
  const proto = Object.getPrototypeOf(logger) as Record<string | symbol, unknown>;
  return {
    child: proto.child as PinoMethods['child'],
    isLevelEnabled: proto.isLevelEnabled as PinoMethods['isLevelEnabled'],
    setLevel: proto[setLevelSym] as PinoMethods['setLevel'],
  };
}

const NO_BINDINGS: pino.Bindings = Object.freeze({});

/** `WARNING`/`CRITICAL` and upper-case names become pino's labels; anything else is passed through. */
function toPinoLevel(level: unknown): string | number {
  if (typeof level === 'number') return level;
  const known = typeof level === 'string' ? parseLogLevel(level) : undefined;
  return known === undefined ? (level as string) : known.toLowerCase();
}

// A placeholder pino's formatter would fill; `%%` alone is not one.
const PLACEHOLDER = /%[sdifjoOc]/;

function isMergingObject(value: object): boolean {
  if (isError(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) return true;
  // Raw http requests and responses: pino maps them to `req` / `res` itself.
  const candidate = value as { method?: unknown; headers?: unknown; socket?: unknown; setHeader?: unknown };
  return (
    Boolean(candidate.method && candidate.headers && candidate.socket) || typeof candidate.setHeader === 'function'
  );
}

/**
 * Pino's `logMethod` hook (runs only for enabled levels): `(message, data)` without a format placeholder
 * is the seed's shape and becomes pino's `(data, message)`; anything else goes to pino unchanged.
 */
function seedCallShape(this: pino.Logger, args: unknown[], method: pino.LogFn): void {
  if (args.length === 2) {
    const message = args[0];
    if (typeof message === 'string' && (message.indexOf('%') === -1 || !PLACEHOLDER.test(message))) {
      const data = args[1];
      const call = method as (this: pino.Logger, obj: unknown, msg?: string) => void;
      if (data === undefined) call.call(this, message);
      else if (data !== null && typeof data === 'object' && isMergingObject(data)) call.call(this, data, message);
      else call.call(this, new LoneValue(data), message);
      return;
    }
  }
  (method as (this: pino.Logger, ...rest: unknown[]) => void).apply(this, args);
}

/** Keys named by a child's pino-style `redact` option: the last segment of each path. */
function redactKeys(redact: pino.ChildLoggerOptions['redact']): string[] {
  const paths = Array.isArray(redact) ? redact : (redact?.paths ?? []);
  return paths.map(
    (path) =>
      path
        .replace(/\[["']?([^\]"']+)["']?\]$/, '.$1')
        .split('.')
        .pop() ?? path,
  );
}

function telemetryChild(
  this: InternalLogger,
  bindings: pino.Bindings,
  options?: pino.ChildLoggerOptions,
): TelemetryLogger {
  const parentParts = this[PARTS];
  let shared: LineShared = parentParts.shared;
  let pinoOptions = options;
  if (options?.redact !== undefined) {
    const { redact, ...rest } = options;
    pinoOptions = rest;
    const json = shared.json.extend(redactKeys(redact));
    shared = { ...shared, json, bridge: shared.bridge === undefined ? undefined : new OtelLogBridge(json) };
  }
  if (pinoOptions?.level !== undefined)
    pinoOptions = { ...pinoOptions, level: toPinoLevel(pinoOptions.level) as string };
  // Pino gets no bindings: they are rendered into this logger's parts, once, already merged.
  const child = (pinoMethods as PinoMethods).child.call(this, NO_BINDINGS, pinoOptions);
  child[PARTS] = childParts(parentParts, bindings, child[serializersSym] as Serializers, shared);
  return child as unknown as TelemetryLogger;
}

function getLogger(this: TelemetryLogger, name: string): TelemetryLogger {
  return this.child({ logger: typeof name === 'string' ? name : String(name) });
}

function bindings(this: InternalLogger): pino.Bindings {
  const parts = this[PARTS];
  return { logger: parts.name, ...parts.context };
}

function setBindings(this: InternalLogger, newBindings: pino.Bindings): void {
  this[PARTS] = childParts(this[PARTS], newBindings, this[serializersSym] as Serializers);
}

function setLevel(this: InternalLogger, level: string | number): void {
  (pinoMethods as PinoMethods).setLevel.call(this, toPinoLevel(level));
}

function isLevelEnabled(this: InternalLogger, level: string): boolean {
  return (pinoMethods as PinoMethods).isLevelEnabled.call(this, toPinoLevel(level) as string);
}

/**
 * Creates the root logger of a config: level, JSON or text lines, service fields, redaction, destination
 * (default: file descriptor 1, written synchronously) and, when `config.otlpEnabled`, OpenTelemetry log
 * records. Throws a {@link ConfigError} for a destination that cannot be opened.
 */
export function createLogger(config: Config, overrides: CreateLoggerOverrides = {}): TelemetryLogger {
  const stream = openDestination(overrides.destination ?? config.logDestination);
  const json = new SafeJson(config.redact);
  const shared: LineShared = {
    json,
    service: serviceFragment(config),
    // Lines become log records when something takes them: the OTLP exporter, the app's processors, the viewer.
    bridge:
      config.otlpEnabled || config.logRecordProcessors.length > 0 || config.viewerPort !== false
        ? new OtelLogBridge(json)
        : undefined,
  };
  const text = !config.jsonLogs;
  const logger = pino(
    {
      level: toPinoLevel(config.logLevel) as string,
      messageKey: 'message',
      errorKey: 'err',
      base: null,
      timestamp: text ? localTimestamp : isoTimestamp,
      hooks: { logMethod: seedCallShape },
    },
    stream,
  ) as unknown as InternalLogger & Record<string, unknown>;
  pinoMethods ??= capturePinoMethods(logger);
  logger[PARTS] = rootParts(shared, overrides.name ?? ROOT_LOGGER_NAME, logger[serializersSym] as Serializers);
  logger[asJsonSym] = text ? formatTextLine : formatJsonLine;
  logger[setLevelSym] = setLevel;
  logger.child = telemetryChild;
  logger.getLogger = getLogger;
  logger.bindings = bindings;
  logger.setBindings = setBindings;
  logger.isLevelEnabled = isLevelEnabled;
  return logger as unknown as TelemetryLogger;
}

/** Writes out anything the logger's destination still buffers, synchronously when it can. Never throws. */
export function flushLogger(logger: pino.BaseLogger | TelemetryLogger): void {
  flushStream((logger as unknown as Record<symbol, unknown>)[streamSym]);
}

/**
 * Writes lines whose `data` the caller rendered itself, with the same schema, trace ids, destination and
 * OpenTelemetry log record as the logger's own lines. The HTTP lifecycle writes its access line through
 * one: that line's keys are fixed, so its JSON is built from fragments prepared per route rather than by
 * walking a data object on every request.
 */
export interface PreparedLineWriter {
  /**
   * Writes one line at pino level `level` (the caller checked the level is enabled). `message` is the raw
   * message; `data` the JSON text of the line's `data` object; `attributes` the same data as log record
   * attributes (taken as the record's own, `logger.name` is added); `span` the span whose ids the line
   * carries, active in `context`; `timeMs` the epoch time the line tells of, in milliseconds.
   */
  write(
    level: number,
    message: string,
    data: string,
    attributes: AnyValueMap,
    span: Span,
    context: Context,
    timeMs: number,
  ): void;
}

/**
 * A {@link PreparedLineWriter} for `logger`, or undefined when its lines cannot be written that way and the
 * caller must use the ordinary methods: not a JSON `TelemetryLogger`, a message prefix, a mixin, a stream
 * hook or custom serializers, a destination that wants pino's per-line metadata, or one of `dataKeys`
 * among the redacted keys.
 */
export function preparedLineWriter(logger: unknown, dataKeys: readonly string[]): PreparedLineWriter | undefined {
  if (logger === null || typeof logger !== 'object') return undefined;
  const internal = logger as InternalLogger;
  // Its own parts: an object deriving from a logger (to override a level method, say) is written through.
  if (!Object.hasOwn(internal, PARTS) || internal[asJsonSym] !== formatJsonLine) return undefined;
  const parts = internal[PARTS];
  const stream = internal[streamSym] as { write(line: string): unknown; [key: symbol]: unknown } | undefined;
  if (stream === undefined || stream[needsMetadataGsym as symbol] === true) return undefined;
  if (internal[mixinSym] || (internal[hooksSym] as { streamWrite?: unknown } | undefined)?.streamWrite)
    return undefined;
  if (msgPrefixSym !== undefined && internal[msgPrefixSym]) return undefined;
  if (parts.serializers !== undefined || dataKeys.some((key) => parts.shared.json.isRedacted(key))) return undefined;
  const time = internal[timeSym] as () => string;
  return {
    write(level, message, data, attributes, span, context, timeMs) {
      // Read at each line: a child made by setBindings, a level added later, all keep working.
      const current = internal[PARTS];
      const text = message.length > LOG_LIMITS.maxStringLength ? truncateString(message) : message;
      const head = current.heads[level] ?? headFor(current.name, LEVEL_NAMES[level] ?? String(level));
      const stamp = time === isoTimestamp ? isoTimestampAt(timeMs) : time();
      stream.write(jsonLine(current, stamp, head, text, traceJsonFragment(span), data, ''));
      const bridge = current.shared.bridge;
      if (bridge === undefined || !bridge.enabled(level, context)) return;
      current.contextAttributes ??= bridge.contextAttributes(current.context);
      const record = isEmpty(current.contextAttributes) ? attributes : { ...current.contextAttributes, ...attributes };
      record['logger.name'] = current.name;
      bridge.emitPrepared(level, LEVEL_NAMES[level] as string, text, record, context, timeMs);
    },
  };
}

function isEmpty(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

/** The `logger` of the lines written for `console.*` calls (console-capture.ts). */
export const CONSOLE_LOGGER_NAME = 'console';

/**
 * The sink of captured console calls: lines of `root`'s schema and destination, named
 * {@link CONSOLE_LOGGER_NAME}, at every level (console output was never filtered by the log level), with the
 * trace ids of the active span and, on JSON lines, the call's Error as `error` (the readable text line already
 * shows its stack in the message). They become no OpenTelemetry log record: an exporter that prints records
 * to the console (the SDK's `ConsoleLogRecordExporter`) would otherwise feed on its own output. A line written
 * while the process is exiting is written out at once (no later turn of the event loop will).
 */
export function consoleLineWriter(root: TelemetryLogger): {
  write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error', message: string, error: unknown): void;
  close(): void;
} {
  const child = root.child({ logger: CONSOLE_LOGGER_NAME }, { level: 'trace' }) as unknown as InternalLogger &
    Record<string, (obj: unknown, msg?: string) => void>;
  const parts = child[PARTS];
  child[PARTS] = { ...parts, shared: { ...parts.shared, bridge: undefined } };
  const json = child[asJsonSym] === formatJsonLine;
  let exiting = false;
  const onExit = (): void => {
    exiting = true;
  };
  process.prependListener('exit', onExit);
  return {
    write(level, message, error) {
      const method = child[level] as (obj: unknown, msg?: string) => void;
      if (json && error !== undefined) method.call(child, { err: error }, message);
      else method.call(child, message);
      if (exiting) flushLogger(child as unknown as TelemetryLogger);
    },
    close() {
      process.removeListener('exit', onExit);
    },
  };
}
