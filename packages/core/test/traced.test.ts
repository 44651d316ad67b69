import * as pathNamespace from 'node:path';
import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANOMALY_EVENT_NAME, AnomalyDetector, setAnomalyDetector } from '../src/instrument/anomaly.js';
import { NamingError } from '../src/instrument/naming.js';
import { isTraced, traceAll, traced } from '../src/instrument/traced.js';
import { setState } from '../src/state.js';
import { CaptureLogger, installState, type TestPipeline, useTestPipeline } from './otel-test-pipeline.js';

let pipeline: TestPipeline;
useTestPipeline((started) => {
  pipeline = started;
});
beforeEach(() => {
  setState(undefined);
});
afterEach(() => {
  setState(undefined);
  setAnomalyDetector(undefined);
  vi.restoreAllMocks();
});

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

function only(name: string): ReadableSpan {
  const spans = pipeline.spansNamed(name);
  expect(spans.map((s) => s.name)).toEqual([name]);
  return spans[0] as ReadableSpan;
}

function childOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.parentSpanContext?.spanId === parent.spanContext().spanId &&
    child.spanContext().traceId === parent.spanContext().traceId
  );
}

function exceptionEvent(span: ReadableSpan) {
  return span.events.find((e) => e.name === 'exception');
}

const childSpan = (name: string) => trace.getTracer('test').startSpan(name).end();
const innerWork = (name: string) => trace.getTracer('test').startActiveSpan(name, (s: Span) => s.end());

