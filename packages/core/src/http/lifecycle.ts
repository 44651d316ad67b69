/**
 * The framework-free HTTP server request lifecycle every adapter (Express, Fastify, NestJS) calls from its
 * earliest hook (the contract: adapter-contract.ts).
 *
 * `begin` extracts the W3C trace context (`traceparent`/`tracestate`, through the registered propagator:
 * a malformed header is ignored and a new trace starts), then starts one SERVER span — or adopts the SERVER
 * span another instrumentation (the official HTTP instrumentation) already made active for this request, so
 * there are never two —, and the request's record (request-record.ts) ends exactly once when the response
 * emits `finish` or `close`. At the end it records the span's status attributes, one
 * `http.server.request.duration` value, the `http.server.active_requests` decrement, the access line
 * (access-line.ts) and one anomaly-detector observation.
 *
 * Server spans come from here rather than from patching `http.Server`, so they exist whatever the import
 * order and in ESM without a loader.
 *
 * The per-request path is written for speed (the benchmark compares it with a bare framework): span names
 * and metric series are cached per (method, route, status); no closure is created per request; the context
 * is entered once; an excluded path costs one `Set` lookup; the request's child logger is created only when
 * asked for. Given the pipeline's capture points, the request span is started straight into its span
 * processors (request-span.ts), the duration is recorded into the series' own cell (metrics-producer.ts)
 * and the access line is written from prepared fragments; a lifecycle built with its own `tracer`, `meter`
 * or a foreign logger takes the standard API path for that part. The running pipeline's lifecycle is found
 * with `getHttpLifecycle()` (running-lifecycle.ts); this module reads no global state.
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
import { DEFAULT_EXCLUDED_PATHS, DEFAULT_REDACTED_KEYS } from '../config/defaults.js';
import type { LogLevel } from '../config/environment.js';
import type { MetricCellStore } from '../metrics/cell-store.js';
import { outsideContext } from '../outside-context.js';
import { errorMessage, errorType } from '../span-failure.js';
import { AccessLog } from './access-line.js';
import type { HttpAdapterHooks, HttpRequestRecord, RequestAnomalyObserver, RequestLogger } from './adapter-contract.js';
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
import { httpCellSource } from './metrics-producer.js';
import { QueryRedactor } from './redact.js';
import { requestContext } from './request-context.js';
import { type RequestCompleter, RequestRecord, trackedRecord, warnLifecycleFailure } from './request-record.js';
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

/** Settings of an {@link HttpLifecycle}. Everything is optional; the running pipeline's are filled from its config and capture points. */
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
  readonly httpMetrics?: MetricCellStore;
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
  /**
   * The header names the registered propagator reads (its `fields()`). When given, a request that carries
   * none of them starts a new trace without calling the propagator. Default: every request goes through
   * `propagation.extract`. {@link getHttpLifecycle} passes the fields of the propagator the pipeline
   * registered; a propagator registered by other code is always called.
   */
  readonly propagationFields?: readonly string[];
}

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

function recordException(span: Span, error: unknown): void {
  try {
    if (error instanceof Error) span.recordException(error);
    else span.recordException({ name: errorType(error), message: errorMessage(error) });
  } catch (e) {
    warnLifecycleFailure('record an exception', e);
  }
}

/** The default values of {@link HttpLifecycleOptions} when no pipeline is running. */
const DEFAULT_ACCESS_LOG = 'auto';

/** Feeds the detector one completed request (called inside the request's context). */
function observe(detector: RequestAnomalyObserver, record: RequestRecord, status: number): void {
  detector.observe(record.spanName, record.durationMs, status >= 500, record.span);
}

/** Whether `span` is a request span of the lifecycle's (duck-typed: it may come from the other ESM or CJS copy). */
function isOwnSpan(span: Span): span is RequestSpan {
  return typeof (span as Partial<RequestSpan>).endAt === 'function';
}

/** Most completed requests waiting for their batch; one more finishes them at once (a turn that ends thousands). */
const MAX_PENDING_COMPLETIONS = 256;

/**
 * The request lifecycle of one pipeline: its caches, instruments and settings. Adapters get the running
 * pipeline's with {@link getHttpLifecycle}; tests and custom setups may construct one.
 */
