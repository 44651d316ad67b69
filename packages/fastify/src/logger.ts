/**
 * The AutoTelemetry logger as Fastify's own logger, so every line Fastify and the app write — `fastify.log`,
 * `request.log`, Fastify's error lines — follows the JSON schema and carries the request's trace ids, with
 * one line per request (the plugin's access line) rather than three.
 */
import { startTelemetry, type TelemetryLogger, type TelemetryOptions } from '@autotelemetry/core';
import fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { createLogController, type LogControllerConstructor } from './log-controller.js';

/** The `logger` field of the lines Fastify writes through {@link autotelemetryLogger}. */
export const FASTIFY_LOGGER_NAME = 'fastify';

/**
 * Starts the pipeline if none is running (same options as the plugin; the first start wins, so give them
 * here or in the environment) and returns its logger, named {@link FASTIFY_LOGGER_NAME}, for Fastify's
 * `loggerInstance`. Prefer {@link autotelemetryLogging}, which also keeps Fastify's own per-request lines
 * from repeating the access line. Throws a `ConfigError` for a bad option.
 */
export function autotelemetryLogger(options?: TelemetryOptions): TelemetryLogger {
  return startTelemetry(options).getLogger(FASTIFY_LOGGER_NAME);
}

/** The type of Fastify's `logController` option in the installed Fastify (never on Fastify before 5.12). */
export type FastifyLogControllerOption = FastifyServerOptions extends { logController?: infer C } ? C : never;

/** Fastify options that make the AutoTelemetry logger Fastify's logger. Spread them into `Fastify({...})`. */
export interface AutotelemetryLoggingOptions {
  /**
   * The AutoTelemetry logger ({@link autotelemetryLogger}), typed as Fastify's base logger so the app keeps
   * Fastify's default instance type (plugins, helpers and variables typed `FastifyInstance` accept it). At
   * run time both call shapes work: pino's `log.info({ id }, 'message')` and `log.info('message', { id })`.
   */
  readonly loggerInstance: FastifyBaseLogger;
  /**
   * Fastify 5.12 and later: Fastify's log controller without "incoming request", "request completed", the
   * not-found line and the 5xx error line the plugin records, which the access line and the plugin's error
   * line already say — one line per request. Excluded paths and `telemetry: false` routes are quiet.
   */
  readonly logController?: FastifyLogControllerOption;
  /** Fastify before 5.12, which has no log controller: Fastify's request lines off (the access line stays). */
  readonly disableRequestLogging?: boolean;
}

/**
 * The one-liner that makes Fastify log through AutoTelemetry:
 *
 * ```ts
 * const app = Fastify({ ...autotelemetryLogging(), trustProxy: true });
 * await app.register(autotelemetry);
 * ```
 *
 * Starts the pipeline if none is running (`options` as for the plugin; the first start wins). Fastify's
 * per-request child loggers put its `reqId` under `context`; lines inside a request carry its trace ids.
 * Throws a `ConfigError` for a bad option.
 */
export function autotelemetryLogging(options?: TelemetryOptions): AutotelemetryLoggingOptions {
  const loggerInstance = autotelemetryLogger(options);
  const Base = (fastify as unknown as { LogController?: LogControllerConstructor }).LogController;
  if (typeof Base !== 'function') return { loggerInstance, disableRequestLogging: true };
  return { loggerInstance, logController: createLogController(Base) as FastifyLogControllerOption };
}
