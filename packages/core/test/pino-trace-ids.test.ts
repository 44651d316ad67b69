/**
 * The trace ids on every pino logger of one copy of pino (addTraceIdsToPinoPackage): loggers and children
 * made before and after, the app's configuration untouched, the app's fields winning, the core's own logger
 * left to write its ids itself, and the undo.
 */
import { createRequire } from 'node:module';
import type { Span } from '@opentelemetry/api';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';
import {
  addTraceIdsToPinoLogger,
  addTraceIdsToPinoPackage,
  setPinoCorrelation,
} from '../src/logging/pino-trace-ids.js';
import { capture, testConfig } from './fixtures/logger-capture.js';
import { traceIdsHarness } from './fixtures/trace-ids-harness.js';

const requireHere = createRequire(import.meta.url);
const PINO = {
  exports: requireHere('pino') as unknown,
  requireFile: (relativePath: string) => requireHere(`pino/${relativePath}`) as unknown,
};

const harness = traceIdsHarness('pino-trace-ids.test', () => setPinoCorrelation(false));
const { tracer } = harness;

function enable(): void {
  harness.keepUndo(addTraceIdsToPinoPackage(PINO));
  setPinoCorrelation(true);
}

/** A pino logger writing into an array, without time (lines compare exactly). */
function appLogger(options: pino.LoggerOptions = {}): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const logger = pino({ timestamp: false, ...options }, { write: (line: string) => written.push(line) });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function inSpan<T>(fn: (span: Span) => T): { result: T; ids: { trace_id: string; span_id: string } } {
  return harness.inSpan('pino.test', fn);
}

