/**
 * Runtime and system metrics, from the well-kept OpenTelemetry packages where they fit:
 *
 * - `@opentelemetry/instrumentation-runtime-node`: event-loop delay (`nodejs.eventloop.delay.*`) and
 *   utilisation (`nodejs.eventloop.utilization`, `nodejs.eventloop.time`), GC duration (`v8js.gc.duration`),
 *   heap per space (`v8js.memory.heap.*`), active handles (`v8js.resource.active`);
 * - `@opentelemetry/instrumentation-host-metrics` (the successor of `@opentelemetry/host-metrics`, which now
 *   warns that it is deprecated): process CPU (`process.cpu.time`, `process.cpu.utilization`), RSS
 *   (`process.memory.usage`), system CPU and memory (`system.cpu.*`, `system.memory.*`) — network counters left
 *   out (one series per interface and direction, and costly to read);
 * - here: `process.uptime`, which neither provides.
 *
 * Both packages are imported and started {@link RUNTIME_METRICS_DELAY_MS} after the pipeline, on an unref'd
 * timer: a script that is done within that time never pays for them (its runtime figures would mean little),
 * and a service's first metric export comes long after.
 */
import type { MeterProvider } from '@opentelemetry/api';
import type { Notices } from '../notices.js';

/** Host-metrics groups collected (network groups are left out on purpose). */
const HOST_METRIC_GROUPS = ['process.cpu', 'process.memory', 'system.cpu', 'system.memory'];

/** Meter scope of the metrics this module defines itself. */
const RUNTIME_SCOPE = '@autotelemetry/core/runtime';

/** How long after start the runtime and host collectors are loaded and started. */
export const RUNTIME_METRICS_DELAY_MS = 1000;

/** Running runtime metrics. */
export interface RuntimeMetrics {
  /** Resolves once both packages are loaded and started (or failed to, or stopped before). */
  readonly ready: Promise<void>;
  /** Stops the collectors that hold timers or observers. */
  stop(): void;
}

/** Starts runtime and system metrics on `meterProvider`. Never throws: a failure gives one warning. */
export function startRuntimeMetrics(meterProvider: MeterProvider, notices: Notices): RuntimeMetrics {
  let stopped = false;
  let stopping: (() => void) | undefined;
  const started: { disable(): void }[] = [];

  meterProvider
    .getMeter(RUNTIME_SCOPE)
    .createObservableGauge('process.uptime', { unit: 's', description: 'Time since the process started.' })
    .addCallback((result) => result.observe(process.uptime()));

  let timer: NodeJS.Timeout | undefined;
  const ready = (async () => {
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, RUNTIME_METRICS_DELAY_MS);
      timer.unref();
      stopping = resolve;
    });
    if (stopped) return;
    try {
      const [{ RuntimeNodeInstrumentation }, { HostMetricsInstrumentation }] = await Promise.all([
        import('@opentelemetry/instrumentation-runtime-node'),
        import('@opentelemetry/instrumentation-host-metrics'),
      ]);
      if (stopped) return;
      for (const instrumentation of [
        new RuntimeNodeInstrumentation({ monitoringPrecision: 10 }),
        new HostMetricsInstrumentation({ metricGroups: HOST_METRIC_GROUPS }),
      ]) {
        instrumentation.setMeterProvider(meterProvider);
        started.push(instrumentation);
      }
    } catch (error) {
      notices.warn('Runtime metrics could not be started; other telemetry is unaffected.', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  })();

  return {
    ready,
    stop() {
      stopped = true;
      clearTimeout(timer);
      stopping?.();
      for (const instrumentation of started.splice(0)) {
        try {
          instrumentation.disable();
        } catch {
          // Stopping is best effort: the meter provider is shut down right after anyway.
        }
      }
    },
  };
}
