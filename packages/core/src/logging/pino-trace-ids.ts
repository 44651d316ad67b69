/**
 * The trace ids on an app's own pino loggers, without replacing them: a logger's `mixin` (the function pino
 * calls for every line it writes) is wrapped so a line written inside a span also gets `trace_id` and
 * `span_id`. Everything else — level, stream, serializers, formatters, redaction, bindings, child loggers, the
 * app's own mixin and merge strategy — stays as the app configured it. Fields of the call and of the app's
 * mixin win over the ids.
 *
 * Two ways in:
 * - {@link addTraceIdsToPinoLogger}: one logger and its children (the Fastify adapter, for Fastify's logger).
 * - {@link addTraceIdsToPinoPackage}: every logger of one copy of pino, made before or after, children
 *   included. All of them inherit their `write` method from the one prototype object of that copy
 *   (`lib/proto.js`; the level methods call `this[pino.symbols.writeSym]`), and `write` reads the mixin from
 *   the logger on each line. The prototype's `write` is wrapped so that, on a logger's first line, the
 *   logger gets the wrapped mixin as its own (pino stores the mixin per root logger; children inherit it
 *   through their prototype), then pino's `write` runs unchanged. Loggers with a line writer of their own
 *   (`asJson`: the core's logger, which writes the ids itself) are left alone.
 *
 * pino keeps the mixin under an unregistered symbol described `pino.mixin`, so it is found by description
 * on the logger, or taken from the `symbols` pino exports.
 */
import { activeSpanIds } from './trace-context.js';

type Mixin = (mergeObject: object, level: number, logger: object) => unknown;

/** Marks a wrapper made here; registered, so the ESM and CJS copies of the core recognise each other's. */
const WRAPPED = Symbol.for('autotelemetry.pino-trace-ids.v1');

interface WrappedMixin extends Mixin {
  [WRAPPED]?: true;
}

/**
 * Whether the process-wide wrappers add ids: on while a pipeline runs with `logCorrelation`. The mixins they
 * gave loggers stay on those loggers after a shutdown (they cannot all be found again) and then add nothing.
 * Registered, so the two copies of the core share it.
 */
const GATE = Symbol.for('autotelemetry.log-correlation-gate.v1');
type GlobalWithGate = typeof globalThis & { [GATE]?: { on: boolean } };

function gate(): { on: boolean } {
  const global = globalThis as GlobalWithGate;
  global[GATE] ??= { on: false };
  return global[GATE];
}

/** Turns the process-wide pino wrappers' ids on or off (the pipeline's start and shutdown). */
export function setPinoCorrelation(on: boolean): void {
  gate().on = on;
}

const ALWAYS = { on: true } as const;

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

function wrap(original: Mixin | undefined, switched: { readonly on: boolean }): WrappedMixin {
  const mixin: WrappedMixin = function traceIdsMixin(this: unknown, mergeObject, level, logger) {
    // pino merges the mixin's result into the line (the result is written to, so it is never shared).
    const base = original === undefined ? {} : original.call(this, mergeObject, level, logger);
    if (!switched.on) return base;
    const ids = activeSpanIds();
    if (ids === undefined || base === null || typeof base !== 'object') return base;
    try {
      // A copy: the app's mixin may hand out the same object every time, and its fields win.
      return { trace_id: ids.traceId, span_id: ids.spanId, ...base };
    } catch {
      // A getter of the app's object threw while copying: the line goes out as the app's mixin made it.
      return base;
    }
  };
  mixin[WRAPPED] = true;
  return mixin;
}

function isWrapped(value: unknown): boolean {
  return typeof value === 'function' && (value as WrappedMixin)[WRAPPED] === true;
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
    const current = holder[key];
    if (isWrapped(current)) return true;
    if (current !== undefined && typeof current !== 'function') return false;
    Object.defineProperty(holder, key, {
      value: wrap(current as Mixin | undefined, ALWAYS),
      writable: true,
      configurable: true,
      enumerable: false,
    });
    return true;
  } catch {
    // A frozen or exotic logger: its lines stay as they are.
    return false;
  }
}

/** What {@link addTraceIdsToPinoPackage} needs of one loaded copy of pino (module-watch.ts gives it). */
export interface PinoPackage {
  /** What `require('pino')` returned. */
  readonly exports: unknown;
  /** Loads a file of this copy, e.g. `lib/proto.js`. */
  requireFile(relativePath: string): unknown;
}

type PinoWrite = (this: Record<symbol, unknown>, obj: unknown, msg: unknown, level: number) => unknown;

interface HookedWrite extends PinoWrite {
  [WRAPPED]?: PinoWrite;
}

/** The prototype every logger of this copy inherits from, with the symbols to reach its slots. */
function pinoPrototype(
  pino: PinoPackage,
): { proto: Record<symbol, unknown>; writeSym: symbol; mixinSym: symbol; asJsonSym: symbol } | undefined {
  const symbols = (pino.exports as { symbols?: Record<string, unknown> } | null)?.symbols;
  const { writeSym, mixinSym, asJsonSym } = symbols ?? {};
  if (typeof writeSym !== 'symbol' || typeof mixinSym !== 'symbol' || typeof asJsonSym !== 'symbol') return undefined;
  // lib/proto.js exports a factory of objects whose prototype is the shared one.
  const factory = pino.requireFile('lib/proto.js');
  if (typeof factory !== 'function') return undefined;
  const instance = (factory as () => unknown)();
  if (instance === null || typeof instance !== 'object') return undefined;
  const proto = Object.getPrototypeOf(instance) as Record<symbol, unknown> | null;
  if (proto === null || typeof proto[writeSym] !== 'function' || typeof proto[asJsonSym] !== 'function') {
    return undefined;
  }
  return { proto, writeSym, mixinSym, asJsonSym };
}

/**
 * Makes every logger of one copy of pino — made before or after this call, children included — write the
 * active span's `trace_id` and `span_id` on its lines while {@link setPinoCorrelation} is on. Returns the
 * undo (it restores the prototype; loggers that wrote meanwhile keep a mixin that adds nothing once the
 * correlation is off), or undefined when the copy does not have the shape this relies on (then nothing is
 * changed). Idempotent per copy; never throws.
 */
export function addTraceIdsToPinoPackage(pino: PinoPackage): (() => void) | undefined {
  try {
    const found = pinoPrototype(pino);
    if (found === undefined) return undefined;
    const { proto, writeSym, mixinSym, asJsonSym } = found;
    const current = proto[writeSym] as HookedWrite;
    if (current[WRAPPED] !== undefined) return () => {};
    // pino's own line writer: a logger with another one (the core's) writes the ids itself.
    const pinoAsJson = proto[asJsonSym];
    const switched = gate();
    const hooked: HookedWrite = function write(this: Record<symbol, unknown>, obj, msg, level) {
      try {
        const mixin = this[mixinSym];
        if (
          !isWrapped(mixin) &&
          this[asJsonSym] === pinoAsJson &&
          (mixin === undefined || typeof mixin === 'function')
        ) {
          // An own property of this logger: its children inherit it, its parent is not touched.
          this[mixinSym] = wrap(mixin as Mixin | undefined, switched);
        }
      } catch {
        // A frozen or exotic logger: this line goes out as pino would write it.
      }
      return current.call(this, obj, msg, level);
    };
    hooked[WRAPPED] = current;
    proto[writeSym] = hooked;
    return () => {
      if (proto[writeSym] === hooked) proto[writeSym] = current;
    };
  } catch {
    return undefined;
  }
}
