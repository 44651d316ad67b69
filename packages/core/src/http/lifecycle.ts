/**
 * The framework-free HTTP server request lifecycle every adapter (Express, Fastify, NestJS) calls from its
 * earliest hook:
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
 * `begin` extracts the W3C trace context (`traceparent`/`tracestate`, through the registered propagator:
 * a malformed header is ignored and a new trace starts), then starts one SERVER span — or adopts the SERVER
 * span another instrumentation (the official HTTP instrumentation) already made active for this request, so
 * there are never two —, and ends exactly once when the response emits `finish` (complete) or `close`
 * (complete or aborted). At the end it records the span's status attributes, one
 * `http.server.request.duration` value, the `http.server.active_requests` decrement, one access log line
 * and one anomaly-detector observation.
 *
 * Server spans come from here rather than from patching `http.Server`, so they exist whatever the import
 * order and in ESM without a loader.
 *
 * The per-request path is written for speed (the benchmark compares it with a bare framework): span names
 * and metric series are cached per (method, route, status); the response listeners are two module-level
 * functions that find the record through a symbol on the response, so no closure is created per request;
 * the context is entered once; an excluded path costs one `Set` lookup; the request's child logger is
 * created only when asked for. With a running pipeline, the request span is started straight into its span
 * processors (request-span.ts), the duration is recorded into the series' own cell (metrics-producer.ts)
 * and the access line is written from prepared fragments (access-line.ts); a lifecycle built with its own
 * `tracer`, `meter` or a foreign logger takes the standard API path for that part.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  type Attributes,
  type Context,
  context,
  type Meter,
  metrics,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { DEFAULT_EXCLUDED_PATHS, DEFAULT_REDACTED_KEYS } from '../config/defaults.js';
import { LOG_LEVEL_VALUES, type LogLevel } from '../config/environment.js';
import { getAnomalyDetector } from '../instrument/anomaly.js';
import { type PreparedLineWriter, preparedLineWriter } from '../logging/logger.js';
import { errorMessage, errorType } from '../span-failure.js';
import { getState, type TelemetryState } from '../state.js';
import {
  ACCESS_DATA_KEYS,
  type AccessLineFacts,
  accessDataAttributes,
  accessDataJson,
  accessDataObject,
  accessMessage,
} from './access-line.js';
import { clientAddress } from './client-address.js';
import { HostCache } from './host.js';
import {
  ABORTED_ERROR_TYPE,
  createHttpServerInstruments,
  type HttpServerInstruments,
  MAX_ROUTE_ENTRIES,
  MethodEntry,
  protocolVersion,
  RouteEntry,
} from './metrics.js';
import type { HttpMetricsStore } from './metrics-producer.js';
import { QueryRedactor } from './redact.js';
import { HTTP_INSTRUMENTATION_SCOPE, type RequestSpan, type RequestSpanFactory } from './request-span.js';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  KNOWN_HTTP_METHODS,
  OTHER_HTTP_METHOD,
} from './semconv.js';

export { HTTP_INSTRUMENTATION_SCOPE };

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

/** Settings of an {@link HttpLifecycle}. Everything is optional; {@link getHttpLifecycle} fills them from the running pipeline. */
export interface HttpLifecycleOptions {
  /** Paths (exact, query ignored) that get no span, metric or log line. Default: the core's default exclusions. */
  readonly excludePaths?: readonly string[];
  /** Query keys whose values are masked in `url.query` (case-insensitive, substring). Default: the core's list. */
  readonly redact?: readonly string[];
  /** Level of the access log line: `'auto'` (ERROR 5xx, WARN 4xx and aborted, else INFO), a level, or false. */
  readonly accessLog?: LogLevel | 'auto' | false;
  /**
   * Tracer of the request spans. Default: the global tracer provider's, with the scope
   * {@link HTTP_INSTRUMENTATION_SCOPE} (by which the lifecycle tells its own spans from adoptable ones).
   */
  readonly tracer?: Tracer;
  /**
   * Starts the request spans without the SDK's tracer (request-span.ts), handing them to the pipeline's span
   * processors. Used when no `tracer` is given; {@link getHttpLifecycle} passes the running pipeline's.
   */
  readonly requestSpans?: RequestSpanFactory;
  /**
   * Cells the pipeline's metric readers collect the HTTP metrics from (metrics-producer.ts), instead of SDK
   * instruments. Used when no `meter` is given; {@link getHttpLifecycle} passes the running pipeline's.
   */
  readonly httpMetrics?: HttpMetricsStore;
  /** Meter of the HTTP instruments. Default: the global meter provider's at construction time. */
  readonly meter?: Meter;
  /** Logger of the access lines and parent of request loggers. Default: none (no access log). */
  readonly logger?: RequestLogger;
  /** Anomaly detector fed with each request's duration and outcome, keyed by span name. Default: none. */
  readonly anomalyDetector?: RequestAnomalyObserver;
  /**
   * Most distinct (method, route) pairs with their own metric series; further routes are recorded under
   * `http.route` `_OTHER` (their spans keep the real route). Default 1000 (`MAX_ROUTE_ENTRIES`).
   */
  readonly maxRoutes?: number;
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

/** One request in flight, as returned by {@link HttpLifecycle.begin}. */
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

/** The symbol under which the record hangs on the request and the response (shared by ESM and CJS copies). */
const RECORD = Symbol.for('autotelemetry.http.record.v1');
type WithRecord = { [RECORD]?: RequestRecord };
/** What an SDK span exposes beyond the API: its kind, and the scope of the tracer that made it. */
type SdkSpan = Span & { kind?: SpanKind; instrumentationScope?: { name?: string } };

/**
 * Whether an active span is another instrumentation's SERVER span for this request, to adopt. A request span
 * of this lifecycle (its tracer's scope) is never adopted: it belongs to another request whose context
 * leaked here (a server started inside a request handler, an in-process call made from one). Read only when
 * a span is active at `begin`, so the common path pays nothing for the check.
 */
function isAdoptable(span: SdkSpan): boolean {
  return (
    span.kind === SpanKind.SERVER &&
    span.instrumentationScope?.name !== HTTP_INSTRUMENTATION_SCOPE &&
    span.isRecording()
  );
}

/** The record of a request (or its response) that {@link HttpLifecycle.begin} is tracking, if any. */
export function getRequestRecord(reqOrRes: IncomingMessage | ServerResponse | object): HttpRequestRecord | undefined {
  return (reqOrRes as WithRecord)[RECORD];
}

type LevelMethodName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const LEVEL_METHOD: Readonly<Record<LogLevel, LevelMethodName>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
};

