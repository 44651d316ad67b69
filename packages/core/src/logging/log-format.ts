/**
 * The log line: the seed's JSON schema (production) or the readable text line (development).
 *
 * Pino hands each line's parts (merging object, formatted message, level number, time) to the function
 * stored under its `asJson` symbol; the two functions here take that place. Everything fixed for a logger
 * — the level/logger head, the service fields, the context of child bindings — is rendered once into
 * {@link LoggerParts}, so a line is the message, the trace ids, the data and a few concatenations.
 *
 * Line layout (JSON): `{"timestamp","level","logger","message","service.name","service.version",
 * "deployment.environment","trace_id"?,"span_id"?,"data"?,"error"?,"context"?}`.
 */
import type { Context, Exception, Span } from '@opentelemetry/api';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { pino } from 'pino';
import type { Config } from '../config/types.js';
import type { OtelLogBridge } from './otel-bridge.js';
import {
  isError,
  isPlainObject,
  LOG_LIMITS,
  moreKeys,
  quote,
  readMember,
  type SafeJson,
  ThrownMember,
  truncateString,
} from './safe-json.js';
import { activeContext, spanIn, traceJsonFragment, traceTextFragment } from './trace-context.js';

/** Upper-case level names by pino level number. */
export const LEVEL_NAMES: Readonly<Record<number, string>> = Object.freeze({
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
});

/** Pino's level number for ERROR: lines at or above it record their error on the active span. */
const ERROR_LEVEL = 50;

/** What every logger of one tree shares. */
export interface LineShared {
  /** Bounded JSON writer holding the redaction keys. */
  readonly json: SafeJson;
  /** `,"service.name":…,"service.version":…,"deployment.environment":…` */
  readonly service: string;
  /** Present when log records also go to the OpenTelemetry Logs API. */
  readonly bridge: OtelLogBridge | undefined;
}

/**
 * What is fixed for one logger: rendered when the logger is made, read on every line. Shared by a child
 * that changes nothing; only the lazily computed `contextAttributes` is ever written after creation.
 */
export interface LoggerParts {
  readonly shared: LineShared;
  /** Value of `logger`. */
  readonly name: string;
  /** Child bindings (after serializers), written under `context`. */
  readonly context: Readonly<Record<string, unknown>>;
  /** Per level number: `","level":"INFO","logger":"name","message":` */
  readonly heads: readonly (string | undefined)[];
  /** `,"context":{…}}\n`, or `}\n` without bindings. */
  readonly tail: string;
  /** ` context={…}` for the text line, or `''`. */
  readonly contextText: string;
  /** The context flattened for OpenTelemetry log records: filled in by the first record that needs it. */
  contextAttributes: AnyValueMap | undefined;
  /** Pino's serializers of the logger, or undefined when it has only pino's default `err` one. */
  readonly serializers: Serializers | undefined;
  /** The serializers object `serializers` was derived from (to notice a child's new one). */
  readonly serializersSource: Serializers | undefined;
}

/** Key of a logger's {@link LoggerParts}. */
export const PARTS: unique symbol = Symbol('autotelemetry.logger.parts');

/** Serializers by top-level key, as pino keeps them. */
export type Serializers = Readonly<Record<string, ((value: unknown) => unknown) | undefined>>;

/** A logger as the line functions see it (`this`). */
export interface LineSource {
  [PARTS]: LoggerParts;
  /** Pino's level labels by number (for levels added by a child's `customLevels`). */
  readonly levels: { readonly labels: Readonly<Record<number, string>> };
}

/**
 * A lone value passed as the seed's `data` (a string, a number, an array, a Map…): pino only takes
 * objects as merging objects, so it travels wrapped and is written as `data` itself.
 */
export class LoneValue {
  constructor(readonly value: unknown) {}
}

/** `,"service.name":…` fragment of a config. */
export function serviceFragment(config: Pick<Config, 'serviceName' | 'serviceVersion' | 'environment'>): string {
  return `,"service.name":${quote(config.serviceName)},"service.version":${quote(config.serviceVersion)},"deployment.environment":${quote(config.environment)}`;
}

