/**
 * The active span, read when a line is written (not when its logger was made), so any logger — including
 * a child created outside the span — stamps the ids of the span the code is running in.
 */
import { type Context, context, isSpanContextValid, type Span, trace } from '@opentelemetry/api';

/** The span active in `ctx`, if any. */
export function spanIn(ctx: Context): Span | undefined {
  return trace.getSpan(ctx);
}

/** The active context (the root context when no context manager is registered). */
export function activeContext(): Context {
  return context.active();
}

// A span's ids never change and consecutive lines are usually written in the same span, so the JSON
// fragment of the last span seen is kept; one comparison replaces the id validation and concatenation.
let lastSpan: Span | undefined;
let lastFragment = '';

/** `,"trace_id":"…","span_id":"…"` for a span with a valid context, else `''`. */
export function traceJsonFragment(span: Span): string {
  if (span === lastSpan) return lastFragment;
  const spanContext = span.spanContext();
  const fragment = isSpanContextValid(spanContext)
    ? `,"trace_id":"${spanContext.traceId}","span_id":"${spanContext.spanId}"`
    : '';
  lastSpan = span;
  lastFragment = fragment;
  return fragment;
}

/** `trace_id=… span_id=… - ` for the text line, or `''` without a valid span. */
export function traceTextFragment(span: Span | undefined): string {
  if (span === undefined) return '';
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? `trace_id=${spanContext.traceId} span_id=${spanContext.spanId} - ` : '';
}

/** The ids a line written now carries: those of the active span, or undefined without a valid one. */
export function activeSpanIds(): { readonly traceId: string; readonly spanId: string } | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
}
