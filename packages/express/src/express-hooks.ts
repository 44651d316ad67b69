/**
 * What the middleware learns from Express without patching it at import time (so import order does not
 * matter): on the first request through the middleware it installs, once per copy of Express,
 *
 * - accessors for `route` and `baseUrl` on Express's request prototype (the object `app.request` of every
 *   app inherits from). Express assigns both while it routes; the setters store the value exactly as a plain
 *   property would and, for a tracked request, follow mounts and hand the full route template to the
 *   lifecycle at the moment the route matches (see route-template.ts);
 * - a `log` accessor there, so `req.log` is the request's logger, created only when read;
 * - a wrapper of the router `Layer`'s error dispatch (`handle_error` in Express 4, `handleError` in 5),
 *   through which every error passed to `next(err)`, thrown, or rejected travels on its way to any later
 *   middleware or error handler — so the app's own error handlers need no extra line to get it recorded.
 *
 * An error that reaches no later layer goes straight to Express's final handler, which answers 500: the
 * status and `error.type` are right from the response; the error object itself is found on Express 5.3+
 * (its router remembers routed errors), and on older versions with `telemetryErrorHandler()`.
 */
import { IncomingMessage } from 'node:http';
import { getRequestRecord, getState, type RequestLogger } from '@autotelemetry/core';
import { type ExpressRoute, type RoutedRequest, routeTemplate, trackBaseUrl } from './route-template.js';

/** Marks the Express request prototype (and the Layer prototype) as hooked; shared by ESM and CJS copies. */
const HOOKED = Symbol.for('autotelemetry.express.hooked.v1');
const WRAPPED_ERROR_DISPATCH = Symbol.for('autotelemetry.express.error-dispatch.v1');
const ROUTE_VALUE = Symbol('autotelemetry.express.route-value');
const BASE_URL_VALUE = Symbol('autotelemetry.express.base-url-value');
/** Express 5.3+'s router keeps the errors it routed on the request under this registered symbol. */
const ROUTER_SEEN_ERRORS = Symbol.for('router.tracing.publishedErrors');

type HookedRequest = RoutedRequest & {
  [HOOKED]?: true;
  [ROUTE_VALUE]?: unknown;
  [BASE_URL_VALUE]?: unknown;
  [ROUTER_SEEN_ERRORS]?: unknown;
  app?: unknown;
  route?: unknown;
  baseUrl?: unknown;
};

/** Whether the hooks are installed for the copy of Express that routes `req`. */
export function isHooked(req: object): boolean {
  return (req as HookedRequest)[HOOKED] === true;
}

function routeGetter(this: HookedRequest): unknown {
  return this[ROUTE_VALUE];
}

function routeSetter(this: HookedRequest, route: unknown): void {
  this[ROUTE_VALUE] = route;
  if (route === null || typeof route !== 'object') return;
  const record = getRequestRecord(this);
  if (record === undefined) return;
  try {
    const template = routeTemplate(this, route as ExpressRoute);
    if (template !== undefined) record.setRoute(template);
  } catch {
    // A route shape this code does not know: the span keeps the method-only name.
  }
}

function baseUrlGetter(this: HookedRequest): unknown {
  return this[BASE_URL_VALUE];
}

function baseUrlSetter(this: HookedRequest, baseUrl: unknown): void {
  this[BASE_URL_VALUE] = baseUrl;
  if (getRequestRecord(this) === undefined) return;
  try {
    trackBaseUrl(this, baseUrl);
  } catch {
    // Mount tracking is best effort; the route's own path is still recorded.
  }
}

function logGetter(this: HookedRequest): RequestLogger | undefined {
  const record = getRequestRecord(this);
  const logger = record?.logger;
  if (logger !== undefined) return logger;
  // Outside a tracked request (an excluded path, telemetry disabled): the pipeline's logger, if any.
  return getState()?.logger as RequestLogger | undefined;
}

function logSetter(this: HookedRequest, value: unknown): void {
  // Another library (pino-http) assigning `req.log` gets an ordinary property, as without us.
  Object.defineProperty(this, 'log', { value, writable: true, configurable: true, enumerable: true });
}

