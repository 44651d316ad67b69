/**
 * The process-wide slot the running pipeline's state lives in, and the narrow view of it that the helpers,
 * the logger and the HTTP lifecycle read.
 *
 * Packages ship as ESM and CJS. An app can load both copies of `@autotelemetry/core` (an ESM adapter and a
 * CJS dependency, say); module-level singletons would then split into two pipelines. So the state lives on
 * `globalThis` under a registered symbol, the way `@opentelemetry/api` keeps its globals, and its members
 * are plain objects whose methods work whichever copy created them.
 *
 * This module imports nothing of the package, so every folder may read the running pipeline through it
 * without depending on the composition that builds the pipeline; state.ts types the whole state on top.
 */

/** What the folders read of the running pipeline's state. */
export interface StateView {
  /** The options the helpers consult at call time. */
  readonly config: { readonly strictNaming: boolean; readonly anomalyDetection: boolean };
  /**
   * Root logger of the pipeline (a `TelemetryLogger`). Typed loosely because the helpers accept any logger
   * with the seed's call shape (logging/log-sink.ts).
   */
  readonly logger: unknown;
  /** The running pipeline; absent when the state was set without one (tests). */
  readonly pipeline?: PipelineView;
}

/**
 * The members of a running pipeline the folders read. Typed loosely: the reader knows the type of the
 * member it asked for (the module named beside it), which this module may not import.
 */
export interface PipelineView {
  /** Read by logging/otel-bridge.ts: the direct log-record path (logging/direct-records.ts), if any. */
  readonly logRecords: unknown;
  /** Read by pipeline/prometheus-text.ts: the reader the Prometheus text is rendered from, if any. */
  readonly metricsReader: unknown;
  /** Read by http/running-lifecycle.ts: the pipeline's HTTP lifecycle, made on first use; none when disabled. */
  httpLifecycle(): unknown;
}

const STATE_KEY = Symbol.for('autotelemetry.state.v1');

type GlobalWithState = typeof globalThis & { [STATE_KEY]?: StateView | undefined };

/** The running pipeline's state, or undefined when none is started. */
export function readStateSlot(): StateView | undefined {
  return (globalThis as GlobalWithState)[STATE_KEY];
}

/** Installs (or, with undefined, clears) the process-wide state. Only state.ts calls this. */
export function writeStateSlot(state: StateView | undefined): void {
  (globalThis as GlobalWithState)[STATE_KEY] = state;
}
