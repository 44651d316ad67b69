/**
 * Tracers whose spans the pipeline's span factory makes (http/request-span.ts), not the SDK's `Tracer`: for
 * the instrumentations the pipeline applies itself — the tracing-channel client spans, and the spans of the
 * OpenTelemetry instrumentations it patches into pg, amqplib and node-redis 4 — whose spans are started as
 * often as the request's and cost as much through the SDK's general path.
 *
 * A span is the same either way: sampled by the pipeline's sampler, handed to its processors in order, with
 * the tracer's scope. What the factory does not take goes to the SDK's tracer of the same scope, so such a
 * span is exactly what the SDK makes: a start time, links, a new root, and a context where tracing is
 * suppressed (an exporter's own calls).
 */
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  type SpanOptions,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { RequestSpanFactory } from '../http/request-span.js';

/** A provider whose tracers start spans through `factory`, and through `sdk` where the factory cannot. */
export function leanTracerProvider(factory: RequestSpanFactory, sdk: TracerProvider): TracerProvider {
  const tracers = new Map<string, Tracer>();
  return {
    getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
      const key = `${name}\u0000${version ?? ''}\u0000${options?.schemaUrl ?? ''}`;
      let tracer = tracers.get(key);
      if (tracer === undefined) {
        const scope = { name, version, schemaUrl: options?.schemaUrl };
        tracer = new LeanTracer(factory.withScope(scope), sdk.getTracer(name, version, options));
        tracers.set(key, tracer);
      }
      return tracer;
    },
  };
}

class LeanTracer implements Tracer {
  constructor(
    private readonly factory: RequestSpanFactory,
    private readonly sdk: Tracer,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, parent: Context = context.active()): Span {
    const attributes = options.attributes === undefined ? {} : primitiveAttributes(options.attributes);
    if (
      attributes === undefined ||
      options.startTime !== undefined ||
      (options.links !== undefined && options.links.length > 0) ||
      options.root === true ||
      isTracingSuppressed(parent)
    ) {
      return this.sdk.startSpan(name, options, parent);
    }
    return this.factory.start(name, attributes, parent, performance.now(), options.kind ?? SpanKind.INTERNAL);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
    const parent = (rest.length >= 3 ? rest[1] : undefined) as Context | undefined;
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent ?? context.active(), span), () => fn(span)) as ReturnType<F>;
  }
}

/**
 * A copy of `attributes` without its unset values, when every other value is a string, a number or a
 * boolean (what instrumentations pass at start); undefined when one is not, for the SDK to validate.
 */
function primitiveAttributes(attributes: Attributes): Attributes | undefined {
  const copy: Attributes = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    const type = typeof value;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') return undefined;
    copy[key] = value;
  }
  return copy;
}