function buildHeads(name: string): (string | undefined)[] {
  const heads: (string | undefined)[] = [];
  for (const level of [10, 20, 30, 40, 50, 60]) heads[level] = headFor(name, LEVEL_NAMES[level] as string);
  return heads;
}

/** `","level":…,"logger":…,"message":` for a logger name and a level name. */
export function headFor(name: string, levelName: string): string {
  return `","level":${quote(levelName)},"logger":${quote(name)},"message":`;
}

function renderContext(shared: LineShared, context: Readonly<Record<string, unknown>>): string {
  const writer = shared.json.begin(context);
  try {
    return writer.members(context, 0);
  } finally {
    writer.end();
  }
}

/**
 * The serializers worth calling per key: none when the logger only has pino's default `err` serializer
 * (the line's own error writer handles errors), which spares a lookup per key on most lines.
 */
function customSerializers(serializers: Serializers | undefined): Serializers | undefined {
  if (serializers === undefined) return undefined;
  for (const key in serializers) {
    if (key !== 'err' || serializers[key] !== pino.stdSerializers.err) return serializers;
  }
  return undefined;
}

/** Parts of a root logger. */
export function rootParts(shared: LineShared, name: string, serializers?: Serializers): LoggerParts {
  return {
    shared,
    name,
    context: Object.freeze({}),
    heads: buildHeads(name),
    tail: '}\n',
    contextText: '',
    contextAttributes: undefined,
    serializers: customSerializers(serializers),
    serializersSource: serializers,
  };
}

/**
 * Parts of a child: `logger` in the bindings renames it, every other binding joins the parent's context
 * (a repeated key replaces the parent's value, so no key is ever written twice).
 */
export function childParts(
  parent: LoggerParts,
  bindings: unknown,
  serializers: Serializers,
  shared: LineShared = parent.shared,
): LoggerParts {
  let name = parent.name;
  let context: Record<string, unknown> | undefined;
  if (bindings !== null && typeof bindings === 'object') {
    const record = bindings as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      let value: unknown;
      try {
        value = record[key];
        if (value === undefined) continue;
        if (key === 'logger') {
          name = typeof value === 'string' ? value : String(value);
          continue;
        }
        const serializer = serializers[key];
        if (serializer !== undefined) value = serializer(value);
      } catch (error) {
        value = `[Throws: ${error instanceof Error ? error.message : String(error)}]`;
      }
      context ??= { ...parent.context };
      context[key] = value;
    }
  }
  const sameSerializers = serializers === parent.serializersSource;
  if (context === undefined && name === parent.name && shared === parent.shared && sameSerializers) return parent;
  let { tail, contextText } = parent;
  const finalContext = context ?? parent.context;
  const contextChanged = context !== undefined || shared !== parent.shared;
  if (contextChanged) {
    const json = renderContext(shared, finalContext);
    tail = json === '{}' ? '}\n' : `,"context":${json}}\n`;
    contextText = json === '{}' ? '' : ` context=${json}`;
  }
  return {
    shared,
    name,
    context: finalContext,
    heads: name === parent.name ? parent.heads : buildHeads(name),
    tail,
    contextText,
    contextAttributes: contextChanged ? undefined : parent.contextAttributes,
    serializers: sameSerializers ? parent.serializers : customSerializers(serializers),
    serializersSource: serializers,
  };
}

/** What {@link readPayload} found. Filled in as its last step and read right away by the caller. */
interface Payload {
  message: string;
  /** JSON of `data`, or `''` when there is none. */
  data: string;
  /** The error the line carries, if any. */
  error: unknown;
  /** JSON of `error`, or `''`. */
  errorJson: string;
  /** Data values for the OpenTelemetry record (only collected when a bridge exists). */
  values: unknown;
}

// One scratch record instead of an allocation per line. It is written only after all user code of the
// payload (getters, toJSON, serializers) has run, so a line logged from such code cannot clobber it.
const payload: Payload = { message: '', data: '', error: undefined, errorJson: '', values: undefined };