export class HttpLifecycle implements RequestCompleter {
  private readonly tracer: Tracer;
  private readonly requestSpans: RequestSpanFactory | undefined;
  /** The SDK instruments, or undefined when the pipeline collects the HTTP metrics from the cells itself. */
  private readonly instruments: HttpServerInstruments | undefined;
  private readonly excluded: ReadonlySet<string>;
  private readonly redactor: QueryRedactor;
  private readonly logger: RequestLogger | undefined;
  /** The end-of-request lines, when there is a logger. */
  private readonly lines: AccessLog | undefined;
  /** Completed requests waiting for this turn's batch (see {@link HttpLifecycle.complete}). */
  private finishing: RequestRecord[] = [];
  private batchScheduled = false;
  private readonly anomalyDetector: RequestAnomalyObserver | undefined;
  private readonly methods = new Map<string, MethodEntry>();
  private readonly otherMethod = new MethodEntry(OTHER_HTTP_METHOD);
  private routeEntries = 0;
  private readonly maxRoutes: number;
  private readonly hosts = new HostCache();
  private readonly propagationFields: readonly string[] | undefined;

  constructor(options: HttpLifecycleOptions = {}) {
    this.tracer = options.tracer ?? trace.getTracer(HTTP_INSTRUMENTATION_SCOPE);
    this.requestSpans = options.tracer === undefined ? options.requestSpans : undefined;
    for (const method of KNOWN_HTTP_METHODS) this.methods.set(method, new MethodEntry(method));
    const store = options.meter === undefined ? options.httpMetrics : undefined;
    const methods = this.methods;
    const other = this.otherMethod;
    const attached = store?.attach(
      { name: HTTP_INSTRUMENTATION_SCOPE },
      httpCellSource({
        *series() {
          for (const entry of methods.values()) yield* entry.series();
          yield* other.series();
        },
        observeActive(observe) {
          const result = { observe };
          for (const entry of methods.values()) entry.observeActive(result);
          other.observeActive(result);
        },
      }),
    );
    this.instruments = attached
      ? undefined
      : createHttpServerInstruments(options.meter ?? metrics.getMeter(HTTP_INSTRUMENTATION_SCOPE), methods, other);
    this.excluded = new Set(options.excludePaths ?? DEFAULT_EXCLUDED_PATHS);
    this.redactor = new QueryRedactor(options.redact ?? DEFAULT_REDACTED_KEYS);
    this.logger = options.logger;
    const accessLogger = options.logger?.getLogger?.('http') ?? options.logger;
    this.lines = accessLogger && new AccessLog(accessLogger, options.accessLog ?? DEFAULT_ACCESS_LOG);
    this.anomalyDetector = options.anomalyDetector;
    this.maxRoutes = options.maxRoutes ?? MAX_ROUTE_ENTRIES;
    this.propagationFields = options.propagationFields && Object.freeze([...options.propagationFields]);
  }