let warnedFailure = false;
function warnOnce(what: string, error: unknown): void {
  if (warnedFailure) return;
  warnedFailure = true;
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`AutoTelemetry HTTP lifecycle could not ${what} (further failures are silent): ${message}`, {
    code: 'AUTOTELEMETRY_HTTP_LIFECYCLE',
  });
}

function recordException(span: Span, error: unknown): void {
  try {
    if (error instanceof Error) span.recordException(error);
    else span.recordException({ name: errorType(error), message: errorMessage(error) });
  } catch (e) {
    warnOnce('record an exception', e);
  }
}

// Listeners shared by every response: `this` is the response, the record hangs on it.
function onResponseFinish(this: ServerResponse): void {
  const record = (this as WithRecord)[RECORD];
  if (record !== undefined && !record.ended) record.end(true);
}
function onResponseClose(this: ServerResponse): void {
  const record = (this as WithRecord)[RECORD];
  if (record !== undefined && !record.ended) record.end(false);
}

class RequestRecord implements HttpRequestRecord {
  route: string | undefined = undefined;
  ended = false;
  /** Whether a failure was recorded, and which. */
  failed = false;
  failure: unknown = undefined;
  // Filled in at the end, for the completion lines.
  spanName = '';
  status = 0;
  aborted = false;
  durationMs = 0;
  errorLine = false;
  private requestLogger: RequestLogger | undefined = undefined;

  constructor(
    private readonly lifecycle: HttpLifecycle,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly span: Span,
    readonly context: Context,
    readonly adopted: boolean,
    readonly methodEntry: MethodEntry,
    readonly path: string,
    readonly scheme: string,
    readonly protocol: string,
    readonly startedAt: number,
    private readonly hooks: HttpAdapterHooks | undefined,
  ) {}

  get logger(): RequestLogger | undefined {
    if (this.requestLogger === undefined) this.requestLogger = this.lifecycle.createRequestLogger(this);
    return this.requestLogger;
  }

  setRoute(template: string): void {
    if (this.ended || typeof template !== 'string' || template === this.route) return;
    this.applyRoute(template);
  }

