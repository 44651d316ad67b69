/**
 * The app's own loggers carry the trace ids (`logCorrelation`): every copy of `pino` and `winston` the app
 * loads — before the start or after, by `require` or by `import`, its own or a library's — is found by
 * module-watch.ts and patched in place (logging/pino-trace-ids.ts, logging/winston-trace-ids.ts), so every
 * logger of it, existing or future, writes `trace_id` and `span_id` of the span active when it logs.
 * Nothing is loaded for a logger library the app does not use.
 */
import { addTraceIdsToPinoPackage, setPinoCorrelation } from '../logging/pino-trace-ids.js';
import { addTraceIdsToWinston } from '../logging/winston-trace-ids.js';
import { watchPackage } from './module-watch.js';

/** The logger libraries whose lines get the ids. */
export const CORRELATED_LOGGERS = Object.freeze(['pino', 'winston'] as const);

export interface LogCorrelation {
  /** The copies patched so far (`pino@10.4.0 /app/node_modules/pino`), for `doctor` and the tests. */
  patched(): readonly string[];
  /** Stops patching new copies and undoes the patches made. */
  stop(): void;
}

/** Starts adding the trace ids to the lines of every pino and winston logger of the process. */
export function enableLogCorrelation(): LogCorrelation {
  const copies: string[] = [];
  const undos: Array<() => void> = [];
  const unwatches = CORRELATED_LOGGERS.map((name) =>
    watchPackage(name, (loaded) => {
      const undo = name === 'pino' ? addTraceIdsToPinoPackage(loaded) : addTraceIdsToWinston(loaded.exports);
      if (undo === undefined) return;
      undos.push(undo);
      copies.push(`${name}@${loaded.version} ${loaded.dir}`);
    }),
  );
  setPinoCorrelation(true);
  let stopped = false;
  return {
    patched: () => [...copies],
    stop() {
      if (stopped) return;
      stopped = true;
      setPinoCorrelation(false);
      for (const unwatch of unwatches) unwatch();
      for (const undo of undos) undo();
    },
  };
}
