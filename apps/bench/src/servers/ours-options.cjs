// AutoTelemetry's options for the "ours" contenders: the production defaults with every signal on — spans over
// OTLP http/protobuf to the runner's sink, metrics over OTLP and the Prometheus endpoint, one JSON access line
// per request (to /dev/null; also bridged to OTLP logs), runtime metrics and anomaly detection.
'use strict';

function oursOptions(serviceName) {
  return {
    serviceName,
    environment: 'production',
    otlpEndpoint: process.env.BENCH_OTLP_ENDPOINT,
    otlpProtocol: 'http/protobuf',
    prometheusPort: Number(process.env.BENCH_PROMETHEUS_PORT),
    prometheusHost: '127.0.0.1',
    logDestination: '/dev/null',
  };
}

module.exports = { oursOptions };