describe('addTraceIdsToPinoPackage', () => {
  it('stamps loggers and children made before and after, inside a span only', () => {
    const before = appLogger();
    const childBefore = before.logger.child({ part: 'before' });
    enable();
    const after = appLogger();
    const childAfter = before.logger.child({ part: 'after' });
    before.logger.info('outside');
    const { ids } = inSpan(() => {
      before.logger.info('inside');
      childBefore.info('child made before');
      childAfter.warn('child made after');
      after.logger.info({ n: 1 }, 'logger made after');
      after.logger.child({ deep: 1 }).child({ deeper: 2 }).error('grandchild');
    });
    before.logger.info('outside again');
    const lines = before.lines();
    expect(lines.map((l) => [l.msg, l.trace_id, l.span_id])).toEqual([
      ['outside', undefined, undefined],
      ['inside', ids.trace_id, ids.span_id],
      ['child made before', ids.trace_id, ids.span_id],
      ['child made after', ids.trace_id, ids.span_id],
      ['outside again', undefined, undefined],
    ]);
    expect(lines[2]).toMatchObject({ part: 'before', level: 30 });
    expect(lines[3]).toMatchObject({ part: 'after', level: 40 });
    expect(after.lines()).toEqual([
      { level: 30, pid: process.pid, hostname: expect.any(String), ...ids, n: 1, msg: 'logger made after' },
      { level: 50, pid: process.pid, hostname: expect.any(String), deep: 1, deeper: 2, ...ids, msg: 'grandchild' },
    ]);
  });

  it('reads the span when the line is written, so one logger stamps each span it runs in', async () => {
    const { logger, lines } = appLogger();
    enable();
    const first = inSpan(() => logger.info('one'));
    const second = await tracer.startActiveSpan('pino.async', async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info('two');
      span.end();
      return { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
    });
    expect(lines().map((l) => [l.trace_id, l.span_id])).toEqual([
      [first.ids.trace_id, first.ids.span_id],
      [second.trace_id, second.span_id],
    ]);
  });

  it("changes nothing else: level, base, formatters, serializers, redaction, message key and prefix stay the app's", () => {
    const options: pino.LoggerOptions = {
      level: 'warn',
      base: { app: 'shop' },
      messageKey: 'text',
      msgPrefix: '[shop] ',
      formatters: {
        level: (label) => ({ severity: label.toUpperCase() }),
        log: (obj) => ({ ...obj, formatted: true }),
      },
      serializers: { user: (user: { name: string }) => ({ name: user.name.toUpperCase() }) },
      redact: ['secret'],
    };
    const reference = appLogger(options);
    const patched = appLogger(options);
    enable();
    const { ids } = inSpan(() => {
      for (const { logger } of [reference, patched]) {
        logger.info('below the level');
        logger.warn({ user: { name: 'ada' }, secret: 'hunter2' }, 'saved %d', 3);
        logger.error(new Error('boom'));
      }
    });
    // The reference logger is stamped too (same copy of pino): its lines minus the ids are the app's lines.
    const strip = (line: Record<string, unknown>): Record<string, unknown> => {
      const { trace_id: _t, span_id: _s, ...rest } = line;
      return rest;
    };
    const lines = patched.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      severity: 'WARN',
      app: 'shop',
      ...ids,
      user: { name: 'ADA' },
      secret: '[Redacted]',
      formatted: true,
      text: '[shop] saved 3',
    });
    expect(lines[1]).toMatchObject({ severity: 'ERROR', app: 'shop', ...ids, text: 'boom' });
    expect(lines[1]?.err).toMatchObject({ stack: expect.stringContaining('Error: boom') });
    expect(lines.map(strip)).toEqual(reference.lines().map(strip));
  });

  it("lets the call's fields and the app's mixin win over the ids", () => {
    const { logger, lines } = appLogger({ base: null, mixin: () => ({ tenant: 'acme', span_id: 'from-mixin' }) });
    const plain = appLogger({ base: null });
    enable();
    const { ids } = inSpan(() => {
      logger.info('mixin wins for span_id');
      logger.info({ trace_id: 'from-call' }, 'call wins for trace_id');
      plain.logger.info({ trace_id: 'mine', span_id: 'mine too' }, 'call wins for both');
    });
    expect(lines()).toEqual([
      { level: 30, trace_id: ids.trace_id, span_id: 'from-mixin', tenant: 'acme', msg: 'mixin wins for span_id' },
      { level: 30, trace_id: 'from-call', span_id: 'from-mixin', tenant: 'acme', msg: 'call wins for trace_id' },
    ]);
    expect(plain.lines()).toEqual([{ level: 30, trace_id: 'mine', span_id: 'mine too', msg: 'call wins for both' }]);
  });

  it('copies the mixin result: a mixin handing out one shared object never keeps stale ids', () => {
    const shared = { tenant: 'acme' };
    const { logger, lines } = appLogger({ base: null, mixin: () => shared });
    enable();
    const first = inSpan(() => logger.info('one')).ids;
    const second = inSpan(() => logger.info('two')).ids;
    logger.info('three');
    expect(lines().map((l) => [l.trace_id, l.span_id])).toEqual([
      [first.trace_id, first.span_id],
      [second.trace_id, second.span_id],
      [undefined, undefined],
    ]);
    expect(Object.keys(shared)).toEqual(['tenant']);
  });

  it("leaves the core's own logger to write its ids once, in its schema", () => {
    const out = capture();
    const log = createLogger(testConfig(), { destination: out.destination });
    enable();
    const { ids } = inSpan(() => log.info('Saved', { id: 7 }));
    const line = out.only();
    expect(line).toMatchObject({ message: 'Saved', ...ids, data: { id: 7 } });
    expect(out.writes[0]?.match(/trace_id/g)).toHaveLength(1);
  });

  it('adds nothing once the correlation is off, and the undo restores the prototype', () => {
    const { logger, lines } = appLogger({ base: null });
    const write = (Object.getPrototypeOf(logger) as Record<symbol, unknown>)[pino.symbols.writeSym];
    enable();
    inSpan(() => logger.info('on'));
    setPinoCorrelation(false);
    inSpan(() => logger.info('gate off'));
    harness.undoNow();
    expect((Object.getPrototypeOf(logger) as Record<symbol, unknown>)[pino.symbols.writeSym]).toBe(write);
    setPinoCorrelation(true);
    const later = appLogger({ base: null });
    inSpan(() => later.logger.info('new logger after the undo'));
    const [on, off] = lines();
    expect(on?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(off).toEqual({ level: 30, msg: 'gate off' });
    expect(later.lines()).toEqual([{ level: 30, msg: 'new logger after the undo' }]);
  });

  it('is idempotent, and works next to addTraceIdsToPinoLogger on the same logger', () => {
    const { logger, lines } = appLogger({ base: null });
    expect(addTraceIdsToPinoLogger(logger)).toBe(true);
    enable();
    const again = addTraceIdsToPinoPackage(PINO);
    expect(again).toBeTypeOf('function');
    again?.();
    const { ids } = inSpan(() => logger.info('once'));
    expect(lines()).toEqual([{ level: 30, ...ids, msg: 'once' }]);
  });

  it('never breaks a logger it cannot change, and ignores what is not pino', () => {
    const { logger, lines } = appLogger({ base: null });
    enable();
    Object.freeze(logger);
    const { ids } = inSpan(() => logger.info('frozen'));
    expect(lines()).toEqual([{ level: 30, msg: 'frozen' }]);
    expect(ids.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(addTraceIdsToPinoPackage({ exports: {}, requireFile: () => ({}) })).toBeUndefined();
    expect(
      addTraceIdsToPinoPackage({
        exports: { symbols: pino.symbols },
        requireFile: () => {
          throw new Error('no such file');
        },
      }),
    ).toBeUndefined();
  });
});
