/**
 * Start and find the one pipeline of the process: `startTelemetry(options)` (the Node package exports it as
 * `autoInstrument`) and `getTelemetry()`.
 *
 * The running pipeline lives in the process-wide state (state.ts), so the ESM and CJS copies of this package
 * share it: a second start from either copy returns the same client.
 */
import { metrics, trace } from '@opentelemetry/api';
import { createClient, type TelemetryClient } from './client.js';
import { resolveConfig } from './config/resolve.js';
import type { Config, ConfigKey, TelemetryOptions } from './config/types.js';
import { createLogger, flushLogger } from './logging/logger.js';
import { createNotices } from './notices.js';
import { createPipeline } from './pipeline/pipeline.js';
import { reportFatal } from './process/fatal-report.js';
import { installExitHooks } from './process/shutdown.js';
import { installSyncExitHooks } from './process/sync-exit-hooks.js';
import { getState, setState } from './state.js';

/** Logger name of the pipeline's own lines (export outages, port in use…). */
export const PIPELINE_LOGGER_NAME = 'autotelemetry';

/** Config keys compared to tell whether a second start asks for something else. */
function differingKeys(running: Config, requested: Config): ConfigKey[] {
  const keys = Object.keys(requested.sources) as ConfigKey[];
  return keys.filter((key) => {
    const a = running[key];
    const b = requested[key];
    if (a === b) return false;
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
      try {
        return JSON.stringify(a) !== JSON.stringify(b);
      } catch {
        return true;
      }
    }
    return true;
  });
}

function isEmptyOptions(options: TelemetryOptions | undefined): boolean {
  return (
    options === undefined || (typeof options === 'object' && options !== null && Object.keys(options).length === 0)
  );
}

/**
 * Starts the pipeline — traces, metrics, logs, `/metrics`, runtime metrics, outgoing-call propagation and
 * the flush at exit — and returns its client.
 *
 * Idempotent: while a pipeline runs, a call returns the same client. A call with options that resolve to a
 * different configuration also returns it, and warns once that the new options were not applied.
 * Throws a `ConfigError` (naming the option) for a bad option or environment variable; never throws for a
 * telemetry failure after that (an unreachable collector, a port in use: one warning each).
 */
export function startTelemetry(options?: TelemetryOptions): TelemetryClient {
  const running = getState()?.client as TelemetryClient | undefined;
  if (running) {
    if (!isEmptyOptions(options)) {
      const requested = resolveConfig(options);
      const differing = differingKeys(running.config, requested);
      if (differing.length > 0) {
        getState()?.notices?.warnOnce(
          `restart:${differing.join(',')}`,
          'AutoTelemetry is already running: this start returned the running client, and its options were not ' +
            `applied (different: ${differing.join(', ')}). Call shutdown() on the client first to restart with new options.`,
          { different_options: differing },
        );
      }
    }
    return running;
  }

  const config = resolveConfig(options);
  const notices = createNotices();
  // The logger first: a destination that cannot be opened is a config error, thrown before anything is
  // registered. Its OpenTelemetry bridge goes through the Logs API proxy, which the pipeline connects next.
  const logger = createLogger(config);
  // Notices go through the app's logger from the start (a warning while building the pipeline included).
  notices.setSink(logger.getLogger(PIPELINE_LOGGER_NAME));
  const pipeline = createPipeline(config, notices, logger);
  for (const warning of config.warnings) notices.warn(warning);

  let stopping: Promise<void> | undefined;
  // `processEnding`: the exit hooks' flush (a signal, the event loop run dry) rather than the app's call.
  const shutdown = (processEnding: boolean): Promise<void> => {
    stopping ??= (async () => {
      hooks.remove();
      if (getState()?.client === client) setState(undefined);
      await pipeline.shutdown({ processEnding });
      // Kept until the flush is done: a `process.exit()` during it still exports what is in flight.
      syncHooks.remove();
      flushLogger(logger);
    })();
    return stopping;
  };
  const hooks = installExitHooks(() => shutdown(true));
  const syncHooks = installSyncExitHooks({
    onFatal: (error, origin) => reportFatal(logger, error, origin),
    onExit: () => {
      pipeline.exportPendingSync();
      flushLogger(logger);
    },
  });
  const { tracerProvider, meterProvider } = pipeline;
  const client = createClient({
    config,
    logger,
    getTracer: (name, version) => (tracerProvider ?? trace).getTracer(name, version),
    getMeter: (name, version) => (meterProvider ?? metrics).getMeter(name, version),
    forceFlush: async () => {
      await pipeline.forceFlush();
      flushLogger(logger);
    },
    shutdown: () => shutdown(false),
  });
  setState({ config, logger, client, pipeline, notices });
  return client;
}

/** The running pipeline's client, or undefined when none is started (or it is shutting down). */
export function getTelemetry(): TelemetryClient | undefined {
  return getState()?.client as TelemetryClient | undefined;
}
