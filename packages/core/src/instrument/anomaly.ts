/**
 * Anomaly detection on latency and error rate, per key (a route, an operation), in O(1) time and memory
 * per observation: exponentially weighted moving averages, no windows, no sorting.
 *
 * - Latency: an EWMA of the mean and (more slowly) of the variance. After a warm-up, a value above
 *   `mean + max(sigmas·stddev, minAbsoluteMarginMs, minRelativeMargin·mean)` is an outlier. The margins keep
 *   tiny, steady operations (whose stddev is near zero) from flagging harmless jitter such as a GC pause.
 *   An outlier enters the averages clamped to the threshold, so one spike does not blind the detector to the
 *   next while a lasting shift is still learnt.
 * - Error rate: a fast EWMA (recent rate) against a slow one (baseline). The rate is anomalous while the
 *   fast one exceeds `baseline + errorRateJump`; it is reported once per episode, when it crosses up.
 *
 * Until a key has `warmup` observations, its averages are plain running means (no start-up bias) and
 * nothing is judged. Keys are bounded: beyond `maxKeys`, new keys are ignored (one warning), because folding
 * unrelated operations into one baseline would produce nonsense detections.
 *
 * An anomaly gives a span event `anomaly.detected` on the given span, one increment of the counter
 * `autotelemetry.anomalies` (attributes `anomaly.kind`, `anomaly.key`) and a WARN log line, rate-limited
 * per key.
 *
 * @packageDocumentation
 */
import type { Counter, Meter, Span } from '@opentelemetry/api';
import { type LogSink, resolveLogSink, writeLog } from '../logging/log-sink.js';
import { currentMeter } from './otel-handles.js';

/** What went wrong: a slow call, or a jump of the error rate. */
export type AnomalyKind = 'latency' | 'error_rate';

/** One detected anomaly. */
export interface AnomalyDetection {
  /** Latency outlier or error-rate jump. */
  readonly kind: AnomalyKind;
  /** The key (route, operation) it was detected on. */
  readonly key: string;
  /** The observed value: the duration in ms, or the recent error rate (0–1). */
  readonly observed: number;
  /** The learnt normal: mean duration in ms, or the baseline error rate (0–1). */
  readonly baseline: number;
  /** The value above which an observation is anomalous, same unit. */
  readonly threshold: number;
  /** `ms` for latency, `1` (a ratio) for the error rate. */
  readonly unit: 'ms' | '1';
  /** Whether this detection wrote a WARN line (false when rate-limited or no logger). */
  readonly logged: boolean;
}

/** Tuning of an {@link AnomalyDetector}. Every field has a default suited to request and operation latencies. */
export interface AnomalyDetectorOptions {
  /** Weight of a new observation in the latency mean and the recent error rate. Default 0.1. */
  alpha?: number;
  /**
   * Weight of a new observation in the latency variance. Default 0.02: slower than the mean, because a
   * variance learnt from a few dozen points is often far too small and would make ordinary noise look
   * like outliers.
   */
  varianceAlpha?: number;
  /** Weight of a new observation in the baseline error rate (slower). Default 0.01. */
  baselineAlpha?: number;
  /** Observations per key before anything is judged. Default 30. */
  warmup?: number;
  /** How many standard deviations above the mean a latency must be. Default 4. */
  sigmas?: number;
  /** A latency must also exceed the mean by at least this many ms. Default 5. */
  minAbsoluteMarginMs?: number;
  /** …and by at least this fraction of the mean. Default 1 (i.e. above twice the mean). */
  minRelativeMargin?: number;
  /** How far (absolute, 0–1) the recent error rate must rise above the baseline. Default 0.3. */
  errorRateJump?: number;
  /** Most keys tracked; observations of further keys are ignored. Default 1000. */
  maxKeys?: number;
  /** At most one WARN line per key per this many ms. Default 10 000. */
  warnIntervalMs?: number;
  /** Clock in ms, for the rate limit. Default `Date.now`. */
  now?: () => number;
  /** Where WARN lines go; `false` for none. Default: the running pipeline's logger, if any. */
  logger?: LogSink | false;
}

/** A snapshot of what a key has learnt. */
export interface AnomalyBaseline {
  /** Observations seen. */
  readonly count: number;
  /** EWMA of the latency, ms. */
  readonly meanMs: number;
  /** EWMA standard deviation of the latency, ms. */
  readonly stddevMs: number;
  /** Recent (fast) error rate, 0–1. */
  readonly errorRate: number;
  /** Baseline (slow) error rate, 0–1. */
  readonly baselineErrorRate: number;
}

/** Name of the span event added on an anomaly. */
export const ANOMALY_EVENT_NAME = 'anomaly.detected';
/** The `logger` name of the WARN lines when they go to the pipeline's logger. */
export const ANOMALY_LOGGER_NAME = 'autotelemetry.anomaly';
/** Name of the counter of anomalies. */
export const ANOMALY_COUNTER_NAME = 'autotelemetry.anomalies';

