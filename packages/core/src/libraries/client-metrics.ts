/**
 * Client duration histograms (seconds), recorded from ended spans — whether a span came from a tracing
 * channel or from an OpenTelemetry instrumentation — with the spans' own low-cardinality attributes, so a
 * metric series and the spans behind it always agree:
 *
 * - `db.client.operation.duration`: CLIENT spans with `db.system.name`;
 * - `messaging.client.operation.duration`: PRODUCER spans (publish) and CLIENT spans (receive, settle) with
 *   `messaging.system`;
 * - `messaging.process.duration`: CONSUMER spans with `messaging.system` whose operation type is `process`;
 * - `rpc.client.call.duration` / `rpc.server.call.duration`: CLIENT / SERVER spans with `rpc.system.name`
 *   (gRPC, completed to the stable RPC conventions by rpc-spans.ts before they end).
 *
 * Cardinality is bounded as for HTTP routes: at most {@link MAX_SERIES} attribute sets per histogram; later
 * new ones are recorded with the collection, destination or RPC method `_OTHER` (and no namespace), so a
 * table-per-tenant or queue-per-customer app cannot grow the series without limit. An anonymous or temporary
 * destination (a server-named queue, a reply-to queue) is never a series of its own.
 *
 * When the pipeline collects its own metric cells (metrics/cell-store.ts), each attribute set is a cell
 * recorded into directly; otherwise the histograms are SDK instruments on the pipeline's meter.
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
import type { MetricCellStore } from '../metrics/cell-store.js';
import { HistogramCell, type HistogramCells, type InstrumentDescriptor } from '../metrics/cells.js';
import { LIBRARY_INSTRUMENTATION_SCOPE } from './libraries.js';

export const DB_CLIENT_OPERATION_DURATION = 'db.client.operation.duration';
export const MESSAGING_CLIENT_OPERATION_DURATION = 'messaging.client.operation.duration';
export const MESSAGING_PROCESS_DURATION = 'messaging.process.duration';
export const RPC_CLIENT_CALL_DURATION = 'rpc.client.call.duration';
export const RPC_SERVER_CALL_DURATION = 'rpc.server.call.duration';

/** The semconv buckets for database operations, in seconds. */
const DB_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
/** The semconv buckets for messaging operations, in seconds. */
const MESSAGING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** The semconv buckets for RPC durations, in seconds (as for HTTP). */
const RPC_BUCKETS = MESSAGING_BUCKETS;

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

const RPC_KEYS = [
  'rpc.system.name',
  'rpc.method',
  'rpc.status_code',
  'server.address',
  'server.port',
  'error.type',
] as const;

/** Every attribute key of these metrics: the pipeline keeps them out of its own cells when one is redacted. */
export const CLIENT_METRIC_ATTRIBUTES: readonly string[] = Object.freeze([
  ...new Set([...DB_KEYS, ...MESSAGING_KEYS, ...RPC_KEYS]),
]);

/** The histograms, by the kind of span each is recorded from. */
type SeriesKind = 'db' | 'messaging' | 'process' | 'rpcClient' | 'rpcServer';

/** One histogram: what it is, its buckets, the span attributes it keeps, how a set past the bound folds. */
interface SeriesSpec {
  readonly descriptor: InstrumentDescriptor;
  readonly boundaries: readonly number[];
  readonly keys: readonly string[];
  /** Rewrites the values of a new set past the bound (they index like `keys`). */
  readonly overflow: (values: unknown[]) => void;
}

const foldCollection = (values: unknown[]): void => {
  values[1] = undefined; // db.namespace
  values[3] = '_OTHER'; // db.collection.name
};
const foldDestination = (values: unknown[]): void => {
  values[3] = '_OTHER'; // messaging.destination.name
};
const foldMethod = (values: unknown[]): void => {
  values[1] = '_OTHER'; // rpc.method
};

const SERIES: Readonly<Record<SeriesKind, SeriesSpec>> = {
  db: {
    descriptor: {
      name: DB_CLIENT_OPERATION_DURATION,
      description: 'Duration of database client operations.',
      unit: 's',
    },
    boundaries: DB_BUCKETS,
    keys: DB_KEYS,
    overflow: foldCollection,
  },
  messaging: {
    descriptor: {
      name: MESSAGING_CLIENT_OPERATION_DURATION,
      description: 'Duration of messaging operations initiated by a producer or consumer client.',
      unit: 's',
    },
    boundaries: MESSAGING_BUCKETS,
    keys: MESSAGING_KEYS,
    overflow: foldDestination,
  },
  process: {
    descriptor: { name: MESSAGING_PROCESS_DURATION, description: 'Duration of processing operations.', unit: 's' },
    boundaries: MESSAGING_BUCKETS,
    keys: MESSAGING_KEYS,
    overflow: foldDestination,
  },
  rpcClient: {
    descriptor: { name: RPC_CLIENT_CALL_DURATION, description: 'Duration of outgoing RPCs.', unit: 's' },
    boundaries: RPC_BUCKETS,
    keys: RPC_KEYS,
    overflow: foldMethod,
  },
  rpcServer: {
    descriptor: { name: RPC_SERVER_CALL_DURATION, description: 'Duration of incoming RPCs.', unit: 's' },
    boundaries: RPC_BUCKETS,
    keys: RPC_KEYS,
    overflow: foldMethod,
  },
};

/** How one attribute set's duration is recorded: into its own cell, or through an SDK histogram. */
type Recorder = (seconds: number) => void;

