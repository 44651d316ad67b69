// The official OpenTelemetry setup as its docs describe it, shared by the "official" contenders: NodeSDK with
// the given instrumentations, spans and metrics over OTLP http/protobuf to the runner's sink. Must be required
// before the framework, as those docs ask.
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
const { PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');

function startOfficialSdk(serviceName, instrumentations) {
  const endpoint = process.env.BENCH_OTLP_ENDPOINT;
  const sdk = new NodeSDK({
    serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }),
    metricReader: new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
      exportIntervalMillis: 10_000,
    }),
    instrumentations,
  });
  sdk.start();
  return sdk;
}

module.exports = { startOfficialSdk };