function messageText(msg: unknown, writer: SafeJson): string {
  if (typeof msg === 'string') return msg;
  if (msg === undefined || msg === null) return '';
  if (typeof msg === 'object') return writer.value(msg, 1) ?? '';
  try {
    return String(msg);
  } catch {
    return '';
  }
}

/**
 * Splits pino's merging object into the line's message, data and error. `err` or `error` holding an Error
 * becomes the line's error; `message` fills an absent message; serializers apply per top-level key.
 */
function readPayload(
  writer: SafeJson,
  serializers: Serializers | undefined,
  obj: object,
  msg: unknown,
  collect: boolean,
): void {
  let message: string | undefined =
    typeof msg === 'string' ? msg : msg === undefined ? undefined : messageText(msg, writer);
  let error: unknown;
  let data = '';
  let values: unknown;
  if (isPlainObject(obj)) {
    const record = obj as Record<string, unknown>;
    let kept: Record<string, unknown> | undefined = collect ? {} : undefined;
    let members = '';
    let written = 0;
    let skipped = 0;
    try {
      for (const key in record) {
        if (!Object.hasOwn(record, key)) continue;
        // The top level is held to the same count as nested objects (the keys that shape the line excepted).
        if (written >= LOG_LIMITS.maxEntries && key !== 'err' && key !== 'error' && key !== 'message') {
          skipped++;
          continue;
        }
        let value = readMember(record, key);
        if (value instanceof ThrownMember) {
          members += writer.thrownMember(key, value.error);
          continue;
        }
        if (value === undefined) continue;
        if ((key === 'err' || key === 'error') && error === undefined && isError(value)) {
          error = value;
          continue;
        }
        if (key === 'message' && message === undefined && typeof value === 'string') {
          message = value;
          continue;
        }
        const serializer = serializers === undefined ? undefined : serializers[key];
        if (serializer !== undefined) {
          try {
            value = serializer(value);
          } catch (thrown) {
            members += writer.thrownMember(key, thrown);
            continue;
          }
        }
        members += writer.member(key, value, 0);
        written++;
        if (kept !== undefined) kept[key] = value;
      }
      if (skipped !== 0) members += moreKeys(skipped);
      if (members !== '') data = `{${members.slice(1)}}`;
    } catch {
      // Its keys cannot even be listed (a Proxy whose `ownKeys` throws): the whole value becomes one
      // `[Unserializable: …]` marker, written by the same bounded writer as nested values.
      data = writer.value(obj, 0) ?? '';
      kept = undefined;
    }
    values = kept;
  } else {
    const value = obj instanceof LoneValue ? obj.value : obj;
    if (value !== undefined) {
      data = isError(value) ? writer.error(value, 0) : (writer.value(value, 0) ?? '');
      values = value;
    }
  }
  let errorJson = '';
  if (error !== undefined) {
    errorJson = writer.error(error as Error, 0);
    if (message === undefined) message = messageText((error as Error).message, writer);
  }
  payload.message =
    message === undefined ? '' : message.length > LOG_LIMITS.maxStringLength ? truncateString(message) : message;
  payload.data = data;
  payload.error = error;
  payload.errorJson = errorJson;
  payload.values = values;
}

function read(parts: LoggerParts, obj: object, msg: unknown, collect: boolean): void {
  const writer = parts.shared.json.begin(obj);
  try {
    readPayload(writer, parts.serializers, obj, msg, collect);
  } finally {
    writer.end();
  }
}

function recordOnSpan(span: Span, error: unknown): void {
  try {
    span.recordException(error as Exception);
  } catch {
    // Telemetry never throws into the application.
  }
}

function levelName(source: LineSource, level: number): string {
  return LEVEL_NAMES[level] ?? String(source.levels.labels[level] ?? level).toUpperCase();
}

