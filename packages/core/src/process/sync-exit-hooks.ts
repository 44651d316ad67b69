/**
 * The two synchronous moments at the end of a process, for the ends that give the pipeline no asynchronous
 * turn (see shutdown.ts for the ones that do: `beforeExit` and signals):
 *
 * - `uncaughtExceptionMonitor` — an uncaught exception (or an unhandled rejection in Node's default mode)
 *   is about to end the process: the FATAL line is written there, in the context of the code that threw.
 *   A monitor changes nothing in how Node handles the error.
 * - `exit` — `process.exit()`, an uncaught exception, or any other end: what is still pending is exported
 *   synchronously (export/exit-sender.ts). After a completed flush nothing is pending and this costs nothing.
 *
 * Both listeners are removed by the returned function, so start/shutdown cycles leave nothing behind.
 */

/** What the hooks call. Both must never throw. */
export interface SyncExitHandlers {
  /** An uncaught exception is about to end the process (unless the application handles it). */
  onFatal(error: unknown, origin: string): void;
  /** The process is exiting: export what is pending, synchronously. */
  onExit(): void;
}

/** Installed synchronous exit hooks. */
export interface SyncExitHooks {
  /** Removes both listeners. Safe to call twice. */
  remove(): void;
}

/** Installs the `uncaughtExceptionMonitor` and `exit` listeners. */
export function installSyncExitHooks(handlers: SyncExitHandlers): SyncExitHooks {
  const onMonitor = (error: unknown, origin: string): void => handlers.onFatal(error, origin);
  const onExit = (): void => handlers.onExit();
  process.on('uncaughtExceptionMonitor', onMonitor);
  process.on('exit', onExit);
  return {
    remove() {
      process.removeListener('uncaughtExceptionMonitor', onMonitor);
      process.removeListener('exit', onExit);
    },
  };
}