  private applyRoute(template: string): void {
    this.route = template;
    if (this.adopted) {
      // The official HTTP instrumentation names its span and labels its own metric from this metadata.
      const rpc = getRPCMetadata(this.context);
      if (rpc !== undefined && rpc.type === RPCType.HTTP) rpc.route = template;
    }
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.failed = true;
    this.failure = error;
  }

  run<A extends unknown[], R>(fn: (...args: A) => R, thisArg?: unknown, ...args: A): R {
    return context.with(this.context, fn, thisArg, ...args);
  }

  /** Ends the request once: `finished` is false when the connection closed before the response completed. */
  end(finished: boolean): void {
    this.ended = true;
    try {
      this.lifecycle.complete(this, finished);
    } catch (error) {
      warnOnce('end a request', error);
    }
  }

  /** At the end: when no route was set, asks the adapter for the one its framework matched. */
  resolveRoute(): void {
    if (this.route !== undefined || this.hooks?.findRoute === undefined) return;
    try {
      const found = this.hooks.findRoute(this.req, this.res);
      if (typeof found === 'string' && found.length > 0) this.applyRoute(found);
    } catch {
      // The span keeps the method-only name.
    }
  }

  /** At the end: when no failure was recorded on a 5xx, asks the adapter for the error its framework kept. */
  resolveFailure(status: number): void {
    if (!this.failed && status >= 500 && this.hooks?.findUnrecordedError !== undefined) {
      try {
        const found = this.hooks.findUnrecordedError(this.req, this.res);
        if (found !== undefined && found !== null) {
          this.failed = true;
          this.failure = found;
        }
      } catch {
        // The status and error.type still tell the failure.
      }
    }
  }
}

/** The default values of {@link HttpLifecycleOptions} when no pipeline is running. */
const DEFAULT_ACCESS_LOG = 'auto';

/**
 * The request lifecycle of one pipeline: its caches, instruments and settings. Adapters get the running
 * pipeline's with {@link getHttpLifecycle}; tests and custom setups may construct one.
 */
export class HttpLifecycle {
  private readonly tracer: Tracer;
  private readonly requestSpans: RequestSpanFactory | undefined;
  /** The SDK instruments, or undefined when the pipeline collects the HTTP metrics from the cells itself. */
  private readonly instruments: HttpServerInstruments | undefined;
  private readonly excluded: ReadonlySet<string>;
  private readonly redactor: QueryRedactor;
  private readonly accessLog: LogLevel | 'auto' | false;
  private readonly logger: RequestLogger | undefined;
  private readonly accessLogger: RequestLogger | undefined;
  private readonly accessWriter: PreparedLineWriter | undefined;
  private readonly anomalyDetector: RequestAnomalyObserver | undefined;
  private readonly methods = new Map<string, MethodEntry>();
  private readonly otherMethod = new MethodEntry(OTHER_HTTP_METHOD);
  private routeEntries = 0;
  private readonly maxRoutes: number;
  private readonly hosts = new HostCache();

  constructor(options: HttpLifecycleOptions = {}) {
    this.tracer = options.tracer ?? trace.getTracer(HTTP_INSTRUMENTATION_SCOPE);
    this.requestSpans = options.tracer === undefined ? options.requestSpans : undefined;
    for (const method of KNOWN_HTTP_METHODS) this.methods.set(method, new MethodEntry(method));
    const store = options.meter === undefined ? options.httpMetrics : undefined;
    const methods = this.methods;
    const other = this.otherMethod;
    const attached = store?.attach({
      *series() {
        for (const entry of methods.values()) yield* entry.series();
        yield* other.series();
      },
      observeActive(observe) {
        const result = { observe };
        for (const entry of methods.values()) entry.observeActive(result);
        other.observeActive(result);
      },
    });
    this.instruments = attached
      ? undefined
      : createHttpServerInstruments(options.meter ?? metrics.getMeter(HTTP_INSTRUMENTATION_SCOPE), methods, other);
    this.excluded = new Set(options.excludePaths ?? DEFAULT_EXCLUDED_PATHS);
    this.redactor = new QueryRedactor(options.redact ?? DEFAULT_REDACTED_KEYS);
    this.accessLog = options.accessLog ?? DEFAULT_ACCESS_LOG;
    this.logger = options.logger;
    this.accessLogger = options.logger?.getLogger?.('http') ?? options.logger;
    this.accessWriter = preparedLineWriter(this.accessLogger, ACCESS_DATA_KEYS);
    this.anomalyDetector = options.anomalyDetector;
    this.maxRoutes = options.maxRoutes ?? MAX_ROUTE_ENTRIES;
  }

