/**
 * The client a started pipeline hands back: the seed's `auto_instrument(...)` return value.
 */
import type { Meter, Tracer } from '@opentelemetry/api';
import type { Config } from './config/types.js';
import { measure } from './instrument/measure.js';
import { traced } from './instrument/traced.js';
import type { TelemetryLogger } from './logging/logger.js';

/** What `startTelemetry()` / `autoInstrument()` return. */
export interface TelemetryClient {
  /** The resolved, frozen configuration the pipeline runs with. */
  readonly config: Config;
  /**
   * The JSON logger (a real pino instance). With a name, a child whose lines carry `logger: name`; without,
   * the root logger.
   */
  getLogger(name?: string): TelemetryLogger;
  /** A tracer of this pipeline (a no-op one when telemetry is disabled). */
  getTracer(name: string, version?: string): Tracer;
  /** A meter of this pipeline (a no-op one when telemetry is disabled). */
  getMeter(name: string, version?: string): Meter;
  /** {@link traced}: wraps a function so each call runs in a span. */
  readonly traced: typeof traced;
  /** {@link measure}: runs a data operation with a span, duration/rows metrics and a summary log line. */
  readonly measure: typeof measure;
  /** Exports everything buffered now (spans, metrics, log records). Never rejects. */
  forceFlush(): Promise<void>;
  /**
   * Flushes every signal and stops the pipeline: globals, instrumentation, timers, the `/metrics` server and
   * the exit hooks are all removed. Safe to call twice (the second call returns the same promise). Never
   * rejects; bounded in time even when a collector does not answer.
   */
  shutdown(): Promise<void>;
}

/** The parts a client is made of. */
export interface ClientParts {
  readonly config: Config;
  readonly logger: TelemetryLogger;
  readonly getTracer: (name: string, version?: string) => Tracer;
  readonly getMeter: (name: string, version?: string) => Meter;
  readonly forceFlush: () => Promise<void>;
  readonly shutdown: () => Promise<void>;
}

/** Assembles the frozen client object. */
export function createClient(parts: ClientParts): TelemetryClient {
  const { logger } = parts;
  return Object.freeze({
    config: parts.config,
    getLogger: (name?: string) => (name === undefined ? logger : logger.getLogger(name)),
    getTracer: parts.getTracer,
    getMeter: parts.getMeter,
    traced,
    measure,
    forceFlush: parts.forceFlush,
    shutdown: parts.shutdown,
  });
}
