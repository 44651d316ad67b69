/**
 * How the pipeline reports on itself (an exporter that cannot reach its collector, a port in use, a second
 * start with another config). Lines go through the application's own logger once it exists, under the logger
 * name `autotelemetry`, so they look like every other line; before that, or without one, to stderr.
 */

/** The slice of a logger notices are written to. */
export interface NoticeSink {
  warn(message: string, data?: Record<string, unknown>): unknown;
  info(message: string, data?: Record<string, unknown>): unknown;
}

/** The pipeline's own warnings and infos. Never throws. */
export interface Notices {
  /** Writes a WARN line. */
  warn(message: string, data?: Record<string, unknown>): void;
  /** Writes an INFO line. */
  info(message: string, data?: Record<string, unknown>): void;
  /** Writes a WARN line the first time `key` is seen (a bounded number of keys is remembered). */
  warnOnce(key: string, message: string, data?: Record<string, unknown>): void;
  /** Routes later lines to `sink` (the pipeline's logger), or back to stderr with undefined. */
  setSink(sink: NoticeSink | undefined): void;
}

/** How many distinct `warnOnce` keys are remembered; past it, new keys are dropped rather than printed. */
const MAX_ONCE_KEYS = 256;

function stderrLine(level: string, message: string, data: Record<string, unknown> | undefined): void {
  let suffix = '';
  if (data !== undefined) {
    try {
      suffix = ` ${JSON.stringify(data)}`;
    } catch {
      suffix = '';
    }
  }
  process.stderr.write(`[autotelemetry] ${level} ${message}${suffix}\n`);
}

/** Creates the notice channel of one pipeline. */
export function createNotices(): Notices {
  let sink: NoticeSink | undefined;
  const seen = new Set<string>();
  const write = (level: 'warn' | 'info', message: string, data?: Record<string, unknown>): void => {
    try {
      if (sink) sink[level](message, data);
      else stderrLine(level.toUpperCase(), message, data);
    } catch {
      // A broken logger must not turn a notice into a crash.
    }
  };
  return {
    warn: (message, data) => write('warn', message, data),
    info: (message, data) => write('info', message, data),
    warnOnce(key, message, data) {
      if (seen.has(key) || seen.size >= MAX_ONCE_KEYS) return;
      seen.add(key);
      write('warn', message, data);
    },
    setSink(next) {
      sink = next;
    },
  };
}
