import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../src/otlp/protobuf-writer.js';

/** A length-delimited field body as protobuf defines it: the varint of the byte length, then the bytes. */
function lengthDelimited(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let length = bytes.length;
  while (length > 127) {
    out.push((length & 127) | 128);
    length >>>= 7;
  }
  out.push(length, ...bytes);
  return out;
}

function written(write: (writer: ProtobufWriter) => void): number[] {
  // A small first buffer, so the writes also cross a growth.
  const writer = new ProtobufWriter(8);
  write(writer);
  return [...writer.finish()];
}

describe('ProtobufWriter', () => {
  it.each([
    ['empty', ''],
    ['short ASCII', 'GET /users/:id'],
    ['127 ASCII characters (the longest copied by code)', 'a'.repeat(127)],
    ['128 ASCII characters', 'b'.repeat(128)],
    ['300 ASCII characters (a two-byte length)', 'c'.repeat(300)],
    ['non-ASCII first', 'été'],
    ['non-ASCII last', 'caf\u00e9'],
    ['a four-byte character in a short string', 'ok \u{1f680} go'],
    ['a lone surrogate', 'x\ud800y'],
    ['a control character and DEL', 'tab\there\u007f'],
    ['non-ASCII past 127 characters', `${'d'.repeat(130)}\u00fc`],
  ])('writes a string as its UTF-8 bytes with their length: %s', (_what, value) => {
    expect(written((w) => w.string(value))).toEqual(lengthDelimited(Buffer.from(value, 'utf8')));
  });

  it('writes strings one after another at the right offsets', () => {
    const values = ['a', 'béta', 'gamma'.repeat(30), '', 'z'];
    const expected = values.flatMap((v) => lengthDelimited(Buffer.from(v, 'utf8')));
    expect(
      written((w) => {
        for (const v of values) w.string(v);
      }),
    ).toEqual(expected);
  });

  it.each([
    ['a trace id', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['a span id', '00f067aa0ba902b7'],
  ])('writes %s as its bytes', (_what, hex) => {
    expect(written((w) => w.hex(hex))).toEqual(lengthDelimited(Buffer.from(hex, 'hex')));
  });

  it('decodes upper-case hex as Buffer does', () => {
    expect(written((w) => w.hex('00F067AA0BA902B7'))).toEqual(lengthDelimited(Buffer.from('00f067aa0ba902b7', 'hex')));
  });

  it('keeps the declared length of invalid hex, zero-filling from the first bad digit', () => {
    expect(written((w) => w.hex('00f0zzaa0ba902b7'))).toEqual([8, 0x00, 0xf0, 0, 0, 0, 0, 0, 0]);
    expect(written((w) => w.hex('\u00e9\u00e9ff'))).toEqual([2, 0, 0]);
  });
});
