/**
 * Client duration histograms (seconds), recorded from ended spans — whether a span came from a tracing
 * channel or from an OpenTelemetry instrumentation — with the spans' own low-cardinality attributes, so a
 * metric series and the spans behind it always agree:
 *
 * - `db.client.operation.duration`: CLIENT spans with `db.system.name`;
 * - `messaging.client.operation.duration`: PRODUCER spans (publish) and CLIENT spans (receive, settle) with
 *   `messaging.system`;
 * - `messaging.process.duration`: CONSUMER spans with `messaging.system` whose operation type is `process`.
 *
 * Cardinality is bounded as for HTTP routes: at most {@link MAX_SERIES} attribute sets per histogram; later
 * new ones are recorded with the collection or destination `_OTHER` (and no namespace), so a
 * table-per-tenant or queue-per-customer app cannot grow the series without limit. An anonymous or temporary
 * destination (a server-named queue, a reply-to queue) is never a series of its own.
 */
import {
  type Attributes,
  type Context,
  type Histogram,
  type Meter,
  SpanKind,
  SpanStatusCode,
} from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

export const DB_CLIENT_OPERATION_DURATION = 'db.client.operation.duration';
export const MESSAGING_CLIENT_OPERATION_DURATION = 'messaging.client.operation.duration';
export const MESSAGING_PROCESS_DURATION = 'messaging.process.duration';

/** The semconv buckets for database operations, in seconds. */
const DB_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
/** The semconv buckets for messaging operations, in seconds. */
const MESSAGING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Attribute sets kept per histogram before new ones fold into `_OTHER`. */
export const MAX_SERIES = 1000;

const DB_KEYS = [
  'db.system.name',
  'db.namespace',
  'db.operation.name',
  'db.collection.name',
  'server.address',
  'server.port',
  'error.type',
] as const;

const MESSAGING_KEYS = [
  'messaging.system',
  'messaging.operation.name',
  'messaging.operation.type',
  'messaging.destination.name',
  'server.address',
  'server.port',
  'error.type',
] as const;

/** One histogram and its bounded attribute sets. */
class DurationSeries {
  readonly #histogram: Histogram;
  readonly #keys: readonly string[];
  readonly #overflow: (values: unknown[]) => void;
  readonly #series = new Map<string, Attributes>();

  /** `overflow` rewrites the values of a new set past the bound (they index like `keys`). */
  constructor(histogram: Histogram, keys: readonly string[], overflow: (values: unknown[]) => void) {
    this.#histogram = histogram;
    this.#keys = keys;
    this.#overflow = overflow;
  }

  record(span: ReadableSpan, values: unknown[]): void {
    const seconds = span.duration[0] + span.duration[1] / 1e9;
    // A failed operation always has an error.type, as for HTTP.
    const errorAt = this.#keys.indexOf('error.type');
    if (span.status.code === SpanStatusCode.ERROR && values[errorAt] === undefined) values[errorAt] = '_OTHER';
    this.#histogram.record(seconds, this.#attributesOf(values));
  }

  #attributesOf(values: unknown[]): Attributes {
    const key = values.join('\u0000');
    let series = this.#series.get(key);
    if (series !== undefined) return series;
    if (this.#series.size >= MAX_SERIES) {
      this.#overflow(values);
      const overflow = values.join('\u0000');
      series = this.#series.get(overflow) ?? this.#build(values);
      this.#series.set(overflow, series);
      return series;
    }
    series = this.#build(values);
    this.#series.set(key, series);
    return series;
  }

  #build(values: readonly unknown[]): Attributes {
    const attributes: Attributes = {};
    this.#keys.forEach((key, i) => {
      const value = values[i];
      if (typeof value === 'string' || typeof value === 'number') attributes[key] = value;
    });
    return Object.freeze(attributes);
  }
}

/** Which histogram a span belongs to, if any. */
function kindOf(span: ReadableSpan | Span): 'db' | 'messaging' | 'process' | undefined {
  const attributes = span.attributes;
  if (span.kind === SpanKind.CLIENT && attributes['db.system.name'] !== undefined) return 'db';
  if (attributes['messaging.system'] === undefined) return undefined;
  if (span.kind === SpanKind.PRODUCER || span.kind === SpanKind.CLIENT) return 'messaging';
  if (span.kind === SpanKind.CONSUMER && attributes['messaging.operation.type'] === 'process') return 'process';
  return undefined;
}

export class ClientMetricsProcessor implements SpanProcessor {
  readonly #db: DurationSeries;
  readonly #messaging: DurationSeries;
  readonly #process: DurationSeries;

  constructor(meter: Meter) {
    const foldCollection = (values: unknown[]): void => {
      values[1] = undefined;
      values[3] = '_OTHER';
    };
    const foldDestination = (values: unknown[]): void => {
      values[3] = '_OTHER';
    };
    this.#db = new DurationSeries(
      meter.createHistogram(DB_CLIENT_OPERATION_DURATION, {
        description: 'Duration of database client operations.',
        unit: 's',
        advice: { explicitBucketBoundaries: DB_BUCKETS },
      }),
      DB_KEYS,
      foldCollection,
    );
    this.#messaging = new DurationSeries(
      meter.createHistogram(MESSAGING_CLIENT_OPERATION_DURATION, {
        description: 'Duration of messaging operations initiated by a producer or consumer client.',
        unit: 's',
        advice: { explicitBucketBoundaries: MESSAGING_BUCKETS },
      }),
      MESSAGING_KEYS,
      foldDestination,
    );
    this.#process = new DurationSeries(
      meter.createHistogram(MESSAGING_PROCESS_DURATION, {
        description: 'Duration of processing operations.',
        unit: 's',
        advice: { explicitBucketBoundaries: MESSAGING_BUCKETS },
      }),
      MESSAGING_KEYS,
      foldDestination,
    );
  }

  onStart(_span: Span, _parentContext: Context): void {}

  /**
   * A failed database or messaging span gets `error.type` when its instrumentation set none (pg's records
   * only the exception): the exception's type, so the span and its metric series say the same.
   */
  onEnding(span: Span): void {
    if (span.status.code !== SpanStatusCode.ERROR || span.attributes['error.type'] !== undefined) return;
    if (kindOf(span) === undefined) return;
    try {
      const exception = span.events.findLast((event) => event.name === 'exception');
      const type = exception?.attributes?.['exception.type'];
      span.setAttribute('error.type', typeof type === 'string' && type !== '' ? type : '_OTHER');
    } catch {
      // The span ends without it.
    }
  }

  onEnd(span: ReadableSpan): void {
    try {
      const kind = kindOf(span);
      if (kind === undefined) return;
      const attributes = span.attributes;
      if (kind === 'db') {
        this.#db.record(
          span,
          DB_KEYS.map((key) => attributes[key]),
        );
        return;
      }
      const values: unknown[] = MESSAGING_KEYS.map((key) => attributes[key]);
      if (
        attributes['messaging.destination.anonymous'] === true ||
        attributes['messaging.destination.temporary'] === true
      )
        values[3] = undefined;
      (kind === 'process' ? this.#process : this.#messaging).record(span, values);
    } catch {
      // A metric lost is better than a span lost.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