  /** Whether requests to `path` (without query) get no telemetry. */
  isExcluded(path: string): boolean {
    return this.excluded.has(path);
  }

  /**
   * Starts tracking a request; returns undefined for an excluded path (nothing is recorded for it), and the
   * existing record when the request is already tracked (two adapters on one request share one record).
   * Never throws: on an internal failure it warns once and returns undefined.
   */
  begin(req: IncomingMessage, res: ServerResponse, hooks?: HttpAdapterHooks): HttpRequestRecord | undefined {
    const existing = (req as WithRecord)[RECORD];
    if (existing !== undefined) return existing;
    try {
      return this.start(req, res, hooks);
    } catch (error) {
      warnOnce('start a request span', error);
      return undefined;
    }
  }

  private start(
    req: IncomingMessage,
    res: ServerResponse,
    hooks: HttpAdapterHooks | undefined,
  ): RequestRecord | undefined {
    // Express rewrites `req.url` inside mounted routers; `originalUrl` is what the client sent.
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (this.excluded.has(path)) return undefined;
    const startedAt = performance.now();

    const rawMethod = req.method ?? 'GET';
    const methodEntry = this.methods.get(rawMethod) ?? this.otherMethod;
    const scheme = (req.socket as TLSSocket | null)?.encrypted === true ? 'https' : 'http';
    const protocol = protocolVersion(req.httpVersion);

    let span: Span;
    let ctx: Context;
    let adopted = false;
    const active = context.active();
    const activeSpan = trace.getSpan(active) as SdkSpan | undefined;
    if (activeSpan !== undefined && isAdoptable(activeSpan)) {
      // Another instrumentation made this request's SERVER span: name it and label it, never add a second.
      span = activeSpan;
      ctx = active;
      adopted = true;
    } else {
      const headers = req.headers;
      // HTTP/2 requests name their host in `:authority`.
      const host = this.hosts.get(headers.host ?? (headers[':authority'] as string | undefined), scheme);
      // Only defined values: the request span takes this object as its own, unchecked.
      const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: methodEntry.method };
      if (methodEntry === this.otherMethod) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = rawMethod;
      attributes[ATTR_URL_PATH] = path;
      if (q !== -1) attributes[ATTR_URL_QUERY] = this.redactor.redact(url.slice(q + 1));
      attributes[ATTR_URL_SCHEME] = scheme;
      if (host.address !== undefined) attributes[ATTR_SERVER_ADDRESS] = host.address;
      if (host.port !== undefined) attributes[ATTR_SERVER_PORT] = host.port;
      const client = clientAddress(headers, req.socket?.remoteAddress);
      if (client !== undefined) attributes[ATTR_CLIENT_ADDRESS] = client;
      const userAgent = headers['user-agent'];
      if (typeof userAgent === 'string') attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
      attributes[ATTR_NETWORK_PROTOCOL_VERSION] = protocol;
      const parent = propagation.extract(ROOT_CONTEXT, headers);
      span =
        this.requestSpans === undefined
          ? this.tracer.startSpan(methodEntry.method, { kind: SpanKind.SERVER, attributes }, parent)
          : this.requestSpans.start(methodEntry.method, attributes, parent, startedAt);
      ctx = trace.setSpan(parent, span);
    }

