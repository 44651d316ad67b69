/**
 * Sends log lines to the OpenTelemetry Logs API as well, so they reach the collector next to the spans
 * they belong to. The API's logger is a proxy until an SDK registers a LoggerProvider, and `enabled()`
 * answers false until then: a line costs one call here when nothing listens.
 */
import type { Context } from '@opentelemetry/api';
import { type AnyValue, type AnyValueMap, type Logger, logs, SeverityNumber } from '@opentelemetry/api-logs';
import { readStateSlot } from '../state-slot.js';
import type { DirectLogRecords } from './direct-records.js';
import {
  isError,
  isPlainObject,
  LOG_LIMITS,
  REDACTED,
  readMember,
  type SafeJson,
  ThrownMember,
  truncateString,
} from './safe-json.js';

/** The running pipeline's direct record path (direct-records.ts), when its provider is the registered one. */
function directRecords(): DirectLogRecords | undefined {
  return readStateSlot()?.pipeline?.logRecords as DirectLogRecords | undefined;
}

/** Instrumentation scope of the records. */
export const OTEL_LOGGER_NAME = '@autotelemetry/core';

const SEVERITY_BY_LEVEL: Readonly<Record<number, SeverityNumber>> = Object.freeze({
  10: SeverityNumber.TRACE,
  20: SeverityNumber.DEBUG,
  30: SeverityNumber.INFO,
  40: SeverityNumber.WARN,
  50: SeverityNumber.ERROR,
  60: SeverityNumber.FATAL,
});

/** What one line gives the bridge. */
export interface BridgedLine {
  /** Pino level number. */
  readonly level: number;
  /** Upper-case level name. */
  readonly levelName: string;
  readonly message: string;
  /** The caller's data: an object of members, or a lone value. */
  readonly data: unknown;
  /** The error the line carries, if any. */
  readonly error: unknown;
  readonly loggerName: string;
  /** Flattened child-logger bindings. */
  readonly contextAttributes: AnyValueMap;
  /** The context active when the line was written (carries the span). */
  readonly context: Context;
}

/** Emits log lines as OpenTelemetry log records. */
export class OtelLogBridge {
  private readonly logger: Logger = logs.getLogger(OTEL_LOGGER_NAME);

  constructor(private readonly json: SafeJson) {}

  /** Whether a provider listens at this level in this context; asked before a line's data is gathered. */
  enabled(level: number, context: Context): boolean {
    try {
      const severityNumber = SEVERITY_BY_LEVEL[level] ?? SeverityNumber.UNSPECIFIED;
      const direct = directRecords();
      if (direct !== undefined) return direct.enabled(severityNumber, context);
      return this.logger.enabled({ severityNumber, context });
    } catch {
      return false;
    }
  }

  /** Emits one record (after {@link OtelLogBridge.enabled} said yes). Never throws. */
  emit(line: BridgedLine): void {
    try {
      const severityNumber = SEVERITY_BY_LEVEL[line.level] ?? SeverityNumber.UNSPECIFIED;
      const attributes: AnyValueMap = { ...line.contextAttributes };
      if (line.data !== undefined) {
        if (line.data !== null && typeof line.data === 'object' && isPlainObject(line.data)) {
          this.flatten('', line.data as Record<string, unknown>, 0, attributes);
        } else {
          this.flattenValue('data', line.data, 0, attributes);
        }
      }
      attributes['logger.name'] = line.loggerName;
      const direct = directRecords();
      if (direct !== undefined) {
        direct.emit(severityNumber, line.levelName, line.message, attributes, line.context, line.error);
        return;
      }
      this.logger.emit({
        severityNumber,
        severityText: line.levelName,
        body: line.message,
        attributes,
        context: line.context,
        ...(line.error !== undefined ? { exception: line.error } : {}),
      });
    } catch {
      // Telemetry never throws into the application; the JSON line has been written regardless.
    }
  }

  /**
   * Emits one record whose attributes the caller already flattened (after {@link OtelLogBridge.enabled}
   * said yes), timed at `timeMs` (epoch milliseconds). Never throws.
   */
  emitPrepared(
    level: number,
    levelName: string,
    message: string,
    attributes: AnyValueMap,
    context: Context,
    timeMs: number,
  ): void {
    try {
      const severityNumber = SEVERITY_BY_LEVEL[level] ?? SeverityNumber.UNSPECIFIED;
      const direct = directRecords();
      if (direct !== undefined) {
        direct.emit(severityNumber, levelName, message, attributes, context, undefined, timeMs);
        return;
      }
      this.logger.emit({
        severityNumber,
        severityText: levelName,
        body: message,
        attributes,
        context,
        timestamp: timeMs,
      });
    } catch {
      // Telemetry never throws into the application; the JSON line has been written regardless.
    }
  }

  /** Flattened attributes for a logger's bindings, computed once per child logger. */
  contextAttributes(bindings: Readonly<Record<string, unknown>>): AnyValueMap {
    const out: AnyValueMap = {};
    try {
      this.flatten('', bindings, 0, out);
    } catch {
      // Bindings that cannot be read are left out of the records, not out of the lines.
    }
    return out;
  }

  /** `{a: {b: 1}}` becomes `{"a.b": 1}`; redacted keys keep their key with `[REDACTED]`. */
  private flatten(prefix: string, record: Record<string, unknown>, depth: number, out: AnyValueMap): void {
    let count = 0;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      if (++count > LOG_LIMITS.maxEntries) break;
      const name = prefix + key;
      if (this.json.isRedacted(key)) {
        out[name] = REDACTED;
        continue;
      }
      const value = readMember(record, key);
      if (value instanceof ThrownMember) out[name] = '[Throws]';
      else this.flattenValue(name, value, depth + 1, out);
    }
  }

  private flattenValue(name: string, value: unknown, depth: number, out: AnyValueMap): void {
    switch (typeof value) {
      case 'string':
        out[name] = truncateString(value);
        return;
      case 'number':
      case 'boolean':
        out[name] = value;
        return;
      case 'undefined':
        return;
      case 'bigint':
      case 'symbol':
        out[name] = value.toString();
        return;
      case 'function':
        return;
      default:
        break;
    }
    if (value === null) return;
    const object = value as object;
    if (!isError(object) && isPlainObject(object) && depth < LOG_LIMITS.maxDepth) {
      this.flatten(`${name}.`, object as Record<string, unknown>, depth, out);
      return;
    }
    if (Array.isArray(object) && object.length <= LOG_LIMITS.maxEntries) {
      const items: AnyValue[] = [];
      for (const item of object) {
        if (typeof item === 'string') items.push(truncateString(item));
        else if (typeof item === 'number' || typeof item === 'boolean') items.push(item);
        else {
          this.asJsonText(name, object, out);
          return;
        }
      }
      out[name] = items;
      return;
    }
    this.asJsonText(name, object, out);
  }

  /** Anything else travels as its bounded JSON text. */
  private asJsonText(name: string, value: object, out: AnyValueMap): void {
    const writer = this.json.begin(value);
    try {
      out[name] = isError(value) ? writer.error(value, 0) : writer.object(value, 0);
    } finally {
      writer.end();
    }
  }
}
