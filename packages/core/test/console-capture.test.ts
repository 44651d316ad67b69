/**
 * `console.*` as log lines (console-capture.ts, and logger.ts's consoleLineWriter): each method's level and
 * message, errors, hostile arguments, calls nested in formatting or made while writing, a failing sink,
 * the restore, and the lines the core's logger writes for them. A stand-in console object is captured, so
 * the test runner's own console is never touched.
 */
import { inspect } from 'node:util';
import { context, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CAPTURED_CONSOLE_METHODS,
  type CapturedConsoleMethod,
  type ConsoleLineLevel,
  captureConsole,
  MAX_NESTING,
} from '../src/logging/console-capture.js';
import { consoleLineWriter, createLogger } from '../src/logging/logger.js';
import { capture, duplicateKeys, testConfig } from './fixtures/logger-capture.js';

interface Line {
  level: ConsoleLineLevel;
  message: string;
  error: unknown;
}

/** A console stand-in whose methods record what reaches them (the "original" output). */
function fakeConsole(): { target: Record<CapturedConsoleMethod, (...args: unknown[]) => void>; printed: unknown[][] } {
  const printed: unknown[][] = [];
  const target = Object.fromEntries(
    CAPTURED_CONSOLE_METHODS.map((method) => [
      method,
      (...args: unknown[]): void => {
        printed.push([method, ...args]);
      },
    ]),
  ) as Record<CapturedConsoleMethod, (...args: unknown[]) => void>;
  return { target, printed };
}

function captured(): {
  target: Record<CapturedConsoleMethod, (...args: unknown[]) => void>;
  printed: unknown[][];
  lines: Line[];
  restore: () => void;
} {
  const { target, printed } = fakeConsole();
  const lines: Line[] = [];
  const { restore } = captureConsole((level, message, error) => lines.push({ level, message, error }), target);
  return { target, printed, lines, restore };
}

describe('captureConsole', () => {
  it('writes one line per call, at the level of its method, with the message util.format gives', () => {
    const { target, printed, lines, restore } = captured();
    target.log('hello %s, %d items', 'ada', 3, { more: true });
    target.info('info');
    target.debug('debug');
    target.warn('warn');
    target.error('error');
    target.dir({ a: { b: { c: { d: 1 } } } }, { depth: 0 });
    target.log();
    // How Node prints a process warning.
    target.error(`(node:${process.pid}) [DEP0001] DeprecationWarning: old`);
    target.error('(node:1) not this process');
    restore();
    expect(printed).toEqual([]);
    expect(lines.map(({ level, message }) => [level, message])).toEqual([
      ['info', 'hello ada, 3 items { more: true }'],
      ['info', 'info'],
      ['debug', 'debug'],
      ['warn', 'warn'],
      ['error', 'error'],
      ['info', '{ a: [Object] }'],
      ['info', ''],
      ['warn', `(node:${process.pid}) [DEP0001] DeprecationWarning: old`],
      ['error', '(node:1) not this process'],
    ]);
  });

  it('keeps an Error as the stack in the message and as the line error', () => {
    const { target, lines, restore } = captured();
    const error = new Error('boom', { cause: new Error('root cause') });
    target.error('failed:', error);
    target.error(error);
    restore();
    expect(lines[0]?.message).toMatch(/^failed: Error: boom\n {4}at /);
    expect(lines[0]?.message).toContain('[cause]: Error: root cause');
    expect(lines[0]?.error).toBe(error);
    expect(lines[1]?.message).toBe(inspect(error));
    expect(lines[1]?.error).toBe(error);
  });

  it("writes trace as Node does, 'Trace: …' and the caller's stack, at TRACE", () => {
    const { target, lines, restore } = captured();
    (function callerOfTrace() {
      target.trace('where am %s', 'I');
    })();
    target.trace();
    restore();
    expect(lines[0]?.level).toBe('trace');
    expect(lines[0]?.message).toMatch(/^Trace: where am I\n {4}at callerOfTrace /);
    expect(lines[1]?.message).toMatch(/^Trace\n {4}at /);
  });

  it('writes hostile arguments safely: circular, throwing inspect, Proxy, BigInt, symbols, binary, huge', () => {
    const { target, lines, restore } = captured();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const throwingInspect = {
      [inspect.custom]() {
        throw new Error('inspect refuses');
      },
    };
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const huge = 'x'.repeat(5_000_000);
    expect(() => {
      target.log(circular);
      target.log('before', throwingInspect, 'after');
      target.log(revoked.proxy);
      target.log(10n, Symbol('s'), Buffer.from([0, 1, 255]), new Uint8Array([7]));
      target.log('\u0000\u001b[31mred\u0007', '\ud800 lone surrogate');
      target.log(huge);
      target.dir(throwingInspect, {
        get depth(): number {
          throw new Error('hostile options');
        },
      });
    }).not.toThrow();
    restore();
    expect(lines[0]?.message).toBe("<ref *1> { name: 'loop', self: [Circular *1] }");
    expect(lines[1]?.message).toBe('before [Uninspectable: Error: inspect refuses] after');
    expect(lines[2]?.message).toBeTypeOf('string');
    expect(lines[3]?.message).toBe('10n Symbol(s) <Buffer 00 01 ff> Uint8Array(1) [ 7 ]');
    expect(lines[4]?.message).toBe('\u0000\u001b[31mred\u0007 \ud800 lone surrogate');
    expect(lines[5]?.message).toHaveLength(huge.length);
    expect(lines[6]?.message).toBeTypeOf('string');
    expect(lines).toHaveLength(7);
  });

  it('captures a console call made while formatting, and bounds the nesting', () => {
    const { target, printed, lines, restore } = captured();
    const chatty = {
      [inspect.custom]() {
        target.log('from inspect');
        return 'chatty';
      },
    };
    target.log(chatty);
    // A custom inspect that logs itself: Node would recurse until the stack overflows; here it stops.
    const selfLogging: Record<symbol, () => string> = {
      [inspect.custom]: () => {
        target.log(selfLogging);
        return 'self';
      },
    };
    target.log('outer', selfLogging);
    restore();
    expect(printed).toEqual([]);
    expect(lines.slice(0, 2).map((l) => l.message)).toEqual(['from inspect', 'chatty']);
    const nested = lines.slice(2).map((l) => l.message);
    expect(nested).toHaveLength(MAX_NESTING + 2);
    expect(nested[0]).toBe('[Object]');
    expect(nested.at(-1)).toBe('outer self');
  });

  it('hands a call made while the sink writes to the original method, and a failed write too', () => {
    const { target, printed } = fakeConsole();
    const lines: string[] = [];
    let fail = false;
    const { restore } = captureConsole((_level, message) => {
      // A destination that prints through the console, as a user's writer might.
      target.log(`sink saw: ${message}`);
      if (fail) throw new Error('sink down');
      lines.push(message);
    }, target);
    target.warn('first');
    fail = true;
    expect(() => target.error('second', 2)).not.toThrow();
    restore();
    expect(lines).toEqual(['first']);
    expect(printed).toEqual([
      ['log', 'sink saw: first'],
      ['log', 'sink saw: second 2'],
      ['error', 'second', 2],
    ]);
  });

  it('restores the methods, keeps a method wrapped again by someone else, and re-targets a captured console', () => {
    const { target, printed } = fakeConsole();
    const originals = { ...target };
    const first: string[] = [];
    const capture1 = captureConsole((_l, message) => first.push(message), target);
    const ours = target.warn;
    const theirs = (...args: unknown[]) => ours('[theirs]', ...args);
    target.warn = theirs;
    const second: string[] = [];
    const capture2 = captureConsole((_l, message) => second.push(message), target);
    target.log('to the second sink');
    capture2.restore();
    capture1.restore();
    for (const method of CAPTURED_CONSOLE_METHODS) {
      if (method !== 'warn') expect(target[method]).toBe(originals[method]);
    }
    expect(target.warn).toBe(theirs);
    target.warn('passed through');
    target.log('plain again');
    expect(first).toEqual([]);
    expect(second).toEqual(['to the second sink']);
    expect(printed).toEqual([
      ['warn', '[theirs]', 'passed through'],
      ['log', 'plain again'],
    ]);
  });
});

