/**
 * The request's SERVER span, made without going through the SDK's `Tracer` — and, through the lean tracer
 * provider (pipeline/lean-tracer.ts), the CLIENT spans of the libraries the pipeline traces, which are as hot.
 *
 * `tracer.startSpan` does general work a request span does not need: it validates the attributes twice,
 * copies the links, and creates its span through a generic constructor that reads two clocks. This span
 * implements the OpenTelemetry API `Span` (so `trace.getActiveSpan()`, `setAttribute`, `addEvent`,
 * `recordException` and child spans made by user code work unchanged) and the SDK's `ReadableSpan` (so
 * every span processor — the batch exporter, the application's own, redaction, the memory exporter, the exit
 * export — receives it as it would an SDK span). It is sampled by the pipeline's sampler and handed to the
 * pipeline's span processors, in order, at start and at end: the same path an SDK span takes.
 *
 * What user code adds goes through the SDK's own attribute rules (`maybeAddAttribute`, the SDK's default
 * limits of 128 attributes, events and links); the lifecycle's own attributes are known valid and are
 * written directly.
 */
import { randomFillSync } from 'node:crypto';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  diag,
  type Exception,
  isSpanContextValid,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import {
  cleanAttributes,
  cleanSimpleAttributes,
  hrTimeDuration,
  type InstrumentationScope,
  isTimeInput,
  isTimeInputHrTime,
  millisToHrTime,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SpanProcessor,
  type TimedEvent,
} from '@opentelemetry/sdk-trace';
import { addLimitedAttribute, attributeCount } from '../limited-attributes.js';

/** Instrumentation scope of the request spans and HTTP metrics. */
export const HTTP_INSTRUMENTATION_SCOPE = '@autotelemetry/core/http';

/** The SDK's default span limits, which the span applies to what user code adds. */
const LIMITS = Object.freeze({
  attributeCountLimit: 128,
  attributeValueLengthLimit: Number.POSITIVE_INFINITY,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
});
const EVENT_ATTRIBUTE_LIMITS = Object.freeze({
  attributeCountLimit: LIMITS.attributePerEventCountLimit,
  attributeValueLengthLimit: LIMITS.attributeValueLengthLimit,
});
const LINK_ATTRIBUTE_LIMITS = Object.freeze({
  attributeCountLimit: LIMITS.attributePerLinkCountLimit,
  attributeValueLengthLimit: LIMITS.attributeValueLengthLimit,
});

// Ids come from a pool of random bytes refilled 4 KiB at a time (one `randomFillSync` per 170 requests)
// instead of four `Math.random()` calls and a buffer write per id.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `bytes` (a multiple of 8) random bytes as lower-case hex, no 8-byte run of which is all zero. */
function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += bytes;
  // An all-zero id is invalid; with 64 random bits this is a formality, but a cheap one.
  for (let word = start; word < poolOffset; word += 8) {
    let zero = true;
    for (let i = word; i < word + 8; i++) if (pool[i] !== 0) zero = false;
    if (zero) pool[word + 7] = 1;
  }
  return pool.toString('hex', start, poolOffset);
}

// Wall-clock time from the monotonic clock: `performance.timeOrigin + performance.now()` drifts from the
// wall clock over days (NTP slews it), so the offset is re-read from `Date.now()` once a second.
let clockOffset = Date.now() - performance.now();
let clockSyncedAt = performance.now();

/** Epoch milliseconds of a `performance.now()` reading. */
export function epochMillis(perfNow: number): number {
  if (perfNow - clockSyncedAt > 1000) {
    clockSyncedAt = performance.now();
    clockOffset = Date.now() - clockSyncedAt;
  }
  return perfNow + clockOffset;
}

/** Starts request spans for one pipeline: its resource, sampler and span processors. */
export class RequestSpanFactory {
  /**
   * @param resource the pipeline's resource, carried by every span.
   * @param sampler the pipeline's sampler (parent-based: an incoming sampled flag is kept).
   * @param processors the pipeline's span processors, in the order the tracer provider was given them.
   * @param scope the instrumentation scope of the request spans.
   */
  constructor(
    readonly resource: Resource,
    private readonly sampler: Sampler,
    readonly processors: readonly SpanProcessor[],
    readonly scope: InstrumentationScope,
  ) {}

  /** A factory of the same pipeline whose spans carry `scope`. */
  withScope(scope: InstrumentationScope): RequestSpanFactory {
    return new RequestSpanFactory(this.resource, this.sampler, this.processors, scope);
  }

  /**
   * Starts a SERVER span named `name`, child of the span context in `parent` (extracted from the request's
   * headers) if it is valid. `attributes` becomes the span's own object (it must not be reused), and holds
   * only valid attribute values. `startPerfNow` is the `performance.now()` reading of the request's arrival.
   * A span the sampler drops is a non-recording span that still propagates its context.
   */
  start(
    name: string,
    attributes: Attributes,
    parent: Context,
    startPerfNow: number,
    kind: SpanKind = SpanKind.SERVER,
  ): Span {
    const parentSpan = trace.getSpan(parent);
    let validParent: SpanContext | undefined;
    if (parentSpan instanceof RequestSpan) {
      // Its ids were made here, or taken from a parent already checked: valid without the pattern tests.
      validParent = parentSpan.spanContext();
    } else {
      const parentSpanContext = parentSpan?.spanContext();
      validParent =
        parentSpanContext !== undefined && isSpanContextValid(parentSpanContext) ? parentSpanContext : undefined;
    }
    let traceId: string;
    let spanId: string;
    if (validParent === undefined) {
      // A new trace's two ids from one hex conversion (the native call costs more than the bytes).
      const ids = randomHex(24);
      traceId = ids.slice(0, 32);
      spanId = ids.slice(32);
    } else {
      traceId = validParent.traceId;
      spanId = randomHex(8);
    }
    const result = this.sampler.shouldSample(parent, traceId, name, kind, attributes, []);
    const traceState = result.traceState ?? validParent?.traceState;
    if (result.decision === SamplingDecision.NOT_RECORD) {
      return trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.NONE, traceState });
    }
    if (result.attributes !== undefined)
      Object.assign(attributes, cleanAttributes(result.attributes, LIMITS).attributes);
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState,
    };
    const span = new RequestSpan(this, spanContext, validParent, name, attributes, startPerfNow, kind);
    const processors = this.processors;
    for (let i = 0; i < processors.length; i++) (processors[i] as SpanProcessor).onStart(span, parent);
    return span;
  }
}

