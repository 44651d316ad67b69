/**
 * The trace ids on every winston logger (addTraceIdsToWinston): loggers and child loggers made before and
 * after, the span read when the app logs (not when a busy stream formats), the app's format and fields
 * kept, objects logged twice, hostile entries, and the undo.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as Winston from 'winston';
import { addTraceIdsToWinston, stampWinstonEntry } from '../src/logging/winston-trace-ids.js';
import { traceIdsHarness } from './fixtures/trace-ids-harness.js';

const winston = createRequire(import.meta.url)('winston') as typeof Winston;
// winston exports its transport base class as `Transport`; its typings name the same class `transport`.
const Transport = (winston as unknown as { Transport: new () => Winston.Logger['transports'][number] }).Transport;

const harness = traceIdsHarness('winston-trace-ids.test');

function enable(): void {
  harness.keepUndo(addTraceIdsToWinston(winston));
}

/** A transport keeping each formatted line (the `MESSAGE` the format produced). */
class Lines extends Transport {
  readonly lines: string[] = [];
  override log(info: Record<symbol, unknown>, next: () => void): void {
    this.lines.push(info[Symbol.for('message')] as string);
    next();
  }
}

function jsonLogger(options: Winston.LoggerOptions = {}): { logger: Winston.Logger; lines: Lines } {
  const lines = new Lines();
  return { logger: winston.createLogger({ format: winston.format.json(), transports: [lines], ...options }), lines };
}

const parsed = (lines: Lines): Record<string, unknown>[] =>
  lines.lines.map((line) => JSON.parse(line) as Record<string, unknown>);

function inSpan(fn: () => void): { trace_id: string; span_id: string } {
  return harness.inSpan('winston.test', fn).ids;
}

describe('addTraceIdsToWinston', () => {
  it('stamps loggers and children made before and after, in every call shape, inside a span only', () => {
    const before = jsonLogger();
    const childBefore = before.logger.child({ requestId: 'r1' });
    enable();
    const after = jsonLogger({ defaultMeta: { service: 'shop' } });
    before.logger.info('outside');
    const ids = inSpan(() => {
      before.logger.info('inside', { n: 1 });
      before.logger.log('warn', 'through log()', { n: 2 });
      before.logger.log({ level: 'info', message: 'an info object' });
      childBefore.info('child made before');
      before.logger.child({ requestId: 'r2' }).error('child made after');
      after.logger.info('logger made after');
      winston.loggers.add('named', { format: winston.format.json(), transports: [after.lines] }).info('container');
    });
    before.logger.info('outside again');
    expect(parsed(before.lines)).toEqual([
      { level: 'info', message: 'outside' },
      { level: 'info', message: 'inside', n: 1, ...ids },
      { level: 'warn', message: 'through log()', n: 2, ...ids },
      { level: 'info', message: 'an info object', ...ids },
      { level: 'info', message: 'child made before', requestId: 'r1', ...ids },
      { level: 'error', message: 'child made after', requestId: 'r2', ...ids },
      { level: 'info', message: 'outside again' },
    ]);
    expect(parsed(after.lines)).toEqual([
      { level: 'info', message: 'logger made after', service: 'shop', ...ids },
      { level: 'info', message: 'container', ...ids },
    ]);
    winston.loggers.close('named');
  });

  it('reads the span when the app logs, even when the stream formats the entry later', () => {
    const { logger, lines } = jsonLogger();
    enable();
    logger.cork();
    const ids = inSpan(() => logger.info('corked'));
    expect(lines.lines).toEqual([]);
    logger.uncork();
    expect(parsed(lines)).toEqual([{ level: 'info', message: 'corked', ...ids }]);
  });

  it("keeps the app's format: a printf line is unchanged, the ids are fields it may use", () => {
    const lines = new Lines();
    const logger = winston.createLogger({
      format: winston.format.combine(
        winston.format.timestamp({ format: () => 'T' }),
        winston.format.printf((info) => `${info.timestamp} ${info.level}: ${info.message} [${info.trace_id ?? '-'}]`),
      ),
      transports: [lines],
    });
    enable();
    const ids = inSpan(() => logger.info('hello'));
    logger.info('bye');
    expect(lines.lines).toEqual([`T info: hello [${ids.trace_id}]`, 'T info: bye [-]']);
  });

  it('lets ids the app set win, and refreshes the ids of an object logged again', () => {
    const { logger, lines } = jsonLogger({ defaultMeta: { trace_id: 'from-meta' } });
    const plain = jsonLogger();
    enable();
    const entry = { message: 'reused', tag: 1 };
    const first = inSpan(() => {
      logger.info('meta wins');
      plain.logger.info('call wins', { span_id: 'mine' });
      plain.logger.info(entry);
    });
    const second = inSpan(() => plain.logger.info(entry));
    plain.logger.info(entry);
    expect(parsed(lines)).toEqual([{ level: 'info', message: 'meta wins', trace_id: 'from-meta' }]);
    expect(parsed(plain.lines)).toEqual([
      { level: 'info', message: 'call wins', span_id: 'mine' },
      { level: 'info', message: 'reused', tag: 1, ...first },
      { level: 'info', message: 'reused', tag: 1, ...second },
      { level: 'info', message: 'reused', tag: 1 },
    ]);
  });

  it('stamps an Error logged as the entry, and the errors format still sees an Error', () => {
    const lines = new Lines();
    const logger = winston.createLogger({
      format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.json()),
      transports: [lines],
    });
    enable();
    const ids = inSpan(() => logger.error(new Error('boom')));
    const [line] = parsed(lines);
    expect(line).toMatchObject({ level: 'error', message: 'boom', ...ids });
    expect(line?.stack).toMatch(/^Error: boom\n/);
  });

  it('never breaks an entry it cannot change, and ignores what is not winston 3', () => {
    const { logger, lines } = jsonLogger();
    enable();
    const readOnly = { message: 'read-only ids' };
    Object.defineProperty(readOnly, 'trace_id', {
      get: () => undefined,
      set: () => {
        throw new Error('hostile setter');
      },
      enumerable: true,
    });
    const proxied = new Proxy(
      { message: 'proxied' },
      {
        get(target, key, receiver) {
          if (key === 'trace_id' || key === 'span_id') throw new Error('hostile getter');
          return Reflect.get(target, key, receiver);
        },
      },
    );
    expect(() =>
      inSpan(() => {
        logger.info(readOnly);
        logger.info(proxied);
      }),
    ).not.toThrow();
    expect(parsed(lines).slice(0, 2)).toEqual([
      { level: 'info', message: 'read-only ids' },
      { level: 'info', message: 'proxied' },
    ]);
    for (const odd of [42, 'text', null, undefined, Symbol('s')]) expect(() => stampWinstonEntry(odd)).not.toThrow();
    expect(addTraceIdsToWinston({})).toBeUndefined();
    expect(addTraceIdsToWinston({ Logger: class {} })).toBeUndefined();
    expect(addTraceIdsToWinston(null)).toBeUndefined();
  });

  it('is idempotent, and the undo gives the prototype its write back', () => {
    const inherited = winston.Logger.prototype.write;
    enable();
    const again = addTraceIdsToWinston(winston);
    again?.();
    expect(winston.Logger.prototype.write).not.toBe(inherited);
    harness.undoNow();
    expect(winston.Logger.prototype.write).toBe(inherited);
    expect(Object.hasOwn(winston.Logger.prototype, 'write')).toBe(false);
    const { logger, lines } = jsonLogger();
    inSpan(() => logger.info('after the undo'));
    expect(parsed(lines)).toEqual([{ level: 'info', message: 'after the undo' }]);
  });
});
