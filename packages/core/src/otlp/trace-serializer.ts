/**
 * `ExportTraceServiceRequest` encoding for the OTLP span exporters (gRPC and http/protobuf), in place of the
 * SDK's serializer. The bytes are those of the SDK's serializer for the same spans (a test compares them);
 * the differences are in the work: one pass instead of a size estimate then a write, the resource and the
 * scopes encoded once per object, repeated attributes copied from their kept bytes (attributes.ts), and
 * ids written by `Buffer`'s hex decoder.
 */
import type { Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { AttributeEncoder } from './attributes.js';
import { FIXED32, FIXED64, LENGTH_DELIMITED, ProtobufWriter, VARINT } from './protobuf-writer.js';

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** The `flags` of a span or link: the W3C trace flags and whether its parent (or it) is remote. */
function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote === true ? IS_REMOTE : 0);
}

/** The serializer interface the OTLP export delegates take. */
export interface OtlpSerializer<Request, Response> {
  serializeRequest(request: Request): Uint8Array | undefined;
  deserializeResponse(data: Uint8Array): Response;
}

/** Encodes resources and scopes once per object, shared by the trace and log serializers. */
export class SharedEncodings {
  readonly writer = new ProtobufWriter();
  readonly attributes = new AttributeEncoder(new ProtobufWriter());
  private readonly resources = new WeakMap<Resource, Uint8Array>();
  private readonly scopes = new WeakMap<InstrumentationScope, Uint8Array>();
  private readonly scratch = new ProtobufWriter();

  /** Writes `resource` as field `field` (tag included). */
  resource(writer: ProtobufWriter, resource: Resource, field: number): void {
    writer.tag(field, LENGTH_DELIMITED);
    let bytes = this.resources.get(resource);
    if (bytes === undefined) {
      const scratch = this.scratch;
      scratch.reset();
      const start = scratch.begin();
      if (resource.attributes) this.attributes.write(scratch, resource.attributes, 1);
      scratch.tag(2, VARINT);
      scratch.varint(0);
      scratch.end(start);
      bytes = scratch.finish();
      // Attributes still being detected may change: kept only once settled.
      if (resource.asyncAttributesPending !== true) this.resources.set(resource, bytes);
    }
    writer.raw(bytes);
  }

  /** Writes `scope` as field `field` (tag included). */
  scope(writer: ProtobufWriter, scope: InstrumentationScope, field: number): void {
    writer.tag(field, LENGTH_DELIMITED);
    let bytes = this.scopes.get(scope);
    if (bytes === undefined) {
      const scratch = this.scratch;
      scratch.reset();
      const start = scratch.begin();
      scratch.tag(1, LENGTH_DELIMITED);
      scratch.string(scope.name);
      if (scope.version) {
        scratch.tag(2, LENGTH_DELIMITED);
        scratch.string(scope.version);
      }
      const extra = scope as { attributes?: Record<string, unknown>; droppedAttributesCount?: number };
      if (extra.attributes) this.attributes.write(scratch, extra.attributes, 3);
      if (extra.droppedAttributesCount) {
        scratch.tag(4, VARINT);
        scratch.varint(extra.droppedAttributesCount);
      }
      scratch.end(start);
      bytes = scratch.finish();
      this.scopes.set(scope, bytes);
    }
    writer.raw(bytes);
  }
}

/** Groups items by resource, then by scope, by identity, in first-seen order (as the SDK's serializer does). */
function groupByResourceAndScope<T extends Grouped>(
  items: readonly T[],
): Map<Resource, Map<InstrumentationScope, T[]>> {
  const byResource = new Map<Resource, Map<InstrumentationScope, T[]>>();
  for (const item of items) {
    let byScope = byResource.get(item.resource);
    if (byScope === undefined) {
      byScope = new Map();
      byResource.set(item.resource, byScope);
    }
    let list = byScope.get(item.instrumentationScope);
    if (list === undefined) {
      list = [];
      byScope.set(item.instrumentationScope, list);
    }
    list.push(item);
  }
  return byResource;
}

/** What an export request groups: spans and log records. */
export interface Grouped {
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
}

/**
 * An export request: `repeated Resource{Spans,Logs} = 1`, each `{ resource = 1; repeated Scope{Spans,Logs} = 2;
 * schema_url = 3 }`, each of those `{ scope = 1; repeated item = 2; schema_url = 3 }` — the same layout for
 * both signals, `writeItem` writing one length-delimited span or log record.
 */
