/**
 * The slice of a logger that traced/measure/anomaly write to, and how they find one. The helpers must
 * not depend on the logger module (a script may use them without a pipeline), so any object with the
 * seed's `info(message, data?)` call shape will do — the pipeline's pino-based logger has it.
 */
import { readStateSlot } from '../state-slot.js';

/** A logger the helpers can write to: the seed's call shape `level(message, data?)`. Every level is optional. */
export interface LogSink {
  /** Writes an INFO line. */
  info?(message: string, data?: Record<string, unknown>): unknown;
  /** Writes a WARN line. */
  warn?(message: string, data?: Record<string, unknown>): unknown;
  /** Writes an ERROR line. */
  error?(message: string, data?: Record<string, unknown>): unknown;
}

/** The levels the helpers write at. */
export type LogSinkLevel = 'info' | 'warn' | 'error';

interface NamedLoggerSource {
  getLogger(name: string): LogSink;
}

// Named children of a pipeline logger, made once: creating a pino child per line would be wasteful.
const namedChildren = new WeakMap<object, Map<string, LogSink>>();

function named(logger: object, name: string): LogSink {
  if (typeof (logger as Partial<NamedLoggerSource>).getLogger !== 'function') return logger as LogSink;
  let children = namedChildren.get(logger);
  if (children === undefined) {
    children = new Map();
    namedChildren.set(logger, children);
  }
  let child = children.get(name);
  if (child === undefined) {
    try {
      child = (logger as NamedLoggerSource).getLogger(name);
    } catch {
      child = logger as LogSink;
    }
    children.set(name, child);
  }
  return child;
}

/**
 * The sink to write to: the explicit one, none when it is `false`, else the running pipeline's logger —
 * as its child named `name` when it offers `getLogger(name)`, so the lines say which helper wrote them.
 */
export function resolveLogSink(explicit: LogSink | false | undefined, name?: string): LogSink | undefined {
  if (explicit === false) return undefined;
  if (explicit) return explicit;
  const logger = readStateSlot()?.logger;
  if (logger === null || typeof logger !== 'object') return undefined;
  return name === undefined ? (logger as LogSink) : named(logger, name);
}

/** Writes one line if the sink has that level. Never throws: a broken logger must not break the caller. */
export function writeLog(
  sink: LogSink | undefined,
  level: LogSinkLevel,
  message: string,
  data: Record<string, unknown>,
): void {
  if (sink === undefined || typeof sink[level] !== 'function') return;
  try {
    sink[level](message, data);
  } catch {
    // Swallowed on purpose: telemetry never throws into the host application.
  }
}
