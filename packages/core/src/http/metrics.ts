/**
 * The two HTTP server instruments and the attribute objects they are recorded with.
 *
 * The duration histogram is recorded once per request with an attribute object built once per (method,
 * route, status, scheme, protocol) and reused; the caches are bounded, and a route beyond the bound is
 * recorded under {@link OVERFLOW_ROUTE} so the series count stays bounded too.
 *
 * `http.server.active_requests` is an asynchronous up-down counter: the lifecycle keeps the in-flight count per
 * (method, scheme) in plain integers and the SDK reads them when it collects. The same series as a
 * synchronous counter, without two SDK records (each an attribute hash and a storage lookup) per request.
 */
import type { Attributes, Histogram, Meter, ObservableResult, ObservableUpDownCounter } from '@opentelemetry/api';
import { HistogramCell } from '../metrics/cells.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_SCHEME,
  HTTP_SERVER_DURATION_BUCKETS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from './semconv.js';

/** `http.route` of the metric series that collects every route past {@link MAX_ROUTE_ENTRIES}. */
export const OVERFLOW_ROUTE = '_OTHER';

/**
 * Most distinct (method, route) pairs given their own span name, metric series and anomaly key. Kept well
 * below the SDK's own limit of 2000 series per metric stream: a route can have a series per status, and past
 * that limit the SDK folds every new series into one `otel.metric.overflow` series without method, route or
 * status; below it, the routes past this bound share `http.route="_OTHER"` and keep their method and status.
 */
export const MAX_ROUTE_ENTRIES = 1000;

/** Most duration series of one (method, route) pair; further ones share one labelled by method and route. */
const MAX_SERIES_PER_ROUTE = 256;
/** The key of that shared series. */
const OVERFLOW_STATUS_KEY = -1;

/**
 * Every attribute key the HTTP server metrics are recorded with (the duration's; the active count uses the
 * first two). The pipeline checks them against the redaction list before it lets the lifecycle record the
 * metrics into its own cells (metrics-producer.ts), which no SDK view could mask.
 */
export const HTTP_METRIC_ATTRIBUTES: readonly string[] = Object.freeze([
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_URL_SCHEME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_HTTP_ROUTE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_ERROR_TYPE,
]);

/** `error.type` of a request whose client went away before the response was complete. */
export const ABORTED_ERROR_TYPE = 'aborted';

/** The instruments of one meter. */
export interface HttpServerInstruments {
  readonly duration: Histogram;
  readonly activeRequests: ObservableUpDownCounter;
}

/**
 * Creates `http.server.request.duration` (with the semconv buckets as advice) and `http.server.active_requests`,
 * whose value is read from `methods` (and `other`) at each collection.
 */
export function createHttpServerInstruments(
  meter: Meter,
  methods: ReadonlyMap<string, MethodEntry>,
  other: MethodEntry,
): HttpServerInstruments {
  const activeRequests = meter.createObservableUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
    description: 'Number of active HTTP server requests.',
    unit: '{request}',
  });
  activeRequests.addCallback((result) => {
    for (const entry of methods.values()) entry.observeActive(result);
    other.observeActive(result);
  });
  return {
    duration: meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...HTTP_SERVER_DURATION_BUCKETS] },
    }),
    activeRequests,
  };
}

// Small integer codes keep the per-status cache key a number (no string building per request).
function protocolCode(version: string): number {
  switch (version) {
    case '1.1':
      return 0;
    case '2.0':
    case '2':
      return 1;
    case '1.0':
      return 2;
    default:
      return 3;
  }
}

/** `network.protocol.version` as the conventions spell it (`2`, not Node's `2.0`). */
export function protocolVersion(httpVersion: string): string {
  return httpVersion === '2.0' ? '2' : httpVersion;
}

/**
 * One series of `http.server.request.duration`: its attribute object, built once, and — when the pipeline
 * collects the HTTP metrics from its own cells (metrics-producer.ts) — the cell recorded into directly
 * instead of through the SDK (which hashes the attribute object on every record to find the cell).
 */
export class DurationSeries extends HistogramCell {
  constructor(attributes: Attributes) {
    super(attributes, HTTP_SERVER_DURATION_BUCKETS);
  }
}

/**
 * Everything the lifecycle precomputes for one (method, route template) pair: the span name, the anomaly
 * key and the duration series per status.
 */
