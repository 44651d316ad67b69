/**
 * A growable protobuf writer for the OTLP encoders: one pass (a nested message reserves one byte for its
 * length and moves its body when the length needs more), strings and hex ids written by `Buffer`'s native
 * encoders, and ready-made byte runs copied in (the attribute cache, attributes.ts).
 */

const INITIAL_SIZE = 64 * 1024;

/** Strings shorter than this (their length fits one varint byte) try the ASCII copy first. */
const SHORT_STRING = 128;

/** The value of each lower-case hex digit by character code, -1 for any other character below 128. */
const HEX_DIGITS: Int8Array = (() => {
  const digits = new Int8Array(128).fill(-1);
  for (let d = 0; d < 16; d++) digits['0123456789abcdef'.charCodeAt(d)] = d;
  return digits;
})();

/** Wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

/** Bytes of the varint of a non-negative integer below 2^32. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** The protobuf writer. Reused across exports: {@link ProtobufWriter.reset} before each, {@link ProtobufWriter.finish} after. */
export class ProtobufWriter {
  buffer: Buffer;
  pos = 0;

  /** @param initialSize bytes allocated up front; the buffer doubles as needed. */
  constructor(initialSize: number = INITIAL_SIZE) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written (the exporter may keep it while the writer is reused). */
  finish(): Uint8Array {
    return new Uint8Array(this.buffer.subarray(0, this.pos));
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A varint of a safe integer; negative values as 64-bit two's complement (10 bytes), as int64 wants. */
  varint(value: number): void {
    this.ensure(10);
    const buffer = this.buffer;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 127) {
        buffer[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buffer[this.pos++] = v;
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 4294967296) >>> 0;
    } else {
      const abs = -value;
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 4294967296) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      buffer[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buffer[this.pos++] = low & 127;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  /**
   * An `[seconds, nanoseconds]` time as fixed64 nanoseconds, in exact integer arithmetic: the product does
   * not fit a double, so seconds are split in 16-bit halves whose products do.
   */
  hrTime(time: readonly number[]): void {
    this.ensure(8);
    const seconds = time[0] as number;
    const secondsLow = seconds % 65536;
    const secondsHigh = (seconds - secondsLow) / 65536;
    const a = secondsLow * 1e9 + (time[1] as number);
    const b = secondsHigh * 1e9;
    const bLow = b % 65536;
    const x = a + bLow * 65536;
    const lowPart = x % 4294967296;
    const low = lowPart >>> 0;
    const high = ((b - bLow) / 65536 + (x - lowPart) / 4294967296) >>> 0;
    // Stored byte by byte: `writeUInt32LE` checks its arguments again on every call.
    const buffer = this.buffer;
    const at = this.pos;
    buffer[at] = low;
    buffer[at + 1] = low >>> 8;
    buffer[at + 2] = low >>> 16;
    buffer[at + 3] = low >>> 24;
    buffer[at + 4] = high;
    buffer[at + 5] = high >>> 8;
    buffer[at + 6] = high >>> 16;
    buffer[at + 7] = high >>> 24;
    this.pos = at + 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /**
   * A length-delimited UTF-8 string. Short ASCII strings (names, methods, routes, messages) are copied by
   * character code: two native calls (`byteLength`, `write`) cost more than the loop at these lengths.
   */
  string(value: string): void {
    const count = value.length;
    if (count < SHORT_STRING) {
      this.ensure(count + 1);
      const buffer = this.buffer;
      const start = this.pos + 1;
      let i = 0;
      while (i < count) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[start + i++] = code;
      }
      if (i === count) {
        buffer[this.pos] = count;
        this.pos = start + count;
        return;
      }
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(length + 5);
    this.varint(length);
    this.pos += this.buffer.write(value, this.pos, length, 'utf8');
  }

  /** Length-delimited bytes. */
  bytes(value: Uint8Array): void {
    this.ensure(value.length + 5);
    this.varint(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** Length-delimited bytes from lower-case hex (trace and span ids), decoded here rather than by `Buffer`'s native call. */
  hex(value: string): void {
    const length = value.length >>> 1;
    this.ensure(length + 5);
    this.varint(length);
    const buffer = this.buffer;
    const at = this.pos;
    let i = 0;
    for (; i < length; i++) {
      const high = HEX_DIGITS[value.charCodeAt(2 * i)] ?? -1;
      const low = HEX_DIGITS[value.charCodeAt(2 * i + 1)] ?? -1;
      if ((high | low) < 0) break;
      buffer[at + i] = (high << 4) | low;
    }
    if (i === length) {
      this.pos += length;
      return;
    }
    // Invalid hex stops Buffer's decoder early: the declared length is kept, the rest zero-filled.
    const written = this.buffer.write(value, this.pos, length, 'hex');
    if (written < length) this.buffer.fill(0, this.pos + written, this.pos + length);
    this.pos += length;
  }

  /** Bytes copied as they are (an already encoded run). */
  raw(value: Uint8Array): void {
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** Starts a nested message: reserves its length byte. Pass the result to {@link ProtobufWriter.end}. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends a nested message begun at `start`: writes its length, moving the body when it needs more bytes. */
  end(start: number): void {
    const length = this.pos - start - 1;
    if (length < 128) {
      this.buffer[start] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size - 1);
    this.buffer.copyWithin(start + size, start + 1, this.pos);
    this.pos += size - 1;
    let v = length;
    let at = start;
    while (v > 127) {
      this.buffer[at++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buffer[at] = v;
  }
}
