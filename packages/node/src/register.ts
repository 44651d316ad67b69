/**
 * Zero-code entry: preload it and the process gets AutoTelemetry with no change to its code, configured by
 * environment variables (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `AUTOTELEMETRY_ENVIRONMENT`…).
 *
 * ```sh
 * node --import @autotelemetry/node/register app.mjs   # ESM or CommonJS app
 * node --require @autotelemetry/node/register app.cjs  # CommonJS app
 * ```
 *
 * It starts the pipeline before the application's first import, so outgoing `http`/`fetch` calls are traced
 * from the start, and writes one INFO line saying what it started. A bad variable stops the process with an
 * error naming it. The application can still get the client with `getTelemetry()` from this package.
 *
 * @packageDocumentation
 * @module @autotelemetry/node/register
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { startTelemetry } from '@autotelemetry/core';

const telemetry = startTelemetry();
// The application's imports come after this file: `https` is required now, through the require hook the
// pipeline installed, so that an ESM app's `import https from 'node:https'` gets the patched module too
// (a started pipeline patches `https` only once the app has loaded it, to keep a script's start-up small).
createRequire(`${process.cwd()}/`)('node:https');
syncBuiltinESMExports();
const { config } = telemetry;
telemetry.getLogger('autotelemetry').info('AutoTelemetry started', {
  service: config.serviceName,
  version: config.serviceVersion,
  environment: config.environment,
  traces: config.traceExporter,
  otlp: config.otlpEnabled ? `${config.otlpEndpoint} (${config.otlpProtocol})` : false,
  prometheus_port: config.prometheusPort,
});
