/**
 * `measure(name, fn)`: the seed's data-processing abstraction. One call gives
 *
 * - a span `name` (an `operation.action` name, checked), active while `fn` runs, with attributes
 *   `data.operation.name`, `data.operation.rows`, `data.operation.throughput` (rows/s) and
 *   `data.operation.heap_delta_bytes`;
 * - histogram `data.operation.duration` (s), counter `data.operation.rows` ({row}) and histogram
 *   `data.operation.throughput` ({row}/s, recorded when rows > 0), all with attribute
 *   `data.operation.name` (plus the caller's attributes, and `error.type` on failure);
 * - one summary log line — INFO `Operation <name> completed`, or ERROR `Operation <name> failed` — whose
 *   `data` has `rows_processed`, `processing_time_ms`, `memory_usage_mb` (heap in use after the run),
 *   `memory_delta_mb` and `throughput_rows_per_s` (and, on failure, `error_type` and the `error`), written while the span is still the active one so the
 *   line carries its trace and span ids;
 * - a feed of the anomaly detector (key `name`) when the pipeline has anomaly detection on.
 *
 * The heap delta is `process.memoryUsage().heapUsed` after minus before: a garbage collection in between
 * can make it negative, which is why it is a span attribute and a log field rather than a histogram
 * (OTel histograms drop negative values).
 *
 * @packageDocumentation
 */
import {
  type Attributes,
  type Context,
  type Counter,
  context,
  type Histogram,
  type Meter,
  type Span,
  trace,
} from '@opentelemetry/api';
import { type LogSink, resolveLogSink, writeLog } from '../logging/log-sink.js';
import { errorMessage, errorType } from '../span-failure.js';
import { enforceName } from './naming.js';
import { currentMeter, currentTracer } from './otel-handles.js';
import { readAttributesSafely } from './safe-attributes.js';
import { endObservedSpan, observationStart } from './span-end.js';

/** Options of {@link measure}. */
export interface MeasureOptions<T> {
  /**
   * Rows processed: a number, or a function of the (awaited) result. Default: the result's `length` when
   * it is an array, else unknown (no rows recorded, `rows_processed: null`). Not counted on failure.
   */
  rows?: number | ((result: Awaited<T>) => number);
  /** Attributes on the span and on the metrics. Keep their values low in cardinality. */
  attributes?: Attributes;
  /** Where the summary line goes; `false` for none. Default: the running pipeline's logger, if any. */
  logger?: LogSink | false;
}

interface MeasureInstruments {
  readonly duration: Histogram;
  readonly rows: Counter;
  readonly throughput: Histogram;
}

/** Metric names recorded by {@link measure}. */
export const MEASURE_METRICS = Object.freeze({
  duration: 'data.operation.duration',
  rows: 'data.operation.rows',
  throughput: 'data.operation.throughput',
} as const);

const BYTES_PER_MB = 1024 * 1024;

/** The `logger` name of the summary lines when they go to the pipeline's logger. */
export const MEASURE_LOGGER_NAME = 'autotelemetry.measure';

// Created once per meter; a new global MeterProvider means a new meter and so a fresh set.
const instrumentsByMeter = new WeakMap<Meter, MeasureInstruments>();

function instruments(): MeasureInstruments {
  const meter = currentMeter();
  let set = instrumentsByMeter.get(meter);
  if (set === undefined) {
    set = {
      duration: meter.createHistogram(MEASURE_METRICS.duration, {
        description: 'Duration of data operations run through measure().',
        unit: 's',
        advice: {
          explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
        },
      }),
      rows: meter.createCounter(MEASURE_METRICS.rows, {
        description: 'Rows processed by data operations run through measure().',
        unit: '{row}',
      }),
      throughput: meter.createHistogram(MEASURE_METRICS.throughput, {
        description: 'Rows per second of data operations run through measure().',
        unit: '{row}/s',
        advice: { explicitBucketBoundaries: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000] },
      }),
    };
    instrumentsByMeter.set(meter, set);
  }
  return set;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function countRows<T>(option: MeasureOptions<T>['rows'], result: unknown): number | undefined {
  let rows: unknown;
  if (typeof option === 'number') rows = option;
  else if (typeof option === 'function') {
    try {
      rows = option(result as Awaited<T>);
    } catch {
      return undefined;
    }
  } else if (Array.isArray(result)) rows = result.length;
  return typeof rows === 'number' && Number.isFinite(rows) && rows >= 0 ? rows : undefined;
}