    const record = new RequestRecord(
      this,
      req,
      res,
      span,
      ctx,
      adopted,
      methodEntry,
      path,
      scheme,
      protocol,
      startedAt,
      hooks,
    );
    (req as WithRecord)[RECORD] = record;
    (res as WithRecord)[RECORD] = record;
    res.on('finish', onResponseFinish);
    res.on('close', onResponseClose);
    methodEntry.requestStarted(scheme);
    return record;
  }

  /** The cached entry of (method, route); routes past the bound share the method's overflow entry. */
  private routeEntry(methodEntry: MethodEntry, route: string | undefined): RouteEntry {
    if (route === undefined) return methodEntry.unmatched;
    let entry = methodEntry.routes.get(route);
    if (entry === undefined) {
      if (this.routeEntries >= this.maxRoutes) return methodEntry.overflow;
      entry = new RouteEntry(methodEntry.method, route, route);
      methodEntry.routes.set(route, entry);
      this.routeEntries++;
    }
    return entry;
  }

  /**
   * @internal The end of a request: logs, anomaly observation, span, metrics — in that order (a span event
   * or exception can only be added before the span ends). Each step is guarded on its own, so a failing
   * logger or detector never leaves the span unended or the request uncounted.
   */
  complete(record: RequestRecord, finished: boolean): void {
    const endedAt = performance.now();
    const durationMs = endedAt - record.startedAt;
    record.methodEntry.requestEnded(record.scheme);
    const res = record.res;
    const status = finished || res.headersSent ? res.statusCode : 0;
    const aborted = !finished;
    const serverError = aborted || status >= 500;
    record.resolveRoute();
    const entry = this.routeEntry(record.methodEntry, record.route);
    record.resolveFailure(status);
    const span = record.span;
    record.status = status;
    record.aborted = aborted;
    record.durationMs = durationMs;
    // Past the route bound the metric series collapses, but the span still tells the real route.
    record.spanName = entry.route === record.route ? entry.spanName : `${entry.method} ${record.route}`;

    // A failure becomes one exception event: through the error line when one is written (the logger records
    // an Error it writes at ERROR inside the span), else directly.
    const logger = this.accessLogger;
    record.errorLine = record.failed && serverError && logger !== undefined && levelEnabled(logger, 'ERROR');
    if (record.failed && !(record.errorLine && record.failure instanceof Error) && span.isRecording()) {
      recordException(span, record.failure);
    }
    if (logger !== undefined) {
      try {
        if (record.errorLine) context.with(record.context, writeErrorLine, this, record);
        this.writeAccessLine(logger, record, entry, status, aborted);
      } catch (error) {
        warnOnce('write the access line', error);
      }
    }
    if (this.anomalyDetector !== undefined && !aborted) {
      try {
        this.anomalyDetector.observe(record.spanName, durationMs, status >= 500, span);
      } catch (error) {
        warnOnce('feed the anomaly detector', error);
      }
    }
    try {
      this.endSpan(record, span, status, aborted, serverError, endedAt);
    } finally {
      const series = entry.durationSeries(status, record.scheme, record.protocol, aborted);
      if (this.instruments === undefined) series.record(durationMs / 1000);
      else this.instruments.duration.record(durationMs / 1000, series.attributes);
    }
  }

  private endSpan(
    record: RequestRecord,
    span: Span,
    status: number,
    aborted: boolean,
    serverError: boolean,
    endedAt: number,
  ): void {
    if (record.adopted) {
      // The adopting instrumentation ends its span (after this 'finish'); only add what it cannot know.
      if (span.isRecording()) {
        if (record.route !== undefined) {
          span.updateName(record.spanName);
          span.setAttribute(ATTR_HTTP_ROUTE, record.route);
        }
        if (record.failed && serverError) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(record.failure) });
        }
      }
      return;
    }
    // The lifecycle's own span takes its known-valid attributes without the checks user values go through,
    // and ends at the same clock reading as the duration metric.
    // Duck-typed: the span may come from the other (ESM or CJS) copy of this package.
    const own = typeof (span as Partial<RequestSpan>).endAt === 'function' ? (span as RequestSpan) : undefined;
    try {
      if (record.route !== undefined) {
        span.updateName(record.spanName);
        if (own !== undefined) own.setKnownAttribute(ATTR_HTTP_ROUTE, record.route);
        else span.setAttribute(ATTR_HTTP_ROUTE, record.route);
      }
      if (status > 0) {
        if (own !== undefined) own.setKnownAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        else span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      }
      if (serverError) {
        span.setAttribute(ATTR_ERROR_TYPE, aborted ? ABORTED_ERROR_TYPE : String(status));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: record.failed
            ? errorMessage(record.failure)
            : aborted
              ? 'the connection closed before the response completed'
              : undefined,
        });
      }
    } finally {
      if (own !== undefined) own.endAt(endedAt);
      else span.end();
    }
  }

  /** @internal The request logger of `record`: a child of the pipeline's logger. */
  createRequestLogger(record: RequestRecord): RequestLogger | undefined {
    if (this.logger === undefined) return undefined;
    const bindings: Record<string, unknown> = {
      [ATTR_HTTP_REQUEST_METHOD]: record.methodEntry.method,
      [ATTR_URL_PATH]: record.path,
    };
    const requestId = record.req.headers['x-request-id'];
    if (typeof requestId === 'string' && requestId.length > 0 && requestId.length <= 128)
      bindings.request_id = requestId;
    return this.logger.child(bindings);
  }

  private writeAccessLine(
    logger: RequestLogger,
    record: RequestRecord,
    entry: RouteEntry,
    status: number,
    aborted: boolean,
  ): void {
    const level = this.accessLevel(status, aborted);
    if (level === undefined || !levelEnabled(logger, level)) return;
    const facts: AccessLineFacts = {
      method: record.methodEntry.method,
      route: record.route,
      path: record.path,
      status,
      durationMs: round3(record.durationMs),
      aborted,
    };
    const writer = this.accessWriter;
    if (writer === undefined) {
      context.with(record.context, logAccessLine, undefined, logger, LEVEL_METHOD[level], facts);
      return;
    }
    writer.write(
      LOG_LEVEL_VALUES[level],
      accessMessage(facts),
      accessDataJson(facts, entry),
      accessDataAttributes(facts),
      record.span,
      record.context,
    );
  }

  /** @internal The access line's level for a status, or undefined when access lines are off. */
  accessLevel(status: number, aborted: boolean): LogLevel | undefined {
    if (this.accessLog === false) return undefined;
    if (this.accessLog !== 'auto') return this.accessLog;
    if (status >= 500) return 'ERROR';
    if (status >= 400 || aborted) return 'WARN';
    return 'INFO';
  }

  /** @internal */
  get completionLogger(): RequestLogger | undefined {
    return this.accessLogger;
  }
}

