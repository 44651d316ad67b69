/**
 * The trace ids on an app's own pino logger, without replacing it: the logger's `mixin` (the function pino
 * calls for every line it writes) is wrapped so a line written inside a span also gets `trace_id` and
 * `span_id`. Everything else — level, stream, serializers, redaction, bindings, child loggers, the app's own
 * mixin and merge strategy — stays as the app configured it. Fields the line or the app's mixin already set
 * win over the ids.
 *
 * pino keeps the mixin under an unregistered symbol described `pino.mixin` (read by every line, inherited by
 * child loggers through their prototype), so the wrapper is installed as an own property of the given
 * logger: it and every child made from it, before or after, stamp the ids; its ancestors do not.
 */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';

type Mixin = (mergeObject: object, level: number, logger: object) => object;

/** Marks a wrapper made here; registered, so the ESM and CJS copies of the core recognise each other's. */
const WRAPPED = Symbol.for('autotelemetry.pino-trace-ids.v1');

interface WrappedMixin extends Mixin {
  [WRAPPED]?: true;
}

/** pino's mixin symbol, found on the logger or its prototype chain; undefined for a logger that is not pino. */
function mixinSymbol(logger: object): symbol | undefined {
  let target: object | null = logger;
  while (target !== null && target !== Object.prototype) {
    for (const key of Object.getOwnPropertySymbols(target)) {
      if (key.description === 'pino.mixin') return key;
    }
    target = Object.getPrototypeOf(target) as object | null;
  }
  return undefined;
}

function wrap(original: Mixin | undefined): WrappedMixin {
  const mixin: WrappedMixin = function traceIdsMixin(this: unknown, mergeObject, level, logger) {
    // pino merges the mixin's result into the line (the result is written to, so it is never shared).
    const base = original === undefined ? {} : original.call(this, mergeObject, level, logger);
    const spanContext = trace.getSpan(context.active())?.spanContext();
    if (spanContext === undefined || !isSpanContextValid(spanContext)) return base;
    return { trace_id: spanContext.traceId, span_id: spanContext.spanId, ...base };
  };
  mixin[WRAPPED] = true;
  return mixin;
}

/**
 * Makes `logger`'s lines written inside a span carry that span's `trace_id` and `span_id` (read when the
 * line is written, so a child logger made outside the span stamps the span the code runs in). Returns
 * whether the logger is a pino logger that now does; any other logger is left untouched. Idempotent; never
 * throws.
 */
export function addTraceIdsToPinoLogger(logger: unknown): boolean {
  if (logger === null || typeof logger !== 'object') return false;
  try {
    const key = mixinSymbol(logger);
    if (key === undefined) return false;
    const holder = logger as Record<symbol, unknown>;
    const current = holder[key] as WrappedMixin | undefined;
    if (typeof current === 'function' && current[WRAPPED] === true) return true;
    if (current !== undefined && typeof current !== 'function') return false;
    Object.defineProperty(holder, key, { value: wrap(current), writable: true, configurable: true, enumerable: false });
    return true;
  } catch {
    // A frozen or exotic logger: its lines stay as they are.
    return false;
  }
}
