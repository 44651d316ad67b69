/**
 * AutoTelemetry's command line as a library: the dashboards, the rule file and the doctor that the
 * `autotelemetry` command writes and runs, for tools that want them without a child process.
 *
 * @packageDocumentation
 * @module @autotelemetry/cli
 */
export * from './alert-thresholds.js';
export * from './alerts.js';
export { type CliIo, main } from './cli.js';
export * from './dashboards.js';
export * from './doctor/render.js';
export * from './doctor/run.js';
export * from './doctor/types.js';
export * from './exposition.js';
export * from './grafana-model.js';
export * from './promql.js';
export * from './standard-metrics.js';
export * from './yaml.js';
