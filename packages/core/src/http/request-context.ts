/**
 * The context a request runs in: its parent's (the extracted trace context, usually the root), with the
 * request span set.
 *
 * `trace.setSpan` builds it as the API's `BaseContext` does any context: a new `Map` holding a copy of every
 * entry of the parent's. A request's context is instead one frame over its parent that holds the span, and
 * reads it with one comparison. Contexts stay immutable, as the API requires: setting or deleting a value on a
 * frame (baggage, `suppressTracing`, another instrumentation's keys) makes a new frame over it.
 */
import { type Context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';

/** One entry over a parent context. */
class ContextFrame implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new ContextFrame(this, key, value);
  }

  deleteValue(key: symbol): Context {
    // An entry holding undefined reads as an absent one, as after `BaseContext.deleteValue`.
    return new ContextFrame(this, key, undefined);
  }
}

/**
 * The key `trace.setSpan` stores a span under, learnt from the API itself (it calls `setValue` on the context
 * it is given); undefined if it does not behave so, and `trace.setSpan` is used as it is.
 */
const SPAN_KEY: symbol | undefined = (() => {
  let key: unknown;
  const probe: Context = {
    getValue: () => undefined,
    setValue(k) {
      key = k;
      return probe;
    },
    deleteValue: () => probe,
  };
  try {
    const span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    trace.setSpan(probe, span);
    if (typeof key !== 'symbol' || trace.getSpan(new ContextFrame(ROOT_CONTEXT, key, span)) !== span) return undefined;
    return key;
  } catch {
    return undefined;
  }
})();

/** `parent` with `span` as its active span: what `trace.setSpan(parent, span)` returns, read the same way. */
export function requestContext(parent: Context, span: Span): Context {
  return SPAN_KEY === undefined ? trace.setSpan(parent, span) : new ContextFrame(parent, SPAN_KEY, span);
}
