/**
 * `request.log` as the request's AutoTelemetry logger.
 *
 * Fastify assigns `this.log = <its per-request child logger>` in its Request constructor. An accessor named
 * `log` on Fastify's base Request prototype (installed once per copy of Fastify, from the first request the
 * plugin sees) turns that assignment into a store under a symbol, and a read into:
 *
 * - Fastify's own child, when Fastify's logger already is an AutoTelemetry logger
 *   (`Fastify({ loggerInstance: autotelemetryLogger() })`): it writes the schema and carries Fastify's `reqId`;
 * - otherwise, for a request the plugin tracks, the lifecycle's request logger — created on first read only,
 *   so a request that never logs pays nothing;
 * - otherwise (an excluded path, a route with `telemetry: false`, a request Fastify logs before `onRequest`)
 *   Fastify's own child, as without the plugin.
 *
 * `reply.log` is left alone: Fastify's own lines (request completed, default error log) keep going through
 * the logger the app gave Fastify.
 */
import { getRequestRecord } from '@autotelemetry/core';

/** Marks a prototype as carrying the accessor; registered, so ESM and CJS copies of this package agree. */
const HOOKED = Symbol.for('autotelemetry.fastify.request-log.v1');
/** Where the accessor keeps the logger Fastify assigned; registered for the same reason. */
const FASTIFY_LOG = Symbol.for('autotelemetry.fastify.fastify-log.v1');

interface LogHolder {
  [FASTIFY_LOG]?: unknown;
  [HOOKED]?: true;
  readonly raw: object;
}

/** An AutoTelemetry logger (core's TelemetryLogger) is recognised by its `getLogger` method. */
function isTelemetryLogger(logger: unknown): boolean {
  return (
    logger !== null && typeof logger === 'object' && typeof (logger as { getLogger?: unknown }).getLogger === 'function'
  );
}

function logGetter(this: LogHolder): unknown {
  const fastifyLog = this[FASTIFY_LOG];
  if (isTelemetryLogger(fastifyLog)) return fastifyLog;
  const record = getRequestRecord(this.raw);
  return record?.logger ?? fastifyLog;
}

function logSetter(this: LogHolder, value: unknown): void {
  this[FASTIFY_LOG] = value;
}

/** The prototype just above `Object.prototype` in the request's chain: Fastify's base Request prototype. */
function baseRequestPrototype(request: object): object | undefined {
  let proto = Object.getPrototypeOf(request) as object | null;
  while (proto !== null) {
    const parent = Object.getPrototypeOf(proto) as object | null;
    if (parent === Object.prototype || parent === null) return proto;
    proto = parent;
  }
  return undefined;
}

/** Whether the accessor is in place for the copy of Fastify that made `request`. */
export function isRequestLogHooked(request: object): boolean {
  return (request as LogHolder)[HOOKED] === true;
}

/**
 * Installs the accessor for the copy of Fastify that made `request`, and moves the logger already assigned
 * to `request` itself behind it. Never throws: on failure `request.log` stays Fastify's own.
 */
export function hookRequestLog(request: object): void {
  try {
    const proto = baseRequestPrototype(request);
    if (proto === undefined || Object.hasOwn(proto, HOOKED)) return;
    const existing = Object.getOwnPropertyDescriptor(proto, 'log');
    // Something else already made `log` an accessor: leave it to that.
    if (existing !== undefined) return;
    Object.defineProperty(proto, 'log', { get: logGetter, set: logSetter, configurable: true, enumerable: false });
    Object.defineProperty(proto, HOOKED, { value: true });
    const own = Object.getOwnPropertyDescriptor(request, 'log');
    if (own !== undefined && 'value' in own) {
      delete (request as Record<string, unknown>).log;
      (request as Record<string, unknown>).log = own.value;
    }
  } catch {
    // `request.log` stays Fastify's own logger; spans and metrics are unaffected.
  }
}
