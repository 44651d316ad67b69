/**
 * The one process-wide AutoTelemetry state.
 *
 * Packages ship as ESM and CJS. An app can load both copies of `@autotelemetry/core` (an ESM adapter and a
 * CJS dependency, say); module-level singletons would then split into two pipelines. So the state lives on
 * `globalThis` under a registered symbol, the way `@opentelemetry/api` keeps its globals. Its members are
 * plain objects whose methods work whichever copy created them.
 */
import type { TelemetryClient } from './client.js';
import type { Config } from './config/types.js';
import type { Notices } from './notices.js';
import type { Pipeline } from './pipeline/pipeline.js';

/** Everything a started pipeline shares with the helpers (traced, measure, the HTTP lifecycle, adapters). */
export interface TelemetryState {
  readonly config: Config;
  /**
   * Root logger of the pipeline (a `TelemetryLogger`, see logger.ts). Typed loosely because helpers accept
   * any logger with the seed's call shape (see log-sink.ts).
   */
  readonly logger: unknown;
  /** Filled in by the pipeline and the helpers for each other. */
  readonly services: Record<string, unknown>;
  /** The client `startTelemetry()` returned; absent when the state was set without a pipeline (tests). */
  readonly client?: TelemetryClient;
  /** The running pipeline: providers, capture points, health of the exporters. */
  readonly pipeline?: Pipeline;
  /** The pipeline's own warning channel (export outages, a port in use, a second start). */
  readonly notices?: Notices;
}

const STATE_KEY = Symbol.for('autotelemetry.state.v1');

type GlobalWithState = typeof globalThis & { [STATE_KEY]?: TelemetryState | undefined };

/** The running pipeline's state, or undefined when none is started. */
export function getState(): TelemetryState | undefined {
  return (globalThis as GlobalWithState)[STATE_KEY];
}

/** Installs (or, with undefined, clears) the process-wide state. Only the pipeline calls this. */
export function setState(state: TelemetryState | undefined): void {
  (globalThis as GlobalWithState)[STATE_KEY] = state;
}
