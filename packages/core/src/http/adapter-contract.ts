/**
 * The contract between the HTTP lifecycle and the adapters (Express, Fastify, NestJS), which call it from
 * their framework's earliest hook:
 *
 * ```ts
 * const record = lifecycle.begin(req, res); // undefined for an excluded path
 * if (record === undefined) return next();
 * record.run(next);                        // the rest of the request runs in the request's context
 * // later, from the framework's routing:
 * record.setRoute('/users/:id');
 * record.fail(error);
 * ```
 *
 * Types only: what an adapter hands the lifecycle (its hooks, its logger) and what it gets back (the record).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Span } from '@opentelemetry/api';

/**
 * The slice of a logger the lifecycle writes through: the seed's `logger.info(message, data?)` call shape
 * (the core's TelemetryLogger), plus `child` for the request logger and, when present, `isLevelEnabled`
 * so a disabled access line is not even built.
 *
 * Contract relied upon: `error(message, anError)` written while a span is active records the Error as an
 * exception event on that span (the core's logger does), so the lifecycle does not record it a second time.
 */
export interface RequestLogger {
  trace(message: string, data?: unknown): unknown;
  debug(message: string, data?: unknown): unknown;
  info(message: string, data?: unknown): unknown;
  warn(message: string, data?: unknown): unknown;
  error(message: string, data?: unknown): unknown;
  fatal(message: string, data?: unknown): unknown;
  /** A logger whose lines carry `bindings` (under `context` in the JSON schema). */
  child(bindings: Record<string, unknown>): RequestLogger;
  /** Whether a line at `level` (lower-case pino name) would be written. */
  isLevelEnabled?(level: string): boolean;
  /** Pino's numeric threshold (10 trace … 60 fatal); read instead of `isLevelEnabled` when present. */
  readonly levelVal?: number;
  /** A named logger (`logger` field of the line). */
  getLogger?(name: string): RequestLogger;
}

/** The anomaly detector's slice the lifecycle feeds (the core's AnomalyDetector). */
export interface RequestAnomalyObserver {
  observe(key: string, durationMs: number, isError: boolean, span?: Span): unknown;
}

/**
 * What an adapter may tell the lifecycle about its framework, as one shared (not per-request) object.
 */
export interface HttpAdapterHooks {
  /**
   * Called once at the end of a request that answered 5xx without a recorded failure: the error the
   * framework kept for it, if it can be found (Express 5's router remembers the errors it routed).
   */
  findUnrecordedError?(req: IncomingMessage, res: ServerResponse): unknown;
  /**
   * Called once at the end of a request for which no route was set: the route template the framework
   * matched, if it can still tell (Nest on Express: `req.route.path`, the whole path Nest registered).
   */
  findRoute?(req: IncomingMessage, res: ServerResponse): string | undefined;
}

/** One request in flight, as the lifecycle's `begin` returns it. */
export interface HttpRequestRecord {
  /** The request's SERVER span (started here, or adopted from another instrumentation). */
  readonly span: Span;
  /** The context that has the span active; run the rest of the request in it ({@link HttpRequestRecord.run}). */
  readonly context: Context;
  /** The route template given to {@link HttpRequestRecord.setRoute}, if any. */
  readonly route: string | undefined;
  /** Whether the span was adopted from another instrumentation (which then ends it). */
  readonly adopted: boolean;
  /** Whether the request has ended (response finished or connection closed). */
  readonly ended: boolean;
  /**
   * The request's logger: a child of the pipeline's logger bound to the request (method, path, request id),
   * created on first access. Its lines carry the active span's ids like every logger's.
   */
  readonly logger: RequestLogger | undefined;
  /**
   * Sets the matched route template (`/users/:id`); the span is named `METHOD /users/:id` and gets
   * `http.route`, the metrics and access line use it. The last call before the end wins.
   */
  setRoute(template: string): void;
  /**
   * Records a failure of the request (the last one given wins). At the end it becomes an exception event on
   * the span; when the response is 5xx (or never completed) also ERROR status and an error log line.
   */
  fail(error: unknown): void;
  /** Calls `fn` with the request's context active (so `await`, timers and promises inside keep it). */
  run<A extends unknown[], R>(fn: (...args: A) => R, thisArg?: unknown, ...args: A): R;
}