// Shared until the span ends (the end replaces them), and read-only: processors see ended spans.
const NOT_ENDED: [number, number] = Object.freeze([0, 0]) as unknown as [number, number];
const NO_DURATION: [number, number] = Object.freeze([-1, -1]) as unknown as [number, number];

/** A SERVER span of the HTTP lifecycle (or a library's CLIENT span): an API `Span` and an SDK `ReadableSpan`. */
export class RequestSpan implements Span, ReadableSpan {
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly startTime: [number, number];
  endTime: [number, number] = NOT_ENDED;
  duration: [number, number] = NO_DURATION;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  /** @internal Attributes held, for the count limit. */
  attributesCount: number;

  constructor(
    private readonly factory: RequestSpanFactory,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    public name: string,
    readonly attributes: Attributes,
    private readonly startPerfNow: number,
    readonly kind: SpanKind = SpanKind.SERVER,
  ) {
    this.startTime = millisToHrTime(epochMillis(startPerfNow));
    this.attributesCount = attributeCount(attributes);
  }

  get resource(): Resource {
    return this.factory.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.factory.scope;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /**
   * @internal Sets an attribute the lifecycle knows to be valid (a string or a number), bypassing the checks
   * user values go through; the count limit still holds.
   */
  setKnownAttribute(key: string, value: string | number): void {
    if (this.ended) return;
    if (this.attributes[key] === undefined) {
      if (this.attributesCount >= LIMITS.attributeCountLimit) {
        this.droppedAttributesCount++;
        return;
      }
      this.attributesCount++;
    }
    this.attributes[key] = value;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (!this.warnIfEnded()) addLimitedAttribute(this, key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this.warnIfEnded()) return this;
    if (this.events.length >= LIMITS.eventCountLimit) {
      if (this.droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this.droppedEventsCount++;
    }
    let attributes: Attributes | undefined;
    let time = startTime;
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(time)) time = attributesOrStartTime;
    } else {
      attributes = attributesOrStartTime;
    }
    this.events.push({
      name,
      time: this.timeOf(time),
      ...cleanSimpleAttributes(attributes, EVENT_ATTRIBUTE_LIMITS),
    } as TimedEvent);
    return this;
  }

  addLink(link: Link): this {
    if (this.warnIfEnded()) return this;
    if (this.links.length >= LIMITS.linkCountLimit) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    this.links.push({ context: link.context, ...cleanAttributes(link.attributes, LINK_ATTRIBUTE_LIMITS) } as Link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.warnIfEnded()) return this;
    // The SDK's rules: UNSET changes nothing, OK is final, only ERROR keeps a (string) message.
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (this.warnIfEnded()) return this;
    this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) {
      this.addEvent('exception', attributes, time);
    } else {
      diag.warn(`Failed to record an exception ${String(exception)}`);
    }
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(
        `${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`,
      );
      return;
    }
    this.finish(this.timeOf(endTime));
  }

  /** @internal Ends the span at a `performance.now()` reading the lifecycle already took. */
  endAt(perfNow: number): void {
    if (this.ended) return;
    this.finish(millisToHrTime(epochMillis(perfNow)));
  }

  private finish(endTime: [number, number]): void {
    this.endTime = endTime;
    this.duration = hrTimeDuration(this.startTime, endTime) as [number, number];
    if (this.duration[0] < 0) {
      this.endTime = [this.startTime[0], this.startTime[1]];
      this.duration = [0, 0];
    }
    const processors = this.factory.processors;
    for (let i = 0; i < processors.length; i++) (processors[i] as SpanProcessor).onEnding?.(this);
    this.ended = true;
    for (let i = 0; i < processors.length; i++) (processors[i] as SpanProcessor).onEnd(this);
  }

  /** A time given by user code, read as the SDK's span reads it; anything else is now. */
  private timeOf(time: TimeInput | undefined): [number, number] {
    if (typeof time === 'number') {
      // At or below the current monotonic reading: a `performance.now()` value; above: epoch milliseconds.
      return time <= performance.now() ? millisToHrTime(epochMillis(time)) : millisToHrTime(time);
    }
    if (time instanceof Date) return millisToHrTime(time.getTime());
    if (isTimeInputHrTime(time)) return [time[0], time[1]];
    return millisToHrTime(epochMillis(performance.now()));
  }

  private warnIfEnded(): boolean {
    if (this.ended) {
      diag.warn(
        `Cannot execute the operation on ended Span {traceId: ${this.context.traceId}, spanId: ${this.context.spanId}}`,
      );
    }
    return this.ended;
  }

  /** Time the span was started, as a `performance.now()` reading. */
  get startedAt(): number {
    return this.startPerfNow;
  }
}
