/**
 * Excluded paths stay silent whoever makes their SERVER span. The lifecycle makes none for them, but another
 * HTTP instrumentation loaded in the process (the official `@opentelemetry/instrumentation-http`, preloaded
 * with incoming requests on) starts its own through the pipeline's tracer provider: this sampler drops a
 * SERVER span whose start attributes name an excluded path (`url.path`, or the older `http.target` without
 * its query), so that span, and the spans below it, are never recorded or exported. Every other span is
 * decided by the wrapped sampler.
 */
import { type Attributes, type Context, type Link, SpanKind } from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/sdk-trace';

const NOT_RECORDED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

export class ExcludedPathsSampler implements Sampler {
  constructor(
    private readonly excluded: ReadonlySet<string>,
    private readonly delegate: Sampler,
  ) {}

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (spanKind === SpanKind.SERVER && this.excluded.size > 0 && this.isExcluded(attributes)) return NOT_RECORDED;
    return this.delegate.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  private isExcluded(attributes: Attributes): boolean {
    const path = attributes['url.path'];
    if (typeof path === 'string') return this.excluded.has(path);
    const target = attributes['http.target'];
    if (typeof target !== 'string') return false;
    const q = target.indexOf('?');
    return this.excluded.has(q === -1 ? target : target.slice(0, q));
  }

  toString(): string {
    return `ExcludedPathsSampler{${this.delegate.toString()}}`;
  }
}