// Plain numeric fields in a class keep the per-key record small and its shape stable for the JIT.
class KeyStats {
  count = 0;
  meanMs = 0;
  varianceMs = 0;
  errorFast = 0;
  errorBaseline = 0;
  inErrorEpisode = false;
  lastWarnAt = Number.NEGATIVE_INFINITY;
  suppressedWarnings = 0;
}

const counters = new WeakMap<Meter, Counter>();

function anomalyCounter(): Counter {
  const meter = currentMeter();
  let counter = counters.get(meter);
  if (!counter) {
    counter = meter.createCounter(ANOMALY_COUNTER_NAME, {
      description: 'Latency outliers and error-rate jumps detected, by kind and key.',
      unit: '{anomaly}',
    });
    counters.set(meter, counter);
  }
  return counter;
}

function positive(name: string, value: number | undefined, fallback: number, max = Number.POSITIVE_INFINITY): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new RangeError(`AnomalyDetector option "${name}" must be a number from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Per-key EWMA detector of latency outliers and error-rate jumps. See the module documentation. */
export class AnomalyDetector {
  private readonly stats = new Map<string, KeyStats>();
  private readonly alpha: number;
  private readonly varianceAlpha: number;
  private readonly baselineAlpha: number;
  private readonly warmup: number;
  private readonly sigmas: number;
  private readonly minAbsoluteMarginMs: number;
  private readonly minRelativeMargin: number;
  private readonly errorRateJump: number;
  private readonly maxKeys: number;
  private readonly warnIntervalMs: number;
  private readonly now: () => number;
  private readonly logger: LogSink | false | undefined;
  private overflowWarned = false;
  private ignored = 0;

  /** @throws RangeError when an option is out of range (names the option). */
  constructor(options: AnomalyDetectorOptions = {}) {
    this.alpha = positive('alpha', options.alpha, 0.1, 1);
    this.varianceAlpha = positive('varianceAlpha', options.varianceAlpha, 0.02, 1);
    this.baselineAlpha = positive('baselineAlpha', options.baselineAlpha, 0.01, 1);
    this.warmup = Math.floor(positive('warmup', options.warmup, 30));
    this.sigmas = positive('sigmas', options.sigmas, 4);
    this.minAbsoluteMarginMs = positive('minAbsoluteMarginMs', options.minAbsoluteMarginMs, 5);
    this.minRelativeMargin = positive('minRelativeMargin', options.minRelativeMargin, 1);
    this.errorRateJump = positive('errorRateJump', options.errorRateJump, 0.3, 1);
    this.maxKeys = Math.floor(positive('maxKeys', options.maxKeys, 1000));
    this.warnIntervalMs = positive('warnIntervalMs', options.warnIntervalMs, 10_000);
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  /** Number of keys tracked. */
  get size(): number {
    return this.stats.size;
  }

  /** Observations dropped because the key bound was reached. */
  get ignoredObservations(): number {
    return this.ignored;
  }

  /** What a key has learnt so far, or undefined for an unknown key. */
  baseline(key: string): AnomalyBaseline | undefined {
    const s = this.stats.get(key);
    if (!s) return undefined;
    return {
      count: s.count,
      meanMs: s.meanMs,
      stddevMs: Math.sqrt(s.varianceMs),
      errorRate: s.errorFast,
      baselineErrorRate: s.errorBaseline,
    };
  }

  /** Forgets every key. */
  reset(): void {
    this.stats.clear();
    this.overflowWarned = false;
    this.ignored = 0;
  }

  /**
   * Feeds one observation and judges it against the key's baseline (before learning from it).
   *
   * @param key the route or operation; keep its cardinality bounded.
   * @param durationMs how long it took, in ms. Non-finite or negative values are not judged for latency.
   * @param isError whether it failed.
   * @param span the span of this observation; it gets an `anomaly.detected` event when one is found.
   * @returns the detection (the latency one when both kinds fire on the same observation), or undefined.
   *   Never throws.
   */
  observe(key: string, durationMs: number, isError: boolean, span?: Span): AnomalyDetection | undefined {
    try {
      return this.judge(key, durationMs, isError, span);
    } catch {
      return undefined;
    }
  }

  private judge(
    key: string,
    durationMs: number,
    isError: boolean,
    span: Span | undefined,
  ): AnomalyDetection | undefined {
    let s = this.stats.get(key);
    if (s === undefined) {
      if (this.stats.size >= this.maxKeys) {
        this.ignored++;
        this.warnOverflow(key);
        return undefined;
      }
      s = new KeyStats();
      this.stats.set(key, s);
    }
    const judging = s.count >= this.warmup;
    s.count++;
    // A plain running mean until 1/alpha observations, then the EWMA: no bias toward the first value.
    const a = Math.max(this.alpha, 1 / s.count);
    const v = Math.max(this.varianceAlpha, 1 / s.count);
    const b = Math.max(this.baselineAlpha, 1 / s.count);

    let latency: AnomalyDetection | undefined;
    if (Number.isFinite(durationMs) && durationMs >= 0) {
      let value = durationMs;
      if (judging) {
        const mean = s.meanMs;
        const margin = Math.max(
          this.sigmas * Math.sqrt(s.varianceMs),
          this.minAbsoluteMarginMs,
          this.minRelativeMargin * mean,
        );
        const threshold = mean + margin;
        if (durationMs > threshold) {
          latency = this.emit(s, 'latency', key, durationMs, mean, threshold, 'ms', span);
          value = threshold;
        }
      }
      // Exponentially weighted mean and variance (West's update, with its own weight for the variance).
      const diff = value - s.meanMs;
      s.meanMs += a * diff;
      s.varianceMs = (1 - v) * (s.varianceMs + v * diff * diff);
    }

    const err = isError ? 1 : 0;
    const baseline = s.errorBaseline;
    s.errorFast += a * (err - s.errorFast);
    s.errorBaseline += b * (err - s.errorBaseline);
    let errorRate: AnomalyDetection | undefined;
    if (judging) {
      const threshold = baseline + this.errorRateJump;
      if (s.errorFast > threshold) {
        if (!s.inErrorEpisode && isError) {
          s.inErrorEpisode = true;
          errorRate = this.emit(s, 'error_rate', key, s.errorFast, baseline, threshold, '1', span);
        }
      } else if (s.errorFast <= baseline + this.errorRateJump / 2) {
        // Hysteresis: the episode ends only once the rate is well back down, so a rate hovering at the
        // threshold is one episode, not many.
        s.inErrorEpisode = false;
      }
    }
    return latency ?? errorRate;
  }

  private emit(
    s: KeyStats,
    kind: AnomalyKind,
    key: string,
    observed: number,
    baseline: number,
    threshold: number,
    unit: 'ms' | '1',
    span: Span | undefined,
  ): AnomalyDetection {
    if (span?.isRecording()) {
      span.addEvent(ANOMALY_EVENT_NAME, {
        'anomaly.kind': kind,
        'anomaly.key': key,
        'anomaly.observed': observed,
        'anomaly.baseline': baseline,
        'anomaly.threshold': threshold,
        'anomaly.unit': unit,
      });
    }
    try {
      anomalyCounter().add(1, { 'anomaly.kind': kind, 'anomaly.key': key });
    } catch {
      // A broken meter must not hide the detection from the caller.
    }
    let logged = false;
    const now = this.now();
    const sink = resolveLogSink(this.logger, ANOMALY_LOGGER_NAME);
    if (now - s.lastWarnAt >= this.warnIntervalMs) {
      if (sink !== undefined && typeof sink.warn === 'function') {
        s.lastWarnAt = now;
        const text =
          kind === 'latency'
            ? `Anomaly: ${key} took ${round(observed)} ms, above ${round(threshold)} ms (baseline ${round(baseline)} ms)`
            : `Anomaly: error rate of ${key} rose to ${round(observed * 100)}%, above ${round(threshold * 100)}% (baseline ${round(baseline * 100)}%)`;
        writeLog(sink, 'warn', text, {
          anomaly_kind: kind,
          anomaly_key: key,
          observed: round(observed),
          baseline: round(baseline),
          threshold: round(threshold),
          unit,
          suppressed_warnings: s.suppressedWarnings,
        });
        s.suppressedWarnings = 0;
        logged = true;
      }
    } else {
      s.suppressedWarnings++;
    }
    return { kind, key, observed, baseline, threshold, unit, logged };
  }

  private warnOverflow(key: string): void {
    if (this.overflowWarned) return;
    this.overflowWarned = true;
    writeLog(
      resolveLogSink(this.logger, ANOMALY_LOGGER_NAME),
      'warn',
      `Anomaly detection tracks at most ${this.maxKeys} keys; "${key}" and further new keys are not judged`,
      { max_keys: this.maxKeys },
    );
  }
}

const DETECTOR_KEY = Symbol.for('autotelemetry.anomaly-detector.v1');
type GlobalWithDetector = typeof globalThis & { [DETECTOR_KEY]?: AnomalyDetector };

/**
 * The process-wide detector that `traced()`, `measure()` and the HTTP lifecycle feed (created with the
 * defaults on first use). Kept on `globalThis` so the ESM and CJS builds share it.
 */
export function getAnomalyDetector(): AnomalyDetector {
  const g = globalThis as GlobalWithDetector;
  let detector = g[DETECTOR_KEY];
  if (!detector) {
    detector = new AnomalyDetector();
    g[DETECTOR_KEY] = detector;
  }
  return detector;
}

/** Replaces the process-wide detector (e.g. with tuned options); undefined restores a default one on next use. */
export function setAnomalyDetector(detector: AnomalyDetector | undefined): void {
  (globalThis as GlobalWithDetector)[DETECTOR_KEY] = detector;
}
