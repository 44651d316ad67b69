import { startTelemetry, type TelemetryClient, type TelemetryOptions } from '@autotelemetry/core';

/**
 * Starts AutoTelemetry for this process — traces, metrics (Prometheus `/metrics` and OTLP), JSON logs with
 * trace ids, runtime metrics, trace propagation on outgoing `fetch`/`http` calls and a flush at exit — and
 * returns its client. The seed's `auto_instrument(...)`; the same function as the core's `startTelemetry`.
 *
 * Options win over environment variables, which win over the environment's defaults. Calling it again
 * returns the running client. Throws a `ConfigError` naming the option for a bad value.
 *
 * @example
 * ```ts
 * import { autoInstrument, Environment } from '@autotelemetry/node';
 *
 * const telemetry = autoInstrument({ serviceName: 'demo.pipeline', environment: Environment.PRODUCTION });
 * const log = telemetry.getLogger('pipeline');
 * log.info('Processing done', { rows_processed: 150 });
 * ```
 */
export const autoInstrument: (options?: TelemetryOptions) => TelemetryClient = startTelemetry;