/** The prototype Express gives requests (`app.request`'s parent), found from a request it routes. */
function expressRequestPrototype(req: object): object | undefined {
  let proto = Object.getPrototypeOf(req) as object | null;
  while (proto !== null && Object.getPrototypeOf(proto) !== IncomingMessage.prototype) {
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return proto ?? undefined;
}

/** Moves a value Express assigned before the accessor existed (first request only) behind the accessor. */
function adoptOwnProperty(req: HookedRequest, key: 'route' | 'baseUrl'): void {
  const descriptor = Object.getOwnPropertyDescriptor(req, key);
  if (descriptor === undefined || !('value' in descriptor)) return;
  delete (req as Record<string, unknown>)[key];
  (req as Record<string, unknown>)[key] = descriptor.value;
}

interface LayerPrototype {
  handle_error?: unknown;
  handleError?: unknown;
}

type ErrorDispatch = ((this: unknown, error: unknown, req: unknown, res: unknown, next: unknown) => unknown) & {
  [WRAPPED_ERROR_DISPATCH]?: true;
};

function wrapErrorDispatch(original: ErrorDispatch): ErrorDispatch {
  const wrapped: ErrorDispatch = function dispatchError(this: unknown, error, req, res, next) {
    if (req !== null && typeof req === 'object') getRequestRecord(req)?.fail(error);
    return original.call(this, error, req, res, next);
  };
  wrapped[WRAPPED_ERROR_DISPATCH] = true;
  return wrapped;
}

/** The router `Layer` prototype of `app` (Express 4 `app._router`, Express 5 `app.router`). */
function layerPrototype(app: unknown): LayerPrototype | undefined {
  if (app === null || (typeof app !== 'function' && typeof app !== 'object')) return undefined;
  const a = app as { _router?: { stack?: unknown[] }; router?: { stack?: unknown[] } };
  // Express 4 throws from the `app.router` getter; its router is `_router`.
  const router = a._router ?? (Object.hasOwn(a, '_router') ? undefined : a.router);
  const layer = router?.stack?.[0];
  return layer === undefined || layer === null ? undefined : (Object.getPrototypeOf(layer) as LayerPrototype);
}

function hookErrorDispatch(app: unknown): void {
  const proto = layerPrototype(app);
  if (proto === undefined) return;
  for (const key of ['handle_error', 'handleError'] as const) {
    const original = proto[key];
    if (typeof original === 'function' && (original as ErrorDispatch)[WRAPPED_ERROR_DISPATCH] !== true) {
      proto[key] = wrapErrorDispatch(original as ErrorDispatch);
    }
  }
}

/** Installs the hooks for the copy of Express routing `req`. Never throws. */
export function installHooks(req: object): void {
  const r = req as HookedRequest;
  try {
    const proto = expressRequestPrototype(req);
    if (proto !== undefined && !Object.hasOwn(proto, HOOKED)) {
      Object.defineProperty(proto, 'route', { get: routeGetter, set: routeSetter, configurable: true });
      Object.defineProperty(proto, 'baseUrl', { get: baseUrlGetter, set: baseUrlSetter, configurable: true });
      Object.defineProperty(proto, 'log', { get: logGetter, set: logSetter, configurable: true });
      Object.defineProperty(proto, HOOKED, { value: true });
    }
    adoptOwnProperty(r, 'baseUrl');
    adoptOwnProperty(r, 'route');
    hookErrorDispatch(r.app);
  } catch {
    // Route templates and error capture are lost for this Express copy; spans and metrics still work.
  }
}

/** The error Express 5.3+'s router routed for `req` last, if any (read at the end of a 5xx request). */
export function lastRoutedError(req: object): unknown {
  const seen = (req as HookedRequest)[ROUTER_SEEN_ERRORS];
  if (!(seen instanceof Set) || seen.size === 0) return undefined;
  let last: unknown;
  for (const error of seen) last = error;
  return last;
}
