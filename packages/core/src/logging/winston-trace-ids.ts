/**
 * The trace ids on an app's own winston loggers (winston 3), without replacing them: every entry a logger
 * writes gets the active span's `trace_id` and `span_id` as two more fields, before the logger's format runs.
 * The format stays the app's: with `format.json()` the ids are two more keys of the line; with a `printf`
 * format they are fields the format may use. Levels, transports, `defaultMeta` and child loggers stay as the
 * app made them.
 *
 * Every winston 3 logger — `createLogger`'s DerivedLogger, `new winston.Logger`, the default logger, the
 * loggers of a Container — is an instance of the package's `Logger` class, and every entry reaches the
 * stream through `logger.write(info)` (`log()`, the level methods, and child loggers, whose own `write`
 * calls their parent's). `write` is inherited from readable-stream's Writable, so one wrapper installed as
 * `Logger.prototype.write` sees every entry of every logger, made before or after, at the moment the app
 * logs: the span is read there, not in `_transform`, which a busy stream may run later, outside the span.
 *
 * Fields the entry already has win (a `trace_id` from `defaultMeta` or the call). winston hands the caller's
 * own object to the stream when the call passes one (`logger.info({ message, … })`, `logger.error(err)`), so
 * the ids this module wrote are remembered per object: an object logged again is given the ids of the new
 * span, or loses them outside any, unless the app changed them meanwhile.
 */
import { activeSpanIds } from './trace-context.js';

type WinstonWrite = (this: unknown, ...args: unknown[]) => unknown;

/** Marks the wrapper; registered, so the ESM and CJS copies of the core recognise each other's. */
const HOOKED = Symbol.for('autotelemetry.winston-trace-ids.v1');

interface HookedWrite extends WinstonWrite {
  [HOOKED]?: true;
}

interface Written {
  readonly traceId: string;
  readonly spanId: string;
}

/** The ids this module wrote into an entry object, by object. */
const written = new WeakMap<object, Written>();

/** Adds, refreshes or removes the ids of one entry. Never throws. */
export function stampWinstonEntry(info: unknown): void {
  if (info === null || typeof info !== 'object') return;
  try {
    const entry = info as Record<string, unknown>;
    const ids = activeSpanIds();
    const before = written.get(entry);
    const ours = before !== undefined && entry.trace_id === before.traceId && entry.span_id === before.spanId;
    if (ids === undefined) {
      if (ours) {
        delete entry.trace_id;
        delete entry.span_id;
        written.delete(entry);
      }
      return;
    }
    if (!ours && (entry.trace_id !== undefined || entry.span_id !== undefined)) return;
    entry.trace_id = ids.traceId;
    entry.span_id = ids.spanId;
    written.set(entry, { traceId: ids.traceId, spanId: ids.spanId });
  } catch {
    // A frozen entry, a Proxy or a throwing accessor: the entry goes on as the app made it.
  }
}

/**
 * Makes every logger of one copy of winston (its `exports`) stamp the ids on its entries. Returns the undo,
 * or undefined when the copy is not winston 3's shape (then nothing is changed). Idempotent; never throws.
 */
export function addTraceIdsToWinston(winston: unknown): (() => void) | undefined {
  try {
    const Logger = (winston as { Logger?: unknown } | null)?.Logger;
    if (typeof Logger !== 'function') return undefined;
    const proto = Logger.prototype as Record<string | symbol, unknown> | undefined;
    if (proto === undefined || typeof proto.write !== 'function' || typeof proto._transform !== 'function') {
      return undefined;
    }
    const current = proto.write as HookedWrite;
    if (current[HOOKED] === true) return () => {};
    const own = Object.getOwnPropertyDescriptor(proto, 'write');
    const hooked: HookedWrite = function write(this: unknown, ...args: unknown[]) {
      stampWinstonEntry(args[0]);
      return current.apply(this, args);
    };
    hooked[HOOKED] = true;
    Object.defineProperty(proto, 'write', { value: hooked, writable: true, configurable: true, enumerable: false });
    return () => {
      if (proto.write !== hooked) return;
      if (own === undefined) delete proto.write;
      else Object.defineProperty(proto, 'write', own);
    };
  } catch {
    return undefined;
  }
}
