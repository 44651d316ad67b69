/**
 * The pipeline's own timers and immediates are made outside any request's async context.
 *
 * Node gives a timer, an immediate or a socket the async context active when it is made (the
 * `AsyncLocalStorage` stores, the OpenTelemetry context among them). An export timer started while a request's
 * span ends would keep that request's context — its span, attributes and record — alive until it fires, past
 * the young generation's collections, and an export would run in that request's context. Made here, they hold
 * the context of this module's loading instead: the process's start, normally none.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Runs `fn` in the async context of this module's loading, and returns its result. */
export const outsideContext: <R>(fn: () => R) => R = AsyncLocalStorage.snapshot();
