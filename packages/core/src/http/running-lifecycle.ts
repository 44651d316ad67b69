/**
 * The running pipeline's HTTP lifecycle, as the adapters find it on each request. The pipeline makes it
 * (pipeline/pipeline.ts, on first use); this is the one place it is looked up.
 */
import { readStateSlot, type StateView } from '../state-slot.js';
import type { HttpLifecycle } from './lifecycle.js';

let lastState: StateView | undefined;
let lastLifecycle: HttpLifecycle | undefined;

/**
 * The running pipeline's lifecycle (made on first use with the pipeline's config, logger and capture
 * points), or undefined when no pipeline is running or telemetry is disabled. Cheap enough to call per
 * request: it is cached until the pipeline changes.
 */
export function getHttpLifecycle(): HttpLifecycle | undefined {
  const state = readStateSlot();
  if (state === lastState) return lastLifecycle;
  lastState = state;
  // Duck-typed: the pipeline, and so its lifecycle, may come from the other (ESM or CJS) copy of the core.
  const lifecycle = state?.pipeline?.httpLifecycle() as HttpLifecycle | undefined;
  lastLifecycle = lifecycle !== undefined && typeof lifecycle.begin === 'function' ? lifecycle : undefined;
  return lastLifecycle;
}
