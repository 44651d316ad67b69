import { describe, expect, it } from 'vitest';
import { createLogger, LOG_LIMITS, type TelemetryLogger } from '../src/index.js';
import { type Capture, capture, duplicateKeys, testConfig } from './fixtures/logger-capture.js';

/** Logs `data` once and checks the one thing every hostile case must give: one valid JSON line, message kept. */
function logOnce(data: unknown, message = 'hostile data'): { line: Record<string, unknown>; raw: string } {
  const out = capture();
  const log = createLogger(testConfig(), { destination: out.destination }).getLogger('hostile');
  expect(() => log.info(message, data)).not.toThrow();
  return oneLine(out, message);
}

function oneLine(out: Capture, message: string): { line: Record<string, unknown>; raw: string } {
  expect(out.writes).toHaveLength(1);
  const raw = out.writes[0] as string;
  expect(raw.indexOf('\n')).toBe(raw.length - 1);
  expect(duplicateKeys(raw)).toEqual([]);
  const line = JSON.parse(raw) as Record<string, unknown>;
  expect(line.message).toBe(message);
  return { line, raw };
}

const MARK = `…[truncated `;

describe('hostile data: one valid JSON line, message kept', () => {
  it('circular objects and arrays', () => {
    const node: Record<string, unknown> = { name: 'a' };
    node.self = node;
    const list: unknown[] = [1];
    list.push(list);
    const { line } = logOnce({ node, list, sibling: node });
    expect(line.data).toEqual({
      node: { name: 'a', self: '[Circular]' },
      list: [1, '[Circular]'],
      sibling: { name: 'a', self: '[Circular]' },
    });
  });

  it('an object pointing back to the data object itself', () => {
    const data: Record<string, unknown> = { rows: 1 };
    data.parent = { data };
    expect(logOnce(data).line.data).toEqual({ rows: 1, parent: { data: '[Circular]' } });
  });

  it('BigInt, NaN, Infinity, -0, symbols and functions', () => {
    const { line } = logOnce({
      big: 12345678901234567890n,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      negZero: -0,
      sym: Symbol('token'),
      fn: function handler() {},
      arrow: () => 1,
      [Symbol('hidden')]: 'symbol keys are not written',
    });
    expect(line.data).toEqual({
      big: '12345678901234567890',
      nan: 'NaN',
      inf: 'Infinity',
      negZero: 0,
      sym: 'Symbol(token)',
      fn: '[Function: handler]',
      arrow: '[Function: arrow]',
    });
  });

  it('errors with causes inside data, including a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const { line } = logOnce({ failure: new Error('top', { cause: 'a string cause' }), loop: a });
    const data = line.data as Record<string, Record<string, unknown>>;
    expect(data.failure).toMatchObject({ type: 'Error', message: 'top', cause: 'a string cause' });
    let depth = 0;
    let cursor: unknown = data.loop;
    while (typeof cursor === 'object' && cursor !== null && 'cause' in cursor) {
      cursor = (cursor as { cause: unknown }).cause;
      depth++;
    }
    expect(depth).toBe(LOG_LIMITS.maxCauseDepth + 1);
    expect(cursor).toBe('[cause chain truncated]');
  });

  it('the line error itself with a cause cycle and hostile getters', () => {
    const out = capture();
    const log = createLogger(testConfig(), { destination: out.destination });
    const cyclic = new Error('cyclic');
    (cyclic as { cause?: unknown }).cause = cyclic;
    const unreadable = new Error('x');
    Object.defineProperty(unreadable, 'message', {
      get() {
        throw new Error('no message for you');
      },
    });
    log.error('first', cyclic);
    log.error('second', unreadable);
    expect(out.writes).toHaveLength(2);
    const [first, second] = out.writes.map((w) => JSON.parse(w) as Record<string, Record<string, unknown>>);
    expect(first?.message).toBe('first');
    expect(first?.error?.type).toBe('Error');
    expect(second?.message).toBe('second');
    expect(second?.error?.message).toContain('no message for you');
  });

  it('Buffers, typed arrays, ArrayBuffers, Maps, Sets, Dates, RegExps, promises and class instances', () => {
    class Empty {}
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const { line } = logOnce({
      buffer: Buffer.alloc(2048),
      bytes: new Uint16Array(4),
      arrayBuffer: new ArrayBuffer(16),
      map: new Map<string, unknown>([
        ['a', 1],
        ['b', { c: 2 }],
      ]),
      objectKeyedMap: new Map<unknown, unknown>([
        [{ id: 1 }, 'x'],
        [2, 'y'],
      ]),
      set: new Set(['a', 'b']),
      date: new Date('2026-08-15T10:23:45.123Z'),
      invalidDate: new Date(Number.NaN),
      pattern: /ab+c/gi,
      pending: Promise.resolve(1),
      empty: new Empty(),
      point: new Point(1, 2),
      nullProto: Object.assign(Object.create(null) as object, { k: 'v' }),
    });
    expect(line.data).toEqual({
      buffer: '[Buffer: 2048 bytes]',
      bytes: '[Uint16Array: 8 bytes]',
      arrayBuffer: '[ArrayBuffer: 16 bytes]',
      map: { a: 1, b: { c: 2 } },
      objectKeyedMap: [
        [{ id: 1 }, 'x'],
        [2, 'y'],
      ],
      set: ['a', 'b'],
      date: '2026-08-15T10:23:45.123Z',
      invalidDate: 'Invalid Date',
      pattern: '/ab+c/gi',
      pending: '[Promise]',
      empty: '[Empty]',
      point: { x: 1, y: 2 },
      nullProto: { k: 'v' },
    });
  });

  it('a Buffer or a Map as the whole data', () => {
    expect(logOnce(Buffer.from('secret bytes')).line.data).toBe('[Buffer: 12 bytes]');
    expect(logOnce(new Map([['k', 'v']])).line.data).toEqual({ k: 'v' });
  });

  it('getters, toJSON and proxies that throw', () => {
    const hostile = {
      fine: 1,
      get broken(): never {
        throw new Error('getter exploded');
      },
      nested: {
        toJSON() {
          throw new Error('toJSON exploded');
        },
      },
      proxy: new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('ownKeys exploded');
          },
        },
      ),
    };
    const { line } = logOnce(hostile);
    expect(line.data).toEqual({
      fine: 1,
      broken: '[Throws: getter exploded]',
      nested: '[Unserializable: toJSON exploded]',
      proxy: '[Unserializable: ownKeys exploded]',
    });
  });

  it('a toJSON that keeps returning fresh objects ends at the depth limit', () => {
    const endless = (): unknown => ({ toJSON: endless });
    const { raw } = logOnce({ endless: endless() });
    expect(raw).toContain('[Object]');
  });

  it('strings with newlines, control characters, U+2028 and lone surrogates', () => {
    const text = 'line1\nline2\r\n\ttab \u0000 nul \u001b[31m red \u2028 sep \ud800 lone "quoted" \\ back';
    const { line, raw } = logOnce({ text }, 'multi\nline\u0007message');
    expect((line.data as { text: string }).text).toBe(text);
    const controls = [...raw.slice(0, -1)].filter((c) => (c.codePointAt(0) ?? 0) < 0x20);
    expect(controls).toEqual([]);
  });

  it('a 1 MB string is cut to the documented limit and marked', () => {
    const huge = 'x'.repeat(1024 * 1024);
    const { line, raw } = logOnce({ huge });
    const written = (line.data as { huge: string }).huge;
    expect(written.startsWith('x'.repeat(LOG_LIMITS.maxStringLength))).toBe(true);
    expect(written.endsWith(`${MARK}1048576 chars]`)).toBe(true);
    expect(written.length).toBeLessThan(LOG_LIMITS.maxStringLength + 40);
    expect(raw.length).toBeLessThan(LOG_LIMITS.maxStringLength + 1000);
  });

  it('a 1 MB message is cut and marked, never dropped', () => {
    const out = capture();
    createLogger(testConfig(), { destination: out.destination }).warn(`start ${'m'.repeat(1024 * 1024)}`);
    const line = JSON.parse(out.writes[0] as string) as { message: string };
    expect(line.message.startsWith('start mmm')).toBe(true);
    expect(line.message.endsWith(`${MARK}1048582 chars]`)).toBe(true);
  });

  it('a cut never splits a surrogate pair', () => {
    const emoji = '😀';
    const text = `${'a'.repeat(LOG_LIMITS.maxStringLength - 1)}${emoji.repeat(10)}`;
    const written = (logOnce({ text }).line.data as { text: string }).text;
    expect(written.slice(0, written.indexOf('…'))).toBe('a'.repeat(LOG_LIMITS.maxStringLength - 1));
  });

  it('very deep objects stop at the depth limit without exhausting the stack', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    const { line } = logOnce({ deep });
    let cursor: unknown = (line.data as { deep: unknown }).deep;
    let levels = 0;
    while (typeof cursor === 'object' && cursor !== null) {
      cursor = (cursor as { next: unknown }).next;
      levels++;
    }
    expect(cursor).toBe('[Object]');
    expect(levels).toBe(LOG_LIMITS.maxDepth);
  });

  it('wide objects and long arrays are bounded and say how much was left out', () => {
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    const long = Array.from({ length: 100_000 }, (_, i) => i);
    const { line } = logOnce({ wide, long, set: new Set(long) });
    const data = line.data as { wide: Record<string, unknown>; long: unknown[]; set: unknown[] };
    expect(Object.keys(data.wide)).toHaveLength(LOG_LIMITS.maxEntries + 1);
    expect(data.wide['…']).toBe(`[${10_000 - LOG_LIMITS.maxEntries} more keys]`);
    expect(data.long).toHaveLength(LOG_LIMITS.maxEntries + 1);
    expect(data.long.at(-1)).toBe(`[${100_000 - LOG_LIMITS.maxEntries} more items]`);
    expect(data.set.at(-1)).toBe(`[${100_000 - LOG_LIMITS.maxEntries} more items]`);
  });

  it('the whole payload is bounded: values past the budget are elided', () => {
    const chunks = Array.from({ length: 100 }, () => 'y'.repeat(LOG_LIMITS.maxStringLength));
    const { line, raw } = logOnce({ chunks });
    expect((line.data as { chunks: unknown[] }).chunks).toContain('[…]');
    expect(raw.length).toBeLessThan(LOG_LIMITS.maxPayloadLength + 2 * LOG_LIMITS.maxStringLength);
  });

  it('hostile child bindings land in context the same way', () => {
    const out = capture();
    const session: Record<string, unknown> = { id: 's' };
    session.self = session;
    const log = createLogger(testConfig(), { destination: out.destination }).child({
      session,
      big: 1n,
      get trap(): never {
        throw new Error('binding getter');
      },
    });
    log.info('with context');
    const { line } = oneLine(out, 'with context');
    expect(line.context).toEqual({
      session: { id: 's', self: '[Circular]' },
      big: '1',
      trap: '[Throws: binding getter]',
    });
  });

  it('non-string messages are written as text', () => {
    const out = capture();
    const log = createLogger(testConfig(), { destination: out.destination }) as TelemetryLogger &
      Record<'info', (...args: unknown[]) => void>;
    log.info(42);
    log.info(true);
    log.info(null);
    log.info(undefined, 'after undefined');
    expect(out.writes.map((w) => (JSON.parse(w) as { message: string }).message)).toEqual([
      '42',
      'true',
      '',
      'after undefined',
    ]);
  });

  it('a getter that logs while its line is written gives two whole lines', () => {
    const out = capture();
    const log = createLogger(testConfig(), { destination: out.destination });
    const data = {
      outer: 1,
      get chatty() {
        log.info('from inside a getter', { inner: { deep: [1, 2] } });
        return 'value';
      },
      after: { x: 1 },
    };
    log.info('outer line', data);
    expect(out.writes).toHaveLength(2);
    const [inner, outer] = out.writes.map((w) => JSON.parse(w) as Record<string, unknown>);
    expect(inner).toMatchObject({ message: 'from inside a getter', data: { inner: { deep: [1, 2] } } });
    expect(outer).toMatchObject({ message: 'outer line', data: { outer: 1, chatty: 'value', after: { x: 1 } } });
  });
});
