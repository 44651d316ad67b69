/**
 * OTLP `KeyValue`/`AnyValue` encoding, with the encoded bytes of repeated attributes kept.
 *
 * A service's spans and log records repeat most of their attributes verbatim — method, scheme, host, port,
 * protocol, route, status, user agent, logger name. Each (key, primitive value) pair is encoded once into its
 * length-prefixed `KeyValue` and copied from then on. A key that takes many distinct values (a path, a
 * duration) stops being cached for values it has not seen, and the cache as a whole is bounded.
 */
import { FIXED64, LENGTH_DELIMITED, type ProtobufWriter, VARINT } from './protobuf-writer.js';

/** Distinct values kept per key before its new values are encoded each time. */
const MAX_VALUES_PER_KEY = 64;
/** Keys kept. */
const MAX_KEYS = 512;
/** Longest string value kept. */
const MAX_CACHED_STRING = 256;

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** Writes `value` as an AnyValue message body (no length). */
export function writeAnyValue(writer: ProtobufWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      writer.tag(1, LENGTH_DELIMITED);
      writer.string(value);
      return;
    case 'boolean':
      writer.tag(2, VARINT);
      writer.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        writer.tag(3, VARINT);
        writer.varint(value);
      } else {
        writer.tag(4, FIXED64);
        writer.double(value);
      }
      return;
    case 'object':
      break;
    default:
      return;
  }
  if (value === null) return;
  if (value instanceof Uint8Array) {
    writer.tag(7, LENGTH_DELIMITED);
    writer.bytes(value);
    return;
  }
  if (Array.isArray(value)) {
    writer.tag(5, LENGTH_DELIMITED);
    const array = writer.begin();
    for (const item of value) {
      writer.tag(1, LENGTH_DELIMITED);
      const itemStart = writer.begin();
      writeAnyValue(writer, item);
      writer.end(itemStart);
    }
    writer.end(array);
    return;
  }
  writer.tag(6, LENGTH_DELIMITED);
  const list = writer.begin();
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    writer.tag(1, LENGTH_DELIMITED);
    writeKeyValueBody(writer, key, record[key]);
  }
  writer.end(list);
}

/** Writes a length-prefixed KeyValue message. */
function writeKeyValueBody(writer: ProtobufWriter, key: string, value: unknown): void {
  const kv = writer.begin();
  writer.tag(1, LENGTH_DELIMITED);
  writer.string(key);
  writer.tag(2, LENGTH_DELIMITED);
  const any = writer.begin();
  writeAnyValue(writer, value);
  writer.end(any);
  writer.end(kv);
}

interface KeyEntry {
  readonly values: Map<unknown, Uint8Array>;
}

/** Encodes attribute maps, keeping the bytes of repeated (key, value) pairs. */
export class AttributeEncoder {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly scratch: ProtobufWriter;

  /** @param scratch a writer used to encode a pair once, before its bytes are kept. */
  constructor(scratch: ProtobufWriter) {
    this.scratch = scratch;
  }

  /** Writes each own attribute of `attributes` as a repeated KeyValue field `field`. */
  write(writer: ProtobufWriter, attributes: Readonly<Record<string, unknown>>, field: number): void {
    const tag = (field << 3) | LENGTH_DELIMITED;
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      const value = attributes[key];
      writer.varint(tag);
      const cached = this.cached(key, value);
      if (cached !== undefined) writer.raw(cached);
      else writeKeyValueBody(writer, key, value);
    }
  }

  /** The kept bytes of (key, value), made now if it may be kept; undefined when it is encoded each time. */
  private cached(key: string, value: unknown): Uint8Array | undefined {
    const type = typeof value;
    if (type !== 'string' && type !== 'boolean' && (type !== 'number' || !Number.isInteger(value))) {
      // Objects, and fractional numbers (durations, ratios): nearly every value is new, not worth a lookup.
      return undefined;
    }
    if (type === 'string' && (value as string).length > MAX_CACHED_STRING) return undefined;
    let entry = this.keys.get(key);
    if (entry === undefined) {
      if (this.keys.size >= MAX_KEYS) return undefined;
      entry = { values: new Map() };
      this.keys.set(key, entry);
    }
    let bytes = entry.values.get(value);
    if (bytes === undefined) {
      if (entry.values.size >= MAX_VALUES_PER_KEY) return undefined;
      const scratch = this.scratch;
      scratch.reset();
      writeKeyValueBody(scratch, key, value);
      bytes = scratch.finish();
      entry.values.set(value, bytes);
    }
    return bytes;
  }
}
