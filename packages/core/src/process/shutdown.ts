/**
 * Flush at exit without taking the exit away from the application.
 *
 * - A normal end (`beforeExit`: the event loop ran dry) flushes; the process then ends as it would have.
 * - SIGTERM/SIGINT flush. Adding a listener cancels Node's default action for that signal, so after the flush:
 *   if the application has its own listener, the library does nothing more (the application decides when
 *   to exit); if it has none, the library removes its listener and raises the signal again, so the process
 *   ends exactly as Node would have ended it (killed by the signal, status 128+n in a shell).
 * - A second signal while flushing ends the process at once, as an impatient Ctrl-C should.
 * - `process.exit()` called by the application and uncaught exceptions cannot be waited for (the `exit`
 *   event is synchronous): sync-exit-hooks.ts exports what is pending synchronously then. `await
 *   client.shutdown()` before `process.exit()` remains the way to also deliver the last metrics.
 *
 * Every listener added here is removed by the returned function, so start/shutdown cycles leave nothing behind.
 */

/** The signals flushed on. */
export const FLUSH_SIGNALS: readonly NodeJS.Signals[] = Object.freeze(['SIGTERM', 'SIGINT']);

/** Installed exit hooks. */
export interface ExitHooks {
  /** Removes every listener the hooks added. Safe to call twice. */
  remove(): void;
}

/**
 * Installs the exit hooks. `flush` is the pipeline's shutdown: it must be bounded in time, idempotent, never
 * reject, and it is expected to call {@link ExitHooks.remove}.
 */
export function installExitHooks(flush: () => Promise<void>): ExitHooks {
  let removed = false;
  const flushing = new Set<NodeJS.Signals>();

  const onBeforeExit = (): void => {
    process.removeListener('beforeExit', onBeforeExit);
    void flush();
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (flushing.has(signal)) {
      // Second signal during the flush: stop waiting.
      reraiseIfUnhandled(signal);
      return;
    }
    flushing.add(signal);
    void flush().then(() => reraiseIfUnhandled(signal));
  };

  const reraiseIfUnhandled = (signal: NodeJS.Signals): void => {
    process.removeListener(signal, onSignal);
    // Any listener left belongs to the application: it keeps control of the exit.
    if (process.listenerCount(signal) > 0) return;
    process.kill(process.pid, signal);
  };

  process.on('beforeExit', onBeforeExit);
  for (const signal of FLUSH_SIGNALS) process.on(signal, onSignal);

  return {
    remove() {
      if (removed) return;
      removed = true;
      process.removeListener('beforeExit', onBeforeExit);
      // Removing a signal listener while its flush runs is fine: a second signal then gets Node's default
      // action (or the application's listener), which is what a second signal should get.
      for (const signal of FLUSH_SIGNALS) process.removeListener(signal, onSignal);
    },
  };
}
