/**
 * The one process-wide AutoTelemetry state.
 *
 * Packages ship as ESM and CJS. An app can load both copies of `@autotelemetry/core` (an ESM adapter and a
 * CJS dependency, say); module-level singletons would then split into two pipelines. So the state lives on
 * `globalThis` under a registered symbol, the way `@opentelemetry/api` keeps its globals.
 */
import type { Config } from './config.js';

/** Everything a started pipeline shares with the helpers (traced, measure, the HTTP lifecycle, adapters). */
export interface TelemetryState {
  readonly config: Config;
  /** Root logger of the pipeline (see logger.ts). Typed loosely here to keep this file dependency-free. */
  readonly logger: unknown;
  /** Filled in by the pipeline (sdk.ts); read by traced/measure/lifecycle. */
  readonly services: Record<string, unknown>;
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
