/**
 * Recording a thrown value on a span the same way everywhere (traced, measure, the HTTP lifecycle):
 * an exception event, `error.type`, and ERROR status with the message. Anything can be thrown in
 * JavaScript — strings, plain objects, objects whose getters throw — and none of it may break the caller.
 */
import { type Span, SpanStatusCode } from '@opentelemetry/api';

/** A bounded, low-cardinality name for what was thrown: the error's class name, else `_OTHER`. */
export function errorType(error: unknown): string {
  try {
    if (error instanceof Error) return error.name || error.constructor.name || 'Error';
    if (error !== null && typeof error === 'object') {
      const name = (error as { name?: unknown }).name;
      if (typeof name === 'string' && name.length > 0 && name.length <= 64) return name;
    }
  } catch {
    // A hostile getter: fall through to the generic type.
  }
  return '_OTHER';
}

/** A message for a thrown value that never throws itself. */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    if (error !== null && typeof error === 'object') {
      const message = (error as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
    return String(error);
  } catch {
    return 'unprintable thrown value';
  }
}

/** Records `error` on `span`: exception event, `error.type` attribute, ERROR status. Never throws. */
export function recordSpanFailure(span: Span, error: unknown): void {
  try {
    const message = errorMessage(error);
    if (error instanceof Error) span.recordException(error);
    else span.recordException({ name: errorType(error), message });
    span.setAttribute('error.type', errorType(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  } catch {
    // Telemetry never throws into the host application.
  }
}