/**
 * The recorders of a histogram's attribute sets, found by their values one key after the other: the values
 * are the spans' own (mostly the same strings each time), so no key text is built and hashed per span.
 */
type RecorderTree = Map<unknown, RecorderTree | Recorder>;

/** One histogram and its bounded attribute sets, each with its recorder. */
class DurationSeries {
  readonly #keys: readonly string[];
  readonly #errorAt: number;
  readonly #overflow: (values: unknown[]) => void;
  readonly #recorders: RecorderTree = new Map();
  /** Attribute sets with their own series (the overflow's not counted). */
  #series = 0;
  readonly #recorder: (attributes: Attributes) => Recorder;
  readonly #cells: HistogramCell[] = [];

  /**
   * With `cells`, the histogram is lent to the pipeline's cell store; without, it is an SDK instrument of
   * `meter`.
   */
  constructor(spec: SeriesSpec, meter: Meter, cells: CellHistograms | undefined) {
    const { descriptor, boundaries, keys, overflow } = spec;
    this.#keys = keys;
    this.#errorAt = keys.indexOf('error.type');
    this.#overflow = overflow;
    if (cells !== undefined) {
      const all = this.#cells;
      cells.push({ descriptor, boundaries, cells: () => all });
      this.#recorder = (attributes) => {
        const cell = new HistogramCell(attributes, boundaries);
        all.push(cell);
        return (seconds) => cell.record(seconds);
      };
    } else {
      const histogram: Histogram = meter.createHistogram(descriptor.name, {
        description: descriptor.description,
        unit: descriptor.unit,
        advice: { explicitBucketBoundaries: [...boundaries] },
      });
      this.#recorder = (attributes) => (seconds) => histogram.record(seconds, attributes);
    }
  }

  record(span: ReadableSpan, values: unknown[]): void {
    const seconds = span.duration[0] + span.duration[1] / 1e9;
    // A failed operation always has an error.type, as for HTTP.
    if (span.status.code === SpanStatusCode.ERROR && values[this.#errorAt] === undefined) {
      values[this.#errorAt] = '_OTHER';
    }
    this.#recorderOf(values)(seconds);
  }

  #recorderOf(values: unknown[]): Recorder {
    let recorder = this.#find(values);
    if (recorder !== undefined) return recorder;
    if (this.#series >= MAX_SERIES) {
      this.#overflow(values);
      recorder = this.#find(values);
      if (recorder === undefined) {
        recorder = this.#recorder(this.#build(values));
        this.#insert(values, recorder);
      }
      return recorder;
    }
    recorder = this.#recorder(this.#build(values));
    this.#insert(values, recorder);
    this.#series++;
    return recorder;
  }

  #find(values: readonly unknown[]): Recorder | undefined {
    let node: RecorderTree | Recorder | undefined = this.#recorders;
    for (let i = 0; i < values.length; i++) {
      node = (node as RecorderTree).get(values[i]);
      if (node === undefined) return undefined;
    }
    return node as Recorder;
  }

  #insert(values: readonly unknown[], recorder: Recorder): void {
    let node = this.#recorders;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]) as RecorderTree | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(values[i], next);
      }
      node = next;
    }
    node.set(values[last], recorder);
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

/** The histograms lent to the cell store, filled as the series are made. */
type CellHistograms = HistogramCells[];

/** Which histogram a span belongs to, if any. */
function kindOf(span: ReadableSpan | Span): SeriesKind | undefined {
  const attributes = span.attributes;
  if (span.kind === SpanKind.CLIENT && attributes['db.system.name'] !== undefined) return 'db';
  if (attributes['rpc.system.name'] !== undefined) {
    if (span.kind === SpanKind.CLIENT) return 'rpcClient';
    if (span.kind === SpanKind.SERVER) return 'rpcServer';
    return undefined;
  }
  if (attributes['messaging.system'] === undefined) return undefined;
  if (span.kind === SpanKind.PRODUCER || span.kind === SpanKind.CLIENT) return 'messaging';
  if (span.kind === SpanKind.CONSUMER && attributes['messaging.operation.type'] === 'process') return 'process';
  return undefined;
}

export class ClientMetricsProcessor implements SpanProcessor {
  readonly #series: Readonly<Record<SeriesKind, DurationSeries>>;

  /**
   * @param meter the pipeline's meter, for SDK histograms;
   * @param cells the pipeline's cell store, when the histograms are to be recorded into its cells.
   */
  constructor(meter: Meter, cells?: MetricCellStore) {
    // Lent under the scope the SDK histograms would have; a store that already holds that scope is not shared.
    let lent: CellHistograms | undefined = [];
    if (cells === undefined || !cells.attach({ name: LIBRARY_INSTRUMENTATION_SCOPE }, { histograms: lent })) {
      lent = undefined;
    }
    const series = {} as Record<SeriesKind, DurationSeries>;
    for (const kind of Object.keys(SERIES) as SeriesKind[])
      series[kind] = new DurationSeries(SERIES[kind], meter, lent);
    this.#series = series;
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
      const values: unknown[] = SERIES[kind].keys.map((key) => attributes[key]);
      // An anonymous or temporary destination is never a series of its own.
      if (
        (kind === 'messaging' || kind === 'process') &&
        (attributes['messaging.destination.anonymous'] === true ||
          attributes['messaging.destination.temporary'] === true)
      )
        values[3] = undefined;
      this.#series[kind].record(span, values);
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
