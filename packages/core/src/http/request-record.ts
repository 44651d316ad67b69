/**
 * One request in flight: the record the lifecycle hangs on the request and its response, what an adapter
 * reads and sets through it (route, failure, logger, context), and the two response listeners that end it
 * exactly once — on `finish` (complete) or `close` (complete or aborted).
 *
 * The listeners are module-level functions that find the record through a symbol on the response, so no
 * closure is created per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { HttpAdapterHooks, HttpRequestRecord, RequestLogger } from './adapter-contract.js';
import type { MethodEntry, RouteEntry } from './metrics.js';

/** What ends a record: the lifecycle that began it. */
export interface RequestCompleter {
  /** The end of a request: lines, anomaly observation, span, metrics. */
  complete(record: RequestRecord, finished: boolean): void;
  /** The request's logger, a child of the lifecycle's logger bound to the request. */
  createRequestLogger(record: RequestRecord): RequestLogger | undefined;
}

/** The symbol under which the record hangs on the request and the response (shared by ESM and CJS copies). */
const RECORD = Symbol.for('autotelemetry.http.record.v1');
type WithRecord = { [RECORD]?: RequestRecord };

/** The record of a request (or its response) that the lifecycle is tracking, if any. */
export function getRequestRecord(reqOrRes: IncomingMessage | ServerResponse | object): HttpRequestRecord | undefined {
  return (reqOrRes as WithRecord)[RECORD];
}

/** The record already tracking `req` (two adapters on one request share one), if any. */
export function trackedRecord(req: IncomingMessage): RequestRecord | undefined {
  return (req as WithRecord)[RECORD];
}

let warnedFailure = false;
/** One process warning for the first internal failure of the lifecycle; later ones are silent. */
export function warnLifecycleFailure(what: string, error: unknown): void {
  if (warnedFailure) return;
  warnedFailure = true;
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`AutoTelemetry HTTP lifecycle could not ${what} (further failures are silent): ${message}`, {
    code: 'AUTOTELEMETRY_HTTP_LIFECYCLE',
  });
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

/** A request in flight; see {@link HttpRequestRecord} for what adapters may use. */
export class RequestRecord implements HttpRequestRecord {
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
  /** `performance.now()` at the end. */
  endedAt = 0;
  /** The (method, route) entry the end resolved. */
  routeEntry: RouteEntry | undefined = undefined;
  errorLine = false;
  private requestLogger: RequestLogger | undefined = undefined;

  /** The request's `x-request-id`, kept when the request and response are let go (see {@link RequestRecord.release}). */
  private requestId: unknown = undefined;

  constructor(
    private readonly lifecycle: RequestCompleter,
    private requestObject: IncomingMessage | undefined,
    private responseObject: ServerResponse | undefined,
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

  /** The request; undefined once released. */
  get req(): IncomingMessage | undefined {
    return this.requestObject;
  }

  /** The response; undefined once released. */
  get res(): ServerResponse | undefined {
    return this.responseObject;
  }

  /** The request's `x-request-id` header, whether or not the request is still held. */
  get requestIdHeader(): unknown {
    return this.requestObject === undefined ? this.requestId : this.requestObject.headers['x-request-id'];
  }

  /**
   * Lets the request and response go once the end has read what it needs: a record waiting for its turn's
   * batch (lifecycle.ts) would otherwise keep both alive, with their headers and buffers, through the young
   * generation's collections.
   */
  release(): void {
    const req = this.requestObject;
    if (req === undefined) return;
    this.requestId = req.headers['x-request-id'];
    this.requestObject = undefined;
    this.responseObject = undefined;
  }

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
      warnLifecycleFailure('end a request', error);
    }
  }

  /** At the end: when no route was set, asks the adapter for the one its framework matched. */
  resolveRoute(): void {
    const req = this.requestObject;
    const res = this.responseObject;
    if (this.route !== undefined || this.hooks?.findRoute === undefined || req === undefined || res === undefined)
      return;
    try {
      const found = this.hooks.findRoute(req, res);
      if (typeof found === 'string' && found.length > 0) this.applyRoute(found);
    } catch {
      // The span keeps the method-only name.
    }
  }

  /** At the end: when no failure was recorded on a 5xx, asks the adapter for the error its framework kept. */
  resolveFailure(status: number): void {
    const req = this.requestObject;
    const res = this.responseObject;
    if (!this.failed && status >= 500 && this.hooks?.findUnrecordedError !== undefined && req && res) {
      try {
        const found = this.hooks.findUnrecordedError(req, res);
        if (found !== undefined && found !== null) {
          this.failed = true;
          this.failure = found;
        }
      } catch {
        // The status and error.type still tell the failure.
      }
    }
  }

  /** Hangs the record on its request and response, and ends it when the response does. */
  track(): void {
    const req = this.requestObject as IncomingMessage;
    const res = this.responseObject as ServerResponse;
    (req as WithRecord)[RECORD] = this;
    (res as WithRecord)[RECORD] = this;
    res.on('finish', onResponseFinish);
    res.on('close', onResponseClose);
  }
}
