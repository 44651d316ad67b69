/**
 * `db.client.operation.duration` (seconds), recorded from the ended CLIENT spans of every database client
 * alike — whether the span came from a tracing channel or from an OpenTelemetry instrumentation — with the
 * spans' own low-cardinality attributes, so a metric series and the spans behind it always agree.
 *
 * Cardinality is bounded as for HTTP routes: at most {@link MAX_SERIES} attribute sets; later new ones are
 * recorded with `db.collection.name` = `_OTHER` and no namespace, so a table-per-tenant app cannot grow the
 * series without limit.
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

/** The semconv buckets for database operations, in seconds. */
const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** Attribute sets kept before new ones fold into `_OTHER`. */
export const MAX_SERIES = 1000;

const KEYS = [
  'db.system.name',
  'db.namespace',
  'db.operation.name',
  'db.collection.name',
  'server.address',
  'server.port',
  'error.type',
] as const;

export class ClientMetricsProcessor implements SpanProcessor {
  readonly #duration: Histogram;
  readonly #series = new Map<string, Attributes>();

  constructor(meter: Meter) {
    this.#duration = meter.createHistogram(DB_CLIENT_OPERATION_DURATION, {
      description: 'Duration of database client operations.',
      unit: 's',
      advice: { explicitBucketBoundaries: BUCKETS },
    });
  }

  onStart(_span: Span, _parentContext: Context): void {}

  /**
   * A failed database span gets `error.type` when its instrumentation set none (pg's records only the
   * exception): the exception's type, so the span and its metric series say the same.
   */
  onEnding(span: Span): void {
    if (span.kind !== SpanKind.CLIENT || span.status.code !== SpanStatusCode.ERROR) return;
    const attributes = span.attributes;
    if (attributes['db.system.name'] === undefined || attributes['error.type'] !== undefined) return;
    try {
      const exception = span.events.findLast((event) => event.name === 'exception');
      const type = exception?.attributes?.['exception.type'];
      span.setAttribute('error.type', typeof type === 'string' && type !== '' ? type : '_OTHER');
    } catch {
      // The span ends without it.
    }
  }

  onEnd(span: ReadableSpan): void {
    if (span.kind !== SpanKind.CLIENT) return;
    const attributes = span.attributes;
    if (attributes['db.system.name'] === undefined) return;
    try {
      const seconds = span.duration[0] + span.duration[1] / 1e9;
      this.#duration.record(seconds, this.#attributesOf(attributes, span.status.code === SpanStatusCode.ERROR));
    } catch {
      // A metric lost is better than a span lost.
    }
  }

  #attributesOf(span: Attributes, failed: boolean): Attributes {
    const values: unknown[] = KEYS.map((key) => span[key]);
    // A failed operation always has an error.type, as for HTTP.
    if (failed && values[6] === undefined) values[6] = '_OTHER';
    const key = values.join('\u0000');
    let series = this.#series.get(key);
    if (series !== undefined) return series;
    if (this.#series.size >= MAX_SERIES) {
      values[1] = undefined;
      values[3] = '_OTHER';
      const overflow = values.join('\u0000');
      series = this.#series.get(overflow) ?? build(values);
      this.#series.set(overflow, series);
      return series;
    }
    series = build(values);
    this.#series.set(key, series);
    return series;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function build(values: readonly unknown[]): Attributes {
  const attributes: Attributes = {};
  KEYS.forEach((key, i) => {
    const value = values[i];
    if (typeof value === 'string' || typeof value === 'number') attributes[key] = value;
  });
  return Object.freeze(attributes);
}
