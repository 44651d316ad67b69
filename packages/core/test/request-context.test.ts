/**
 * The request's context frame (http/request-context.ts) reads and derives exactly as the context
 * `trace.setSpan` makes, through the public API: span, baggage, suppression, other keys, deletion.
 */
import {
  type Context,
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { isTracingSuppressed, suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestContext } from '../src/http/request-context.js';

const span = trace.wrapSpanContext({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
});
const other = trace.wrapSpanContext({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
});
const KEY = createContextKey('request-context.test key');

/** What a context tells through the API, for comparing two built differently. */
function reading(ctx: Context) {
  return {
    spanId: trace.getSpan(ctx)?.spanContext().spanId,
    baggage: propagation.getBaggage(ctx)?.getEntry('tenant')?.value,
    suppressed: isTracingSuppressed(ctx),
    key: ctx.getValue(KEY),
  };
}

describe('the request context', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => context.disable());

  const parentWithBaggage = propagation.setBaggage(
    ROOT_CONTEXT,
    propagation.createBaggage({ tenant: { value: 'acme' } }),
  );

  it.each([
    ['the root', ROOT_CONTEXT],
    ['an extracted parent with baggage and a key', parentWithBaggage.setValue(KEY, 7)],
  ])('over %s, reads and derives as trace.setSpan does', (_title, parent) => {
    const ours = requestContext(parent, span);
    const theirs = trace.setSpan(parent, span);
    expect(reading(ours)).toEqual(reading(theirs));
    expect(trace.getSpan(ours)).toBe(span);
    const derivations: Array<(ctx: Context) => Context> = [
      (ctx) => ctx.setValue(KEY, 'set'),
      (ctx) => ctx.deleteValue(KEY),
      (ctx) => suppressTracing(ctx),
      (ctx) => trace.setSpan(ctx, other),
      (ctx) => trace.deleteSpan(ctx),
      (ctx) => propagation.setBaggage(ctx, propagation.createBaggage({ tenant: { value: 'globex' } })),
      (ctx) => trace.deleteSpan(ctx).setValue(KEY, 'after delete'),
    ];
    for (const derive of derivations) {
      expect(reading(derive(ours))).toEqual(reading(derive(theirs)));
    }
    // Immutable: deriving left the request's own context as it was.
    expect(reading(ours)).toEqual(reading(theirs));
  });

  it('is the active context inside context.with, across await', async () => {
    const ours = requestContext(ROOT_CONTEXT, span);
    const seen = await context.with(ours, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return trace.getActiveSpan();
    });
    expect(seen).toBe(span);
  });

  it('injects the span as traceparent', () => {
    const headers: Record<string, string> = {};
    new W3CTraceContextPropagator().inject(requestContext(ROOT_CONTEXT, span), headers, {
      set: (carrier, key, value) => {
        (carrier as Record<string, string>)[key] = value;
      },
    });
    expect(headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });
});
