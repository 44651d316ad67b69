/**
 * AutoTelemetry core: configuration, the naming standard, the JSON logger, the OpenTelemetry pipeline and
 * the framework-free HTTP request lifecycle that the adapters share.
 *
 * @packageDocumentation
 * @module @autotelemetry/core
 */

export type { TelemetryClient } from './client.js';
export { DEFAULT_EXCLUDED_PATHS, DEFAULT_REDACTED_KEYS } from './config/defaults.js';
export * from './config/environment.js';
export { CONFIG_OPTIONS, type OptionDefinition } from './config/options.js';
export { parseResourceAttributesEnv } from './config/parsers.js';
export * from './config/resolve.js';
export * from './config/types.js';
export type { ExportHealth, ExportHealthSnapshot, SignalName } from './export/export-health.js';
export type { BoundedMemorySpanExporter, SnapshotMetricReader } from './export/memory-exporters.js';
export * from './http/adapter-contract.js';
export * from './http/lifecycle.js';
export { getRequestRecord } from './http/request-record.js';
export * from './http/route.js';
export * from './http/running-lifecycle.js';
export * from './instrument/anomaly.js';
export * from './instrument/measure.js';
export * from './instrument/naming.js';
export * from './instrument/traced.js';
export type { LibraryInstrumentation, LibraryReport } from './libraries/libraries.js';
export {
  isNewerThanTraced,
  isTracedVersion,
  LIBRARY_SUPPORT,
  type LibrarySupport,
  supportOf,
} from './libraries/support.js';
export type { LogSink } from './logging/log-sink.js';
export * from './logging/logger.js';
export { addTraceIdsToPinoLogger } from './logging/pino-trace-ids.js';
export type { NoticeSink, Notices } from './notices.js';
export type { Pipeline } from './pipeline/pipeline.js';
export type { PrometheusEndpoint } from './pipeline/prometheus.js';
export * from './pipeline/prometheus-text.js';
export type { RuntimeMetrics } from './pipeline/runtime-metrics.js';
export * from './sdk.js';
export * from './span-failure.js';
export * from './state.js';
export type { MetricSample, ViewerChart } from './viewer/metrics.js';
export type { TraceSummary, ViewerEvent, ViewerLogLine, ViewerSpan } from './viewer/store.js';
export type { Viewer } from './viewer/viewer.js';