export class RouteEntry {
  /** `METHOD /route/template`, or `METHOD` when no route matched. */
  readonly spanName: string;
  /** The access line's data head for this pair, rendered by access-line.ts on first use. */
  accessHead: string | undefined = undefined;
  private readonly byKey = new Map<number, DurationSeries>();

  constructor(
    /** Normalised method (`GET`, …, `_OTHER`). */
    readonly method: string,
    /** The route template, undefined when no route matched. */
    readonly route: string | undefined,
    /** The `http.route` value of the metric series (differs from `route` only for the overflow entry). */
    private readonly metricRoute: string | undefined,
  ) {
    this.spanName = route === undefined ? method : `${method} ${route}`;
  }

  /**
   * The duration series for this status. `status` 0 means no response head was sent; `aborted` means the
   * client went away before the response was complete.
   */
  durationSeries(status: number, scheme: string, version: string, aborted: boolean): DurationSeries {
    const key = ((aborted ? 1000 + status : status) * 2 + (scheme === 'https' ? 1 : 0)) * 4 + protocolCode(version);
    let series = this.byKey.get(key);
    if (series === undefined) {
      // Statuses, schemes and protocol versions are few; the bound only guards against nonsense statuses,
      // whose records share one series labelled by method and route alone (counted, never mislabelled).
      const full = this.byKey.size >= MAX_SERIES_PER_ROUTE;
      const statusKey = full ? OVERFLOW_STATUS_KEY : key;
      series = this.byKey.get(statusKey);
      if (series !== undefined) return series;
      const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: this.method };
      if (!full) {
        attributes[ATTR_URL_SCHEME] = scheme;
        attributes[ATTR_NETWORK_PROTOCOL_VERSION] = version;
      }
      if (this.metricRoute !== undefined) attributes[ATTR_HTTP_ROUTE] = this.metricRoute;
      if (!full) {
        if (status > 0) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
        const errorType = aborted ? ABORTED_ERROR_TYPE : status >= 500 ? String(status) : undefined;
        if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
      }
      series = new DurationSeries(Object.freeze(attributes));
      this.byKey.set(statusKey, series);
    }
    return series;
  }

  /** The attributes of the duration histogram for this status (see {@link RouteEntry.durationSeries}). */
  durationAttributes(status: number, scheme: string, version: string, aborted: boolean): Attributes {
    return this.durationSeries(status, scheme, version, aborted).attributes;
  }

  /** Every series of this pair. */
  series(): IterableIterator<DurationSeries> {
    return this.byKey.values();
  }
}

/** Per normalised method: its route entries and its in-flight request counts. */
export class MethodEntry {
  /** Requests in flight over http, and over https. */
  activeHttp = 0;
  activeHttps = 0;
  // Once a scheme has seen a request its series is reported, also when back at zero.
  private seenHttp = false;
  private seenHttps = false;
  /** The entry used when no route matched. */
  readonly unmatched: RouteEntry;
  /** The entry whose metric series collects routes past the bound. */
  readonly overflow: RouteEntry;
  readonly routes = new Map<string, RouteEntry>();
  private readonly activeHttpAttributes: Attributes;
  private readonly activeHttpsAttributes: Attributes;

  constructor(readonly method: string) {
    this.unmatched = new RouteEntry(method, undefined, undefined);
    this.overflow = new RouteEntry(method, OVERFLOW_ROUTE, OVERFLOW_ROUTE);
    this.activeHttpAttributes = Object.freeze({ [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_SCHEME]: 'http' });
    this.activeHttpsAttributes = Object.freeze({ [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_SCHEME]: 'https' });
  }

  /** One more request in flight. */
  requestStarted(scheme: string): void {
    if (scheme === 'https') {
      this.activeHttps++;
      this.seenHttps = true;
    } else {
      this.activeHttp++;
      this.seenHttp = true;
    }
  }

  /** One request less in flight. */
  requestEnded(scheme: string): void {
    if (scheme === 'https') this.activeHttps--;
    else this.activeHttp--;
  }

  /** Reports this method's in-flight counts to an `http.server.active_requests` collection. */
  observeActive(result: Pick<ObservableResult, 'observe'>): void {
    if (this.seenHttp) result.observe(this.activeHttp, this.activeHttpAttributes);
    if (this.seenHttps) result.observe(this.activeHttps, this.activeHttpsAttributes);
  }

  /** Every duration series of this method: unmatched, overflow and per route. */
  *series(): IterableIterator<DurationSeries> {
    yield* this.unmatched.series();
    yield* this.overflow.series();
    for (const route of this.routes.values()) yield* route.series();
  }
}
