/**
 * The one process-wide AutoTelemetry state, with its full types: the configuration, the client, the
 * pipeline and its notices. The composition (sdk.ts, testing.ts) and the adapters read it here; the folders
 * read the narrow view of the same slot (state-slot.ts), so that nothing the pipeline is built from depends
 * on the pipeline.
 */
import type { TelemetryClient } from './client.js';
import type { Config } from './config/types.js';
import type { Notices } from './notices.js';
import type { Pipeline } from './pipeline/pipeline.js';
import { readStateSlot, type StateView, writeStateSlot } from './state-slot.js';

/** Everything a started pipeline shares with the helpers (traced, measure, the HTTP lifecycle, adapters). */
export interface TelemetryState extends StateView {
  readonly config: Config;
  /** Room for code that installs a state by hand (tests) to keep its own services; the core keeps none here. */
  readonly services?: Record<string, unknown>;
  /** The client `startTelemetry()` returned; absent when the state was set without a pipeline (tests). */
  readonly client?: TelemetryClient;
  /** The running pipeline: providers, capture points, health of the exporters. */
  readonly pipeline?: Pipeline;
  /** The pipeline's own warning channel (export outages, a port in use, a second start). */
  readonly notices?: Notices;
}

/** The running pipeline's state, or undefined when none is started. */
export function getState(): TelemetryState | undefined {
  // Only setState writes the slot, always with a whole TelemetryState.
  return readStateSlot() as TelemetryState | undefined;
}

/** Installs (or, with undefined, clears) the process-wide state. Only the pipeline calls this. */
export function setState(state: TelemetryState | undefined): void {
  writeStateSlot(state);
}
