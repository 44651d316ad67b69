/**
 * AutoTelemetry for plain Node programs — scripts, workers, data pipelines: `autoInstrument()` starts traces,
 * metrics and JSON logs in one line and returns a client with the logger, `traced`, `measure` and `shutdown`.
 * For zero code, preload `@autotelemetry/node/register` instead.
 *
 * @packageDocumentation
 * @module @autotelemetry/node
 */

export type {
  Config,
  MeasureOptions,
  TelemetryClient,
  TelemetryLogger,
  TelemetryOptions,
  TracedOptions,
} from '@autotelemetry/core';
export {
  ConfigError,
  Environment,
  getTelemetry,
  LogLevel,
  measure,
  startTelemetry,
  Traced,
  traceAll,
  traced,
} from '@autotelemetry/core';
export { autoInstrument } from './auto-instrument.js';