  /** The context `headers` continue: the propagator's, unless none of the headers it reads is present. */
  private extractParent(headers: IncomingMessage['headers']): Context {
    const fields = this.propagationFields;
    if (fields === undefined) return propagation.extract(ROOT_CONTEXT, headers);
    for (const field of fields) {
      if (headers[field] !== undefined) return propagation.extract(ROOT_CONTEXT, headers);
    }
    return ROOT_CONTEXT;
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
    const existing = trackedRecord(req);
    if (existing !== undefined) return existing;
    try {
      return this.start(req, res, hooks);
    } catch (error) {
      warnLifecycleFailure('start a request span', error);
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
      const parent = this.extractParent(headers);
      span =
        this.requestSpans === undefined
          ? this.tracer.startSpan(methodEntry.method, { kind: SpanKind.SERVER, attributes }, parent)
          : this.requestSpans.start(methodEntry.method, attributes, parent, startedAt);
      ctx = requestContext(parent, span);
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
    record.track();
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
   * @internal The end of a request. What the request and response can still tell is read now: the status,
   * the route and failure the adapter's hooks find, the duration. What it produces — the access line, the
   * anomaly observation, the span's end and the duration record — follows in that order (a span event or
   * exception can only be added before the span ends), each step guarded on its own, so a failing logger or
   * detector never leaves the span unended or the request uncounted.
   *
   * A request that completed without a failure, and whose span is the lifecycle's own (ended at a given clock
   * reading), gets that part in a batch: every such request that ends in one turn of the event loop is
   * finished together, in the turn's check phase (`setImmediate`), at the clock readings taken here. Run back
   * to back, the same code costs less than interleaved with the framework's (measured: about a fifth of what
   * the lifecycle adds to an Express request). The record lets its request and response go while it waits.
   * `flush()`, shutdown, the exit export and metrics snapshots finish the batch first
   * ({@link HttpLifecycle.completePending}). A failed, aborted or adopted request is finished at once, after
   * the batch so far: its exception event, and the name an adopting instrumentation's span takes, belong
   * before that span ends.
   */
  complete(record: RequestRecord, finished: boolean): void {
    const endedAt = performance.now();
    record.methodEntry.requestEnded(record.scheme);
    const res = record.res;
    const status = res !== undefined && (finished || res.headersSent) ? res.statusCode : 0;
    record.resolveRoute();
    const entry = this.routeEntry(record.methodEntry, record.route);
    record.resolveFailure(status);
    record.status = status;
    record.aborted = !finished;
    record.endedAt = endedAt;
    record.durationMs = endedAt - record.startedAt;
    record.routeEntry = entry;
    // Past the route bound the metric series collapses, but the span still tells the real route.
    record.spanName = entry.route === record.route ? entry.spanName : `${entry.method} ${record.route}`;
    if (!finished || record.failed || record.adopted || !isOwnSpan(record.span)) {
      // The batch first: lines and spans keep the order their requests ended in.
      this.completePending();
      this.finish(record);
      return;
    }
    record.release();
    this.finishing.push(record);
    if (this.finishing.length >= MAX_PENDING_COMPLETIONS) this.completePending();
    else if (!this.batchScheduled) {
      this.batchScheduled = true;
      outsideContext(this.scheduleBatch);
    }
  }

  private readonly scheduleBatch = (): void => {
    setImmediate(this.completeBatch);
  };

  private readonly completeBatch = (): void => {
    this.batchScheduled = false;
    this.completePending();
  };

  /**
   * Finishes now every request whose telemetry waits for this turn's batch (see `complete`): before a flush,
   * a shutdown, the exit export, a metrics snapshot and a read by the test helpers.
   */
  completePending(): void {
    const batch = this.finishing;
    if (batch.length === 0) return;
    this.finishing = [];
    for (let i = 0; i < batch.length; i++) {
      const record = batch[i] as RequestRecord;
      try {
        this.finish(record);
      } catch (error) {
        warnLifecycleFailure('end a request', error);
      }
    }
  }

  /** What a completed request produces: lines, anomaly observation, span end, duration record. */
  private finish(record: RequestRecord): void {
    const { status, aborted, durationMs, endedAt } = record;
    const entry = record.routeEntry as RouteEntry;
    const serverError = aborted || status >= 500;
    const span = record.span;
    // A failure becomes one exception event: through the error line when one is written (the logger records
    // an Error it writes at ERROR inside the span), else directly.
    const lines = this.lines;
    record.errorLine = record.failed && serverError && lines?.writesErrors() === true;
    if (record.failed && !(record.errorLine && record.failure instanceof Error) && span.isRecording()) {
      recordException(span, record.failure);
    }
    if (lines !== undefined) {
      try {
        if (record.errorLine) lines.writeError(record);
        lines.write(record, entry, status, aborted);
      } catch (error) {
        warnLifecycleFailure('write the access line', error);
      }
    }
    if (this.anomalyDetector !== undefined && !aborted) {
      try {
        // In the request's context: a detection's warning line carries the request's trace ids.
        context.with(record.context, observe, undefined, this.anomalyDetector, record, status);
      } catch (error) {
        warnLifecycleFailure('feed the anomaly detector', error);
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
    const own = isOwnSpan(span) ? span : undefined;
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
    const requestId = record.requestIdHeader;
    if (typeof requestId === 'string' && requestId.length > 0 && requestId.length <= 128)
      bindings.request_id = requestId;
    return this.logger.child(bindings);
  }
}
