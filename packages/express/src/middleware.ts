/**
 * `app.use(autotelemetry())`: the Express adapter. It translates Express into the core's request lifecycle
 * and decides nothing about spans, metrics or log lines itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  getHttpLifecycle,
  getRequestRecord,
  type HttpAdapterHooks,
  startTelemetry,
  type TelemetryOptions,
} from '@autotelemetry/core';
import { installHooks, isHooked, lastRoutedError } from './express-hooks.js';

/** Express's `next`. */
export type NextFunction = (error?: unknown) => void;

/** A middleware as Express calls it; assignable to Express 4 and 5 `RequestHandler`s. */
export type TelemetryMiddleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

/** An error-handling middleware as Express calls it (four parameters). */
export type TelemetryErrorMiddleware = (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction,
) => void;

const EXPRESS_HOOKS: HttpAdapterHooks = Object.freeze({ findUnrecordedError: lastRoutedError });

/**
 * The one middleware function (shared by every app): begins the request's lifecycle and runs the rest of
 * the chain in the request's context.
 */
function autotelemetryMiddleware(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
  const lifecycle = getHttpLifecycle();
  if (lifecycle === undefined) {
    next();
    return;
  }
  if (!isHooked(req)) installHooks(req);
  const record = lifecycle.begin(req, res, EXPRESS_HOOKS);
  if (record === undefined) next();
  else record.run(next);
}

/** Records the error on the request's span and passes it on unchanged (Express still answers as before). */
function telemetryErrorMiddleware(
  error: unknown,
  req: IncomingMessage,
  _res: ServerResponse,
  next: NextFunction,
): void {
  getRequestRecord(req)?.fail(error);
  next(error);
}

/**
 * An error-handling middleware that records errors on the request's span (exception event, ERROR when the
 * answer is 5xx, an error log line) and passes them on. Only needed on Express 4 apps that have no error
 * handler of their own; put it after the routes:
 *
 * ```ts
 * app.use(telemetryErrorHandler());
 * ```
 */
export function telemetryErrorHandler(): TelemetryErrorMiddleware {
  return telemetryErrorMiddleware;
}

/** {@link autotelemetry} with {@link telemetryErrorHandler} attached as `autotelemetry.errorHandler`. */
export interface Autotelemetry {
  (options?: TelemetryOptions): TelemetryMiddleware;
  /** See {@link telemetryErrorHandler}. */
  errorHandler: typeof telemetryErrorHandler;
}

/**
 * Starts the telemetry pipeline if none is running (options are the core's; environment variables and
 * defaults fill in the rest) and returns the middleware. Put it first:
 *
 * ```ts
 * const app = express();
 * app.use(autotelemetry({ serviceName: 'shop.api' }));
 * ```
 *
 * Every request then gets a SERVER span named by its full route template, the HTTP metrics, an access log
 * line, a `req.log` whose lines carry the trace ids, and the context for outgoing calls. Throws a
 * `ConfigError` for a bad option; never throws afterwards.
 */
export const autotelemetry: Autotelemetry = Object.assign(
  function autotelemetry(options?: TelemetryOptions): TelemetryMiddleware {
    startTelemetry(options);
    return autotelemetryMiddleware;
  },
  { errorHandler: telemetryErrorHandler },
);
