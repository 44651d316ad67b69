/**
 * The next export request, encoded as its items come: each ended span (or emitted log record) is written at
 * once into the bytes of its resource and scope's group, and {@link BatchEncoder.take} wraps the groups into
 * one `Export{Trace,Logs}ServiceRequest`. What waits for an export is then bytes outside the JavaScript heap,
 * not the span objects with their attribute maps and strings: those die young, so the scavenger has nothing
 * of the request path to copy or promote, and V8's young generation does not grow to its maximum under load.
 *
 * The request's bytes are those of the serializers (trace-serializer.ts, logs-serializer.ts) for the same
 * items: groups in first-seen order of resource, then scope, items in the order they came.
 */
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { LENGTH_DELIMITED, ProtobufWriter } from './protobuf-writer.js';
import type { Grouped, SharedEncodings } from './trace-serializer.js';

/** One export request, encoded: its bytes and the number of items (spans, log records) it carries. */
export interface EncodedBatch {
  readonly bytes: Uint8Array;
  readonly count: number;
}

/** A group's first allocation; it doubles as items come (a full batch of request spans is ~200 KB). */
const GROUP_INITIAL_SIZE = 16 * 1024;

/** The items of one resource and scope, encoded back to back as `repeated item = 2` fields. */
interface Group {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly writer: ProtobufWriter;
}

/** Encodes items into the next request as they come. */
export class BatchEncoder<T extends Grouped> {
  private groups: Group[] = [];
  private last: Group | undefined;
  /** Items encoded since the last {@link BatchEncoder.take}. */
  count = 0;
  /** Bytes of those items. */
  size = 0;

  /**
   * @param shared the resource, scope and attribute encodings (and the writer the requests are built in).
   * @param writeItem writes one item as a length-delimited message, its tag not included.
   */
  constructor(
    private readonly shared: SharedEncodings,
    private readonly writeItem: (writer: ProtobufWriter, item: T) => void,
  ) {}

  /** Encodes `item` into its group. An item that fails to encode leaves no bytes behind, and throws. */
  add(item: T): void {
    const group = this.groupOf(item.resource, item.instrumentationScope);
    const writer = group.writer;
    const before = writer.pos;
    try {
      writer.tag(2, LENGTH_DELIMITED);
      this.writeItem(writer, item);
    } catch (error) {
      writer.pos = before;
      throw error;
    }
    this.count++;
    this.size += writer.pos - before;
  }

  /** The request of every item encoded so far (undefined if none), and a fresh start. */
  take(): EncodedBatch | undefined {
    if (this.count === 0) return undefined;
    const groups = this.groups;
    const out = this.shared.writer;
    out.reset();
    const done = new Set<Resource>();
    for (const first of groups) {
      const resource = first.resource;
      if (done.has(resource)) continue;
      done.add(resource);
      out.tag(1, LENGTH_DELIMITED);
      const resourceStart = out.begin();
      this.shared.resource(out, resource, 1);
      for (const group of groups) {
        if (group.resource !== resource) continue;
        out.tag(2, LENGTH_DELIMITED);
        const scopeStart = out.begin();
        this.shared.scope(out, group.scope, 1);
        out.raw(group.writer.buffer.subarray(0, group.writer.pos));
        if (group.scope.schemaUrl) {
          out.tag(3, LENGTH_DELIMITED);
          out.string(group.scope.schemaUrl);
        }
        out.end(scopeStart);
      }
      if (resource.schemaUrl) {
        out.tag(3, LENGTH_DELIMITED);
        out.string(resource.schemaUrl);
      }
      out.end(resourceStart);
    }
    const batch: EncodedBatch = { bytes: out.finish(), count: this.count };
    // Groups are made again for the next request: a scope seen once does not keep its buffer.
    this.groups = [];
    this.last = undefined;
    this.count = 0;
    this.size = 0;
    return batch;
  }

  private groupOf(resource: Resource, scope: InstrumentationScope): Group {
    const last = this.last;
    if (last !== undefined && last.scope === scope && last.resource === resource) return last;
    let group = this.groups.find((g) => g.scope === scope && g.resource === resource);
    if (group === undefined) {
      group = { resource, scope, writer: new ProtobufWriter(GROUP_INITIAL_SIZE) };
      this.groups.push(group);
    }
    this.last = group;
    return group;
  }
}
