/**
 * The logger's OpenTelemetry log records, handed straight to the pipeline's log record processors.
 *
 * Through the Logs API, each line's record is built by the SDK's `Logger.emit`, which copies the record's
 * options and checks every attribute again although the bridge made them valid (otel-bridge.ts flattens the
 * line's data into strings, numbers, booleans and arrays of them). When the running pipeline's provider is
 * the registered one, the bridge gives its records to the same processors, in the same order, as records
 * that implement the SDK's `ReadWriteLogRecord`: processors may change them during `onEmit`, and read them
 * afterwards, exactly as they would an SDK record.
 */
import {
  type AnyValue,
  type Attributes,
  type Context,
  diag,
  type HrTime,
  isSpanContextValid,
  type SeverityNumber,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import { type InstrumentationScope, millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { addLimitedAttribute, DEFAULT_ATTRIBUTE_LIMITS } from '../limited-attributes.js';

/** How many attributes `attributes` holds when it can be a record's own as it is (no empty key, at most the SDK's count limit); -1 otherwise. */
function countWithinLimits(attributes: Attributes): number {
  let count = 0;
  for (const key in attributes) {
    if (key === '' || ++count > DEFAULT_ATTRIBUTE_LIMITS.attributeCountLimit) return -1;
  }
  return count;
}

/** The records one pipeline's logger emits: its resource, scope and processors. */
export class DirectLogRecords {
  private closed = false;

  /**
   * @param resource the pipeline's resource.
   * @param processors the pipeline's log record processors, in the order the provider was given them.
   * @param scope the instrumentation scope of the logger's records.
   */
  constructor(
    readonly resource: Resource,
    private readonly processors: readonly LogRecordProcessor[],
    readonly scope: InstrumentationScope,
  ) {}

  /** Whether a processor takes a record at this severity in this context (the SDK logger's rule). */
  enabled(severityNumber: SeverityNumber, context: Context): boolean {
    if (this.closed) return false;
    for (const processor of this.processors) {
      if (processor.enabled === undefined) return true;
      if (processor.enabled({ context, instrumentationScope: this.scope, severityNumber })) return true;
    }
    return false;
  }

  /**
   * Emits one record. `attributes` becomes the record's own object and must hold valid values only;
   * `exception` adds the `exception.*` attributes the SDK derives from one; `timeMs` is the record's time in
   * epoch milliseconds when it is not now (its observed time stays the emission's).
   */
  emit(
    severityNumber: SeverityNumber,
    severityText: string,
    body: string,
    attributes: Attributes,
    context: Context,
    exception?: unknown,
    timeMs?: number,
  ): void {
    // Taken as they are when within the SDK's rules (the usual case: a line's few flattened keys); otherwise
    // added one by one under them (count limit, empty key), as the SDK's record would.
    const count = countWithinLimits(attributes);
    const ready = count >= 0;
    const record = new DirectLogRecord(
      this,
      severityNumber,
      severityText,
      body,
      ready ? attributes : {},
      ready ? count : 0,
      context,
      timeMs,
    );
    if (!ready) record.setAttributes(attributes);
    if (exception !== undefined && exception !== null) record.setException(exception);
    for (const processor of this.processors) processor.onEmit(record, context);
    record.freeze();
  }

  /** No record is emitted any more (the pipeline shut down). */
  close(): void {
    this.closed = true;
  }
}

/** A log record of the logger, writable during `onEmit` as the SDK's are. */
class DirectLogRecord implements ReadWriteLogRecord {
  hrTime: HrTime;
  hrTimeObserved: HrTime;
  spanContext: SpanContext | undefined;
  eventName: string | undefined = undefined;
  droppedAttributesCount = 0;
  /** Attributes held, for the count limit. */
  attributesCount: number;
  private frozen = false;

  constructor(
    private readonly owner: DirectLogRecords,
    public severityNumber: SeverityNumber | undefined,
    public severityText: string | undefined,
    public body: AnyValue | undefined,
    readonly attributes: Attributes,
    attributesCount: number,
    context: Context,
    timeMs: number | undefined,
  ) {
    // Observed when emitted; the record's own time may be earlier (a line about a request that has ended).
    this.hrTimeObserved = millisToHrTime(Date.now());
    this.hrTime = timeMs === undefined ? this.hrTimeObserved : millisToHrTime(timeMs);
    const spanContext = trace.getSpanContext(context);
    this.spanContext = spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
    this.attributesCount = attributesCount;
  }

  get resource(): Resource {
    return this.owner.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.owner.scope;
  }

  /** After `onEmit`: only reads are allowed. */
  freeze(): void {
    this.frozen = true;
  }

  setAttribute(key: string, value?: AnyValue): this {
    if (!this.isFrozen()) addLimitedAttribute(this, key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes)) this.setAttribute(key, value);
    return this;
  }

  setBody(body: AnyValue): this {
    if (!this.isFrozen()) this.body = body;
    return this;
  }

  setEventName(eventName: string): this {
    if (!this.isFrozen()) this.eventName = eventName;
    return this;
  }

  setSeverityNumber(severityNumber: SeverityNumber): this {
    if (!this.isFrozen()) this.severityNumber = severityNumber;
    return this;
  }

  setSeverityText(severityText: string): this {
    if (!this.isFrozen()) this.severityText = severityText;
    return this;
  }

  /** The `exception.type`/`message`/`stacktrace` attributes of an exception, as the SDK sets them. */
  setException(exception: unknown): void {
    const setIfAbsent = (key: string, value: string) => {
      if (!Object.hasOwn(this.attributes, key)) this.setAttribute(key, value);
    };
    if (typeof exception === 'string' || typeof exception === 'number') {
      setIfAbsent('exception.message', String(exception));
      return;
    }
    if (typeof exception !== 'object' || exception === null) return;
    const { code, name, message, stack } = exception as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      stack?: unknown;
    };
    if (code) setIfAbsent('exception.type', String(code));
    else if (name) setIfAbsent('exception.type', String(name));
    if (message) setIfAbsent('exception.message', String(message));
    if (stack) setIfAbsent('exception.stacktrace', String(stack));
  }

  private isFrozen(): boolean {
    if (this.frozen) diag.warn('Can not execute the operation on emitted log record');
    return this.frozen;
  }
}