function bridgeLine(
  source: LineSource,
  parts: LoggerParts,
  level: number,
  message: string,
  values: unknown,
  error: unknown,
  ctx: Context,
): void {
  const bridge = parts.shared.bridge;
  if (bridge === undefined) return;
  parts.contextAttributes ??= bridge.contextAttributes(parts.context);
  bridge.emit({
    level,
    levelName: levelName(source, level),
    message,
    data: values,
    error,
    loggerName: parts.name,
    contextAttributes: parts.contextAttributes,
    context: ctx,
  });
}

/** Pino's `asJson` for JSON lines: `this` is the logger, `time` the ISO timestamp. */
export function formatJsonLine(this: LineSource, obj: object, msg: unknown, level: number, time: string): string {
  const parts = this[PARTS];
  const ctx = activeContext();
  const bridge = parts.shared.bridge;
  const bridged = bridge?.enabled(level, ctx) === true;
  read(parts, obj, msg, bridged);
  const { message, data, error, errorJson, values } = payload;
  const span = spanIn(ctx);
  let trace = '';
  if (span !== undefined) {
    trace = traceJsonFragment(span);
    if (error !== undefined && level >= ERROR_LEVEL) recordOnSpan(span, error);
  }
  if (bridged) bridgeLine(this, parts, level, message, values, error, ctx);
  return jsonLine(
    parts,
    time,
    parts.heads[level] ?? headFor(parts.name, levelName(this, level)),
    message,
    trace,
    data,
    errorJson,
  );
}

/**
 * A JSON line from a logger's parts: `head` its level/logger fragment, `message` the raw message (quoted
 * here), `trace` the ids fragment, `data` and `errorJson` JSON text or `''`. Shared by the logger's own lines
 * and the lines written from prepared fragments (logger.ts `preparedLineWriter`).
 */
export function jsonLine(
  parts: LoggerParts,
  time: string,
  head: string,
  message: string,
  trace: string,
  data: string,
  errorJson: string,
): string {
  return `{"timestamp":"${time}${head}${quote(message)}${parts.shared.service}${trace}${data === '' ? '' : `,"data":${data}`}${errorJson === '' ? '' : `,"error":${errorJson}`}${parts.tail}`;
}

// Control characters other than tab and newline would let a message rewrite the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

function escapeControl(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function errorText(error: unknown, depth: number): string {
  try {
    if (!isError(error)) return escapeControl(String(error));
    const stack =
      typeof error.stack === 'string' && error.stack !== '' ? error.stack : `${error.name}: ${error.message}`;
    let text = escapeControl(truncateString(stack));
    const cause = 'cause' in error ? error.cause : undefined;
    if (cause !== undefined) {
      text += depth >= 5 ? '\nCaused by: [cause chain truncated]' : `\nCaused by: ${errorText(cause, depth + 1)}`;
    }
    return text;
  } catch {
    return '[unreadable error]';
  }
}

/**
 * Pino's `asJson` for the development text line:
 * `2026-08-15 10:23:45.123 [INFO] pipeline - trace_id=… span_id=… - Processing done {"rows":3}`,
 * then ` context={…}` for child bindings and, for an error, its stack on the following lines.
 */
export function formatTextLine(this: LineSource, obj: object, msg: unknown, level: number, time: string): string {
  const parts = this[PARTS];
  const ctx = activeContext();
  const bridge = parts.shared.bridge;
  const bridged = bridge?.enabled(level, ctx) === true;
  read(parts, obj, msg, bridged);
  const { message, data, error, values } = payload;
  const span = spanIn(ctx);
  if (span !== undefined && error !== undefined && level >= ERROR_LEVEL) recordOnSpan(span, error);
  if (bridged) bridgeLine(this, parts, level, message, values, error, ctx);
  let line = `${time} [${levelName(this, level)}] ${escapeControl(parts.name)} - ${traceTextFragment(span)}${escapeControl(message)}`;
  if (data !== '') line += ` ${data}`;
  line += parts.contextText;
  if (error !== undefined) line += `\n    ${errorText(error, 0).replace(/\n/g, '\n    ')}`;
  return `${line}\n`;
}