describe('consoleLineWriter', () => {
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it("writes the logger's schema, named console, at every level, with the ids and the error, and no log record", () => {
    const out = capture();
    const records: unknown[] = [];
    const processor = {
      onEmit: (record: unknown) => records.push(record),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [processor] }));
    const root = createLogger(testConfig({ logLevel: 'ERROR', logRecordProcessors: [processor] }), {
      destination: out.destination,
    });
    const writer = consoleLineWriter(root);
    const { target } = fakeConsole();
    const { restore } = captureConsole(writer.write, target);
    const error = new TypeError('bad input');
    const span = new TracerProvider().getTracer('console.test').startSpan('console.span');
    context.with(trace.setSpan(context.active(), span), () => {
      target.debug('below the log level');
      target.error('failed', error);
    });
    target.log('outside');
    span.end();
    restore();
    writer.close();
    for (const raw of out.writes) expect(duplicateKeys(raw)).toEqual([]);
    const [debug, failed, outside] = out.parsed();
    const ids = { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
    expect(debug).toEqual({
      timestamp: expect.stringMatching(/Z$/),
      level: 'DEBUG',
      logger: 'console',
      message: 'below the log level',
      'service.name': 'shop.api',
      'service.version': '2.3.4',
      'deployment.environment': 'production',
      ...ids,
    });
    expect(failed).toMatchObject({ level: 'ERROR', logger: 'console', ...ids });
    expect(failed?.message).toMatch(/^failed TypeError: bad input\n/);
    expect(failed?.error).toMatchObject({ type: 'TypeError', message: 'bad input' });
    expect(outside).toMatchObject({ level: 'INFO', logger: 'console', message: 'outside' });
    expect(outside).not.toHaveProperty('trace_id');
    expect(records).toEqual([]);
    // The root logger's own lines still become records.
    root.error('own line');
    expect(records).toHaveLength(1);
    logs.disable();
  });

  it('writes the readable text line in text mode, the stack once, in the message', () => {
    const out = capture();
    const root = createLogger(testConfig({ environment: 'development', jsonLogs: false, viewerPort: false }), {
      destination: out.destination,
    });
    const writer = consoleLineWriter(root);
    const { target } = fakeConsole();
    const { restore } = captureConsole(writer.write, target);
    target.error(new Error('text boom'));
    restore();
    writer.close();
    expect(out.writes).toHaveLength(1);
    expect(out.writes[0]).toMatch(/ \[ERROR\] console - Error: text boom\n {4}at /);
    expect(out.writes[0]?.match(/text boom/g)).toHaveLength(1);
  });
});