/** The state of one measured run, from start to summary. */
class MeasureRun<T> {
  readonly span: Span;
  readonly spanContext: Context;
  private readonly startedAt = performance.now();
  private readonly anomalyStartedAt = observationStart();
  private readonly heapBefore = process.memoryUsage().heapUsed;

  constructor(
    readonly name: string,
    private readonly options: MeasureOptions<T> | undefined,
  ) {
    const parent = context.active();
    this.span = currentTracer().startSpan(
      name,
      { attributes: { ...readAttributesSafely(options?.attributes), 'data.operation.name': name } },
      parent,
    );
    this.spanContext = trace.setSpan(parent, this.span);
  }

  finish(result: unknown, failed: boolean, error?: unknown): void {
    const durationMs = performance.now() - this.startedAt;
    const heapAfter = process.memoryUsage().heapUsed;
    const rows = failed ? undefined : countRows(this.options?.rows, result);
    const throughput = rows !== undefined && rows > 0 && durationMs > 0 ? rows / (durationMs / 1000) : undefined;
    const heapDelta = heapAfter - this.heapBefore;
    try {
      const attributes: Attributes = { ...this.options?.attributes, 'data.operation.name': this.name };
      if (failed) attributes['error.type'] = errorType(error);
      const set = instruments();
      set.duration.record(durationMs / 1000, attributes);
      if (rows !== undefined) set.rows.add(rows, attributes);
      if (throughput !== undefined) set.throughput.record(throughput, attributes);
      if (rows !== undefined) this.span.setAttribute('data.operation.rows', rows);
      if (throughput !== undefined) this.span.setAttribute('data.operation.throughput', throughput);
      this.span.setAttribute('data.operation.heap_delta_bytes', heapDelta);
    } catch {
      // Telemetry never throws into the host application.
    }
    endObservedSpan(this.span, this.name, this.anomalyStartedAt, failed, error);

    const sink = resolveLogSink(this.options?.logger, MEASURE_LOGGER_NAME);
    if (sink === undefined) return;
    const data: Record<string, unknown> = {
      operation: this.name,
      rows_processed: rows ?? null,
      processing_time_ms: round(durationMs, 3),
      memory_usage_mb: round(heapAfter / BYTES_PER_MB, 1),
      memory_delta_mb: round(heapDelta / BYTES_PER_MB, 3),
      throughput_rows_per_s: throughput === undefined ? null : round(throughput, 1),
    };
    if (failed) {
      data.error_type = errorType(error);
      // An Error goes under `error`, which the pipeline's logger writes as the line's structured error.
      if (error instanceof Error) data.error = error;
      else data.error_message = errorMessage(error);
      writeLog(sink, 'error', `Operation ${this.name} failed`, data);
    } else {
      writeLog(sink, 'info', `Operation ${this.name} completed`, data);
    }
  }
}

async function settleMeasured<T>(run: MeasureRun<T>, promise: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    run.finish(undefined, true, error);
    throw error;
  }
  run.finish(value, false);
  return value;
}

function runMeasured<T>(run: MeasureRun<T>, fn: (span: Span) => T): unknown {
  let result: T;
  try {
    result = fn(run.span);
  } catch (error) {
    run.finish(undefined, true, error);
    throw error;
  }
  // Only native promises are awaited: other thenables (lazy queries) could start work when awaited.
  if (result instanceof Promise) return settleMeasured(run, result);
  run.finish(result, false);
  return result;
}

/**
 * Runs `fn` as a measured data operation (see the module documentation) and returns its result — for an
 * async `fn`, a promise of it. A throw or rejection is recorded on the span, counted in the duration
 * histogram with `error.type`, logged, and rethrown unchanged.
 *
 * @param name operation name, `operation.action` by convention (e.g. `orders.import`); checked, and with
 *   `strictNaming` a bad one throws before `fn` runs.
 * @param fn the work; it receives the span, to add attributes or events of its own.
 * @param options rows processed, attributes, logger.
 */
export function measure<T>(name: string, fn: (span: Span) => T, options?: MeasureOptions<T>): T {
  enforceName('span', name);
  const run = new MeasureRun<T>(name, options);
  return context.with(run.spanContext, runMeasured, undefined, run, fn) as T;
}
