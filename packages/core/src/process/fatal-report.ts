/**
 * The last words of a process that dies of an uncaught exception (or of an unhandled rejection, which Node
 * turns into one by default): one FATAL line, written synchronously in the context of the code that threw —
 * so it carries that span's `trace_id`/`span_id` —, the exception recorded on that span, and the span ended
 * with ERROR status so that it is exported with the rest at exit.
 *
 * It runs from `uncaughtExceptionMonitor`, which observes without handling: Node still prints the stack to
 * stderr and exits with code 1, exactly as without AutoTelemetry. When the application has its own
 * `uncaughtException` listener, the process may well survive; the application decides what to log, and
 * nothing is written or ended here.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { TelemetryLogger } from '../logging/logger.js';
import { isError } from '../logging/safe-json.js';

/** The `logger` of the FATAL line. */
export const FATAL_LOGGER_NAME = 'process';

function messageOf(value: unknown): string {
  try {
    if (isError(value)) return String(value.message);
    if (typeof value === 'string') return value;
    return String(value);
  } catch {
    return 'an unprintable value';
  }
}

function nameOf(value: unknown): string {
  try {
    if (isError(value)) return value.name || 'Error';
  } catch {
    // A hostile getter.
  }
  return typeof value;
}

/**
 * Writes the FATAL line for an uncaught `error` and ends the active span with it, unless the application
 * handles uncaught exceptions itself. Never throws (it runs while the process is already failing).
 *
 * @param origin - `uncaughtException` or `unhandledRejection`, as Node passes it to the monitor.
 */
export function reportFatal(logger: TelemetryLogger, error: unknown, origin: string): void {
  try {
    if (process.listenerCount('uncaughtException') > 0) return;
    const what = origin === 'unhandledRejection' ? 'Unhandled promise rejection' : 'Uncaught exception';
    const message = `${what}: ${messageOf(error)}`;
    // An Error inside an active span is also recorded on it as an exception event by the logger.
    logger.getLogger(FATAL_LOGGER_NAME).fatal(message, isError(error) ? error : { thrown: error, origin });
    const span = trace.getActiveSpan();
    if (span?.isRecording()) {
      if (!isError(error)) span.recordException({ name: nameOf(error), message: messageOf(error) });
      span.setAttribute('error.type', nameOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      span.end();
    }
  } catch {
    // Nothing may be added to a crash in progress.
  }
}
