/**
 * AutoTelemetry core: configuration, the naming standard, the JSON logger, the OpenTelemetry pipeline and
 * the framework-free HTTP request lifecycle that the adapters share.
 *
 * @packageDocumentation
 * @module @autotelemetry/core
 */
export * from './anomaly.js';
export type { TelemetryClient } from './client.js';
export * from './config.js';
export * from './environment.js';
export type { ExportHealth, ExportHealthSnapshot, SignalName } from './export-health.js';
export * from './http/lifecycle.js';
export * from './http/prometheus-text.js';
export * from './http/route.js';
export type { LogSink } from './log-sink.js';
export * from './logger.js';
export { addTraceIdsToPinoLogger } from './logging/pino-trace-ids.js';
export * from './measure.js';
export type { BoundedMemorySpanExporter, SnapshotMetricReader } from './memory-exporters.js';
export * from './naming.js';
export type { NoticeSink, Notices } from './notices.js';
export type { Pipeline } from './pipeline.js';
export type { PrometheusEndpoint } from './prometheus.js';
export type { RuntimeMetrics } from './runtime-metrics.js';
export * from './sdk.js';
export * from './span-failure.js';
export * from './state.js';
export * from './traced.js';