describe('traced(fn): sync functions', () => {
  it('runs the call in an active span, returns the same value, keeps this, name and length', () => {
    const account = {
      balance: 40,
      deposit: traced(
        function deposit(this: { balance: number }, amount: number, _note?: string) {
          innerWork('ledger.write');
          this.balance += amount;
          return { balance: this.balance };
        },
        { name: 'account.deposit' },
      ),
    };
    const result = account.deposit(2);
    expect(result).toEqual({ balance: 42 });
    expect(account.balance).toBe(42);
    expect(account.deposit.name).toBe('deposit');
    expect(account.deposit.length).toBe(2);
    expect(isTraced(account.deposit)).toBe(true);

    const span = only('account.deposit');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({});
    expect(childOf(only('ledger.write'), span)).toBe(true);
  });

  it('nests under the caller span and gives the same object back', () => {
    const payload = { rows: [1, 2, 3] };
    const load = traced(() => payload, { name: 'data.load' });
    let returned: unknown;
    trace.getTracer('test').startActiveSpan('job.run', (parent: Span) => {
      returned = load();
      parent.end();
    });
    expect(returned).toBe(payload);
    expect(childOf(only('data.load'), only('job.run'))).toBe(true);
  });

  it('records a throw on the span and rethrows the very same error', () => {
    const boom = new TypeError('bad input');
    const parse = traced(
      (_text: string): number => {
        throw boom;
      },
      { name: 'input.parse' },
    );
    let caught: unknown;
    try {
      parse('x');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(boom);
    const span = only('input.parse');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad input' });
    expect(span.attributes['error.type']).toBe('TypeError');
    expect(exceptionEvent(span)?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'bad input',
    });
  });

  it('records thrown non-errors (strings, hostile objects) without breaking', () => {
    const throwsString = traced(
      () => {
        throw 'plain string';
      },
      { name: 'odd.throw' },
    );
    expect(() => throwsString()).toThrow('plain string');
    expect(only('odd.throw').status).toEqual({ code: SpanStatusCode.ERROR, message: 'plain string' });

    const hostile = {
      get message(): string {
        throw new Error('getter explodes');
      },
    };
    const throwsHostile = traced(
      () => {
        throw hostile;
      },
      { name: 'odd.hostile' },
    );
    let caught: unknown;
    try {
      throwsHostile();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(hostile);
    expect(only('odd.hostile').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('sets the given attributes and kind', () => {
    const send = traced(() => 'sent', {
      name: 'queue.publish',
      kind: SpanKind.PRODUCER,
      attributes: { 'queue.name': 'jobs' },
    });
    expect(send()).toBe('sent');
    const span = only('queue.publish');
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.attributes['queue.name']).toBe('jobs');
  });

  it('returns non-promise thenables as they are, without awaiting them', () => {
    let ran = false;
    const lazyQuery = {
      // biome-ignore lint/suspicious/noThenProperty: a lazy query builder is exactly such a thenable.
      then(resolve: (v: string) => void) {
        ran = true;
        resolve('rows');
      },
    };
    const build = traced(() => lazyQuery, { name: 'query.build' });
    expect(build()).toBe(lazyQuery);
    expect(ran).toBe(false);
    expect(only('query.build').status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('traced(fn): span names', () => {
  it('derives operation.action from the function name', () => {
    function loadCustomerData() {
      return 1;
    }
    traced(loadCustomerData)();
    traced(function main() {})();
    expect(pipeline.spans().map((s) => s.name)).toEqual(['load.customer_data', 'function.main']);
  });

  it('warns once for a name that breaks the standard, and throws with strictNaming', () => {
    const logger = new CaptureLogger();
    installState(logger);
    const fn = traced(() => 1, { name: 'DoStuff' });
    traced(() => 2, { name: 'DoStuff' });
    expect(fn()).toBe(1);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(logger.lines[0]?.message).toContain('"DoStuff"');

    installState(logger, { strictNaming: true });
    expect(() => traced(() => 1, { name: 'AlsoBad' })).toThrow(NamingError);
  });

  it('rejects a non-function', () => {
    expect(() => traced(42 as unknown as () => void)).toThrow(TypeError);
  });
});

describe('traced(fn): async functions', () => {
  it('keeps the span open until the promise settles, with children nested', async () => {
    const fetchUser = traced(
      async (id: string) => {
        await tick();
        innerWork('db.query');
        await tick();
        return { id };
      },
      { name: 'users.fetch' },
    );
    const user = await fetchUser('u1');
    expect(user).toEqual({ id: 'u1' });
    const span = only('users.fetch');
    expect(childOf(only('db.query'), span)).toBe(true);
    const durationMs = span.duration[0] * 1000 + span.duration[1] / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(8);
  });

  it('records a rejection and rejects with the very same error', async () => {
    const failure = new RangeError('too many');
    const save = traced(
      async () => {
        await tick();
        throw failure;
      },
      { name: 'orders.save' },
    );
    await expect(save()).rejects.toBe(failure);
    const span = only('orders.save');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'too many' });
    expect(exceptionEvent(span)?.attributes?.['exception.type']).toBe('RangeError');
  });

  it('keeps concurrent calls apart: each child under its own parent', async () => {
    const step = traced(
      async (label: string) => {
        await tick();
        childSpan(`child.${label}`);
      },
      { name: 'work.step' },
    );
    await Promise.all([step('a'), step('b'), step('c')]);
    const parents = pipeline.spansNamed('work.step');
    expect(parents).toHaveLength(3);
    for (const label of ['a', 'b', 'c']) {
      const child = only(`child.${label}`);
      expect(parents.filter((p) => childOf(child, p))).toHaveLength(1);
    }
    expect(new Set(parents.map((p) => p.spanContext().spanId)).size).toBe(3);
  });
});

describe('traced(fn): generators', () => {
  it('covers the whole iteration; work inside each step nests under the span', () => {
    const rows = traced(
      function* rows(n: number) {
        for (let i = 0; i < n; i++) {
          childSpan(`row.read${i}`);
          yield i;
        }
        return 'end';
      },
      { name: 'rows.read' },
    );
    const iterator = rows(3);
    expect(pipeline.spansNamed('rows.read')).toHaveLength(0);
    expect([...iterator]).toEqual([0, 1, 2]);
    const span = only('rows.read');
    for (let i = 0; i < 3; i++) expect(childOf(only(`row.read${i}`), span)).toBe(true);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(Object.prototype.toString.call(iterator)).toBe('[object Generator]');
  });

  it('ends the span when the consumer stops early, and supports iterator helpers', () => {
    const naturals = traced(
      function* naturals() {
        let i = 0;
        while (true) yield i++;
      },
      { name: 'numbers.generate' },
    );
    const firstThree: number[] = [];
    for (const n of naturals()) {
      if (n === 3) break;
      firstThree.push(n);
    }
    expect(firstThree).toEqual([0, 1, 2]);
    expect(only('numbers.generate').status.code).toBe(SpanStatusCode.UNSET);

    pipeline.exporter.reset();
    const helperResult = (naturals() as unknown as { take(n: number): { toArray(): number[] } }).take(4).toArray();
    expect(helperResult).toEqual([0, 1, 2, 3]);
    expect(pipeline.spansNamed('numbers.generate')).toHaveLength(1);
  });

  it('records a throw from inside the generator', () => {
    const failure = new Error('corrupt row');
    const rows = traced(
      function* rows() {
        yield 1;
        throw failure;
      },
      { name: 'rows.parse' },
    );
    const it = rows();
    expect(it.next()).toEqual({ value: 1, done: false });
    expect(() => it.next()).toThrow(failure);
    expect(only('rows.parse').status).toEqual({ code: SpanStatusCode.ERROR, message: 'corrupt row' });
  });

  it('covers an async generator until done, with children nested, and records a rejection', async () => {
    const pages = traced(
      async function* pages() {
        for (let p = 1; p <= 2; p++) {
          await tick();
          childSpan(`page.fetch${p}`);
          yield p;
        }
      },
      { name: 'pages.stream' },
    );
    const seen: number[] = [];
    for await (const p of pages()) seen.push(p);
    expect(seen).toEqual([1, 2]);
    const span = only('pages.stream');
    expect(childOf(only('page.fetch1'), span)).toBe(true);
    expect(childOf(only('page.fetch2'), span)).toBe(true);

    const failure = new Error('stream cut');
    const broken = traced(
      async function* broken() {
        yield 1;
        await tick();
        throw failure;
      },
      { name: 'pages.broken' },
    );
    const consumed: number[] = [];
    await expect(
      (async () => {
        for await (const p of broken()) consumed.push(p);
      })(),
    ).rejects.toBe(failure);
    expect(consumed).toEqual([1]);
    expect(only('pages.broken').status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('traceAll(obj)', () => {
  it('returns a traced copy of a module-like object and leaves the original (even frozen) alone', () => {
    class Helper {}
    const api = Object.freeze({
      version: '1.2.3',
      Helper,
      sum(a: number, b: number) {
        return a + b;
      },
      async fetchAll() {
        return ['x'];
      },
    });
    const tracedApi = traceAll(api, { name: 'billing' });
    expect(tracedApi).not.toBe(api);
    expect(api.sum).not.toBe(tracedApi.sum);
    expect(isTraced(api.sum)).toBe(false);
    expect(tracedApi.version).toBe('1.2.3');
    expect(tracedApi.Helper).toBe(Helper);
    expect(tracedApi.sum(2, 3)).toBe(5);
    expect(tracedApi.sum.length).toBe(2);
    expect(pipeline.spans().map((s) => s.name)).toEqual(['billing.sum']);
  });

  it('wraps the functions of a real ESM namespace object', () => {
    const path = traceAll(pathNamespace, { name: 'path' });
    expect(path.join('a', 'b')).toBe(pathNamespace.join('a', 'b'));
    expect(path.sep).toBe(pathNamespace.sep);
    expect(only('path.join').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('derives names from the keys when no prefix is given', () => {
    const jobs = traceAll({
      sendWelcomeEmail() {
        return true;
      },
    });
    jobs.sendWelcomeEmail();
    expect(pipeline.spans().map((s) => s.name)).toEqual(['send.welcome_email']);
  });
});

describe('anomaly feed', () => {
  it('feeds traced spans to the detector when anomaly detection is on, keyed by span name', async () => {
    const logger = new CaptureLogger();
    installState(logger, { anomalyDetection: true });
    setAnomalyDetector(new AnomalyDetector({ warmup: 10, logger }));
    let delayMs = 0;
    const work = traced(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      },
      { name: 'jobs.process' },
    );
    for (let i = 0; i < 12; i++) await work();
    expect(pipeline.spansNamed('jobs.process').every((s) => s.events.length === 0)).toBe(true);
    delayMs = 60;
    await work();
    const slow = pipeline.spansNamed('jobs.process').at(-1);
    const event = slow?.events.find((e) => e.name === ANOMALY_EVENT_NAME);
    expect(event?.attributes).toMatchObject({ 'anomaly.kind': 'latency', 'anomaly.key': 'jobs.process' });
    expect(event?.attributes?.['anomaly.observed']).toBeGreaterThanOrEqual(50);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('jobs.process'))).toBe(true);
  });

  it('does not feed the detector when anomaly detection is off', () => {
    installState(new CaptureLogger(), { anomalyDetection: false });
    const detector = new AnomalyDetector({ logger: false });
    setAnomalyDetector(detector);
    traced(() => 1, { name: 'quiet.op' })();
    expect(detector.size).toBe(0);
  });
});

describe('wrapping keeps what other code reads off the function', () => {
  it('copies own properties and works without reflect-metadata loaded', () => {
    expect((Reflect as { getMetadata?: unknown }).getMetadata).toBeUndefined();
    const handler = Object.assign(
      function handler(_req: unknown) {
        return 'ok';
      },
      { route: '/x' },
    );
    Object.defineProperty(handler, 'hidden', { value: 7, enumerable: false });
    const wrapped = traced(handler, { name: 'route.handle' });
    expect(wrapped.route).toBe('/x');
    expect((wrapped as unknown as { hidden: number }).hidden).toBe(7);
    expect(wrapped('req')).toBe('ok');
  });
});