/** Whether `logger` writes `level` lines: pino's numeric threshold when it has one (no string parsing per call). */
function levelEnabled(logger: RequestLogger, level: LogLevel): boolean {
  const threshold = logger.levelVal;
  if (typeof threshold === 'number') return LOG_LEVEL_VALUES[level] >= threshold;
  return logger.isLevelEnabled?.(LEVEL_METHOD[level]) !== false;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Writes the error line of a 5xx with a recorded failure, inside the request's context. */
function writeErrorLine(this: HttpLifecycle, record: RequestRecord): void {
  this.completionLogger?.error(`${record.spanName} failed: ${errorMessage(record.failure)}`, record.failure);
}

/** Writes the access line the ordinary way (a logger without a prepared-line writer), inside the request's context. */
function logAccessLine(logger: RequestLogger, method: LevelMethodName, facts: AccessLineFacts): void {
  logger[method](accessMessage(facts), accessDataObject(facts));
}

const LIFECYCLE_SERVICE = 'http.lifecycle';
let lastState: TelemetryState | undefined;
let lastLifecycle: HttpLifecycle | undefined;

/**
 * The running pipeline's lifecycle (created on first use with the pipeline's config, logger, tracer and
 * meter), or undefined when no pipeline is running or telemetry is disabled. Cheap enough to call per
 * request: it is cached until the pipeline changes.
 */
export function getHttpLifecycle(): HttpLifecycle | undefined {
  const state = getState();
  if (state === lastState) return lastLifecycle;
  lastState = state;
  lastLifecycle = undefined;
  if (state === undefined || !state.config.enabled) return undefined;
  // Shared through the state, so the ESM and CJS copies of the core (both loaded by one app) use one.
  const shared = state.services[LIFECYCLE_SERVICE] as HttpLifecycle | undefined;
  if (shared !== undefined && typeof shared.begin === 'function') {
    lastLifecycle = shared;
    return shared;
  }
  const config = state.config;
  const lifecycle = new HttpLifecycle({
    excludePaths: config.excludePaths,
    redact: config.redact,
    accessLog: config.accessLog,
    logger: isRequestLogger(state.logger) ? state.logger : undefined,
    anomalyDetector: config.anomalyDetection ? getAnomalyDetector() : undefined,
    requestSpans: state.pipeline?.requestSpans,
    httpMetrics: state.pipeline?.httpMetrics,
  });
  state.services[LIFECYCLE_SERVICE] = lifecycle;
  lastLifecycle = lifecycle;
  return lifecycle;
}

function isRequestLogger(value: unknown): value is RequestLogger {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as RequestLogger).info === 'function' &&
    typeof (value as RequestLogger).child === 'function'
  );
}