export function serializeGrouped<T extends Grouped>(
  shared: SharedEncodings,
  items: readonly T[],
  writeItem: (writer: ProtobufWriter, item: T) => void,
): Uint8Array {
  const writer = shared.writer;
  writer.reset();
  for (const [resource, byScope] of groupByResourceAndScope(items)) {
    writer.tag(1, LENGTH_DELIMITED);
    const resourceStart = writer.begin();
    shared.resource(writer, resource, 1);
    for (const [scope, list] of byScope) {
      writer.tag(2, LENGTH_DELIMITED);
      const scopeStart = writer.begin();
      shared.scope(writer, scope, 1);
      for (const item of list) {
        writer.tag(2, LENGTH_DELIMITED);
        writeItem(writer, item);
      }
      if (scope.schemaUrl) {
        writer.tag(3, LENGTH_DELIMITED);
        writer.string(scope.schemaUrl);
      }
      writer.end(scopeStart);
    }
    if (resource.schemaUrl) {
      writer.tag(3, LENGTH_DELIMITED);
      writer.string(resource.schemaUrl);
    }
    writer.end(resourceStart);
  }
  return writer.finish();
}

/** Encodes `ExportTraceServiceRequest`s. One per exporter: its writer and caches are reused between exports. */
export class TraceSerializer<Response> implements OtlpSerializer<ReadableSpan[], Response> {
  private readonly shared: SharedEncodings;

  /**
   * @param deserializeResponse the SDK's decoder of the collector's response (its serializer's).
   * @param shared encodings shared with another serializer, if any.
   */
  constructor(
    readonly deserializeResponse: (data: Uint8Array) => Response,
    shared: SharedEncodings = new SharedEncodings(),
  ) {
    this.shared = shared;
  }

  serializeRequest(spans: ReadableSpan[]): Uint8Array {
    return serializeGrouped(this.shared, spans, this.writeSpan);
  }

  /** Writes one span as a length-delimited message (its tag not included). */
  readonly writeSpan = (writer: ProtobufWriter, span: ReadableSpan): void => this.span(writer, span);

  private span(writer: ProtobufWriter, span: ReadableSpan): void {
    const start = writer.begin();
    const context = span.spanContext();
    writeIds(writer, context);
    const parent = span.parentSpanContext;
    if (parent?.spanId) {
      writer.tag(4, LENGTH_DELIMITED);
      writer.hex(parent.spanId);
    }
    writer.tag(5, LENGTH_DELIMITED);
    writer.string(span.name);
    const kind = span.kind == null ? 0 : span.kind + 1;
    if (kind !== 0) {
      writer.tag(6, VARINT);
      writer.varint(kind);
    }
    writer.tag(7, FIXED64);
    writer.hrTime(span.startTime);
    writer.tag(8, FIXED64);
    writer.hrTime(span.endTime);
    if (span.attributes) this.shared.attributes.write(writer, span.attributes, 9);
    writer.tag(10, VARINT);
    writer.varint(span.droppedAttributesCount);
    for (const event of span.events) {
      writer.tag(11, LENGTH_DELIMITED);
      this.event(writer, event);
    }
    writer.tag(12, VARINT);
    writer.varint(span.droppedEventsCount);
    for (const link of span.links) {
      writer.tag(13, LENGTH_DELIMITED);
      this.link(writer, link);
    }
    writer.tag(14, VARINT);
    writer.varint(span.droppedLinksCount);
    writer.tag(15, LENGTH_DELIMITED);
    status(writer, span.status);
    writer.tag(16, FIXED32);
    writer.fixed32(spanFlags(context.traceFlags, parent?.isRemote));
    writer.end(start);
  }

  private event(writer: ProtobufWriter, event: TimedEvent): void {
    const start = writer.begin();
    writer.tag(1, FIXED64);
    writer.hrTime(event.time);
    writer.tag(2, LENGTH_DELIMITED);
    writer.string(event.name);
    if (event.attributes) this.shared.attributes.write(writer, event.attributes, 3);
    writer.tag(4, VARINT);
    writer.varint(event.droppedAttributesCount || 0);
    writer.end(start);
  }

  private link(writer: ProtobufWriter, link: Link & { droppedAttributesCount?: number }): void {
    const start = writer.begin();
    const context = link.context;
    writeIds(writer, context);
    if (link.attributes) this.shared.attributes.write(writer, link.attributes, 4);
    writer.tag(5, VARINT);
    writer.varint(link.droppedAttributesCount || 0);
    writer.tag(6, FIXED32);
    writer.fixed32(spanFlags(context.traceFlags, context.isRemote));
    writer.end(start);
  }
}

/** Fields 1–3 of a Span and of a Link: trace id, span id and trace state. */
function writeIds(writer: ProtobufWriter, context: SpanContext): void {
  writer.tag(1, LENGTH_DELIMITED);
  writer.hex(context.traceId);
  writer.tag(2, LENGTH_DELIMITED);
  writer.hex(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    writer.tag(3, LENGTH_DELIMITED);
    writer.string(traceState);
  }
}

function status(writer: ProtobufWriter, value: SpanStatus): void {
  const start = writer.begin();
  if (value.message) {
    writer.tag(2, LENGTH_DELIMITED);
    writer.string(value.message);
  }
  writer.tag(3, VARINT);
  writer.varint(value.code);
  writer.end(start);
}
