/**
 * The tracer and meter the helpers (traced, measure, anomaly detector) record through. They come from the
 * OpenTelemetry API globals, so they follow whichever pipeline is registered — also one registered after
 * the helpers were first used, or replaced after a shutdown. Each is cached until the global provider
 * object changes, which keeps `trace.getTracer()` off the per-call path.
 */
import { type Meter, type MeterProvider, metrics, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';

/** Instrumentation scope of everything the core's helpers record. */
export const INSTRUMENTATION_SCOPE = '@autotelemetry/core';

let cachedTracerProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;
let cachedMeterProvider: MeterProvider | undefined;
let cachedMeter: Meter | undefined;

/** The core's tracer from the currently registered global tracer provider. */
export function currentTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (provider !== cachedTracerProvider || cachedTracer === undefined) {
    cachedTracerProvider = provider;
    cachedTracer = provider.getTracer(INSTRUMENTATION_SCOPE);
  }
  return cachedTracer;
}

/** The core's meter from the currently registered global meter provider. */
export function currentMeter(): Meter {
  const provider = metrics.getMeterProvider();
  if (provider !== cachedMeterProvider || cachedMeter === undefined) {
    cachedMeterProvider = provider;
    cachedMeter = provider.getMeter(INSTRUMENTATION_SCOPE);
  }
  return cachedMeter;
}
