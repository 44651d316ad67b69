import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  checkMetricName,
  checkName,
  checkServiceName,
  checkSpanName,
  enforceName,
  NAMING_CACHE_LIMIT,
  NamingError,
  resetNamingMemory,
  spanNameFromIdentifiers,
} from '../src/instrument/naming.js';
import { setState } from '../src/state.js';
import { CaptureLogger, installState } from './otel-test-pipeline.js';

describe('service names: company.service', () => {
  it.each(['shop.api', 'acme.orders.worker', 'demo.service', 'com.company.service', 'a1.b-2.c_3'])(
    'accepts %s',
    (n) => {
      expect(checkServiceName(n)).toEqual({ ok: true });
    },
  );
  it.each([
    ['mon-service', /at least 1 dot/],
    ['Shop.API', /upper-case/],
    ['shop..api', /empty segment/],
    ['.shop', /empty segment/],
    ['shop.api.', /empty segment/],
    ['shop.a pi', /not made of/],
    ['', /empty/],
  ])('rejects %j with a reason', (n, reason) => {
    const verdict = checkServiceName(n);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(reason);
  });
});

describe('span names: operation.action or METHOD /route', () => {
  it.each([
    'db.query',
    'http.request',
    'orders.import',
    'order_service.create_order',
    'pipeline.load-data',
    's3.upload.part',
    'GET /users/:id',
    'POST /orders',
    'DELETE /users/{id}/sessions/*',
    'GET /',
    'GET',
    'HTTP /unknown-method',
  ])('accepts %s', (n) => {
    expect(checkSpanName(n)).toEqual({ ok: true });
  });
  it.each([
    ['processData', /upper-case|HTTP method/],
    ['process', /at least 1 dot/],
    ['Process.data', /not an HTTP method/],
    ['FETCH /users', /not an HTTP method/],
    ['GET users', /not a route template/],
    ['GET /users?id=1', /not a route template/],
    ['GET /a b', /not a route template/],
    ['db..query', /empty segment/],
    ['db.query!', /not made of/],
  ])('rejects %j with a reason', (n, reason) => {
    const verdict = checkSpanName(n);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(reason);
  });
});

describe('metric names: domain.object.measure', () => {
  it.each([
    'http.server.request.duration',
    'http.server.active_requests',
    'http.server.duration_ms',
    'process.cpu.time',
    'nodejs.eventloop.delay.p99',
    'v8js.gc.duration',
    'data.operation.rows',
    'db.client.connection.count',
  ])('accepts %s (OTel semconv and seed examples)', (n) => {
    expect(checkMetricName(n)).toEqual({ ok: true });
  });
  it.each([
    ['requests', /at least 2 dots/],
    ['http.requests', /at least 2 dots/],
    ['Http.server.duration', /upper-case/],
    ['http.server-side.duration', /not made of/],
    ['1http.server.duration', /not made of/],
    ['http.server.', /empty segment/],
    [`a.b.${'c'.repeat(260)}`, /longer than 255/],
  ])('rejects %j with a reason', (n, reason) => {
    const verdict = checkMetricName(n);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(reason);
  });
});

describe('checkName', () => {
  it('dispatches by kind and returns the same cached verdict for a repeated name', () => {
    expect(checkName('metric', 'http.requests').ok).toBe(false);
    expect(checkName('span', 'http.requests').ok).toBe(true);
    expect(checkName('service', 'http.requests').ok).toBe(true);
    expect(checkName('span', 'Bad')).toBe(checkName('span', 'Bad'));
  });
});

describe('enforceName', () => {
  beforeEach(() => {
    resetNamingMemory();
    setState(undefined);
  });
  afterEach(() => {
    setState(undefined);
    vi.restoreAllMocks();
  });

  it('warns once per bad name through process.emitWarning when no pipeline runs', () => {
    const emitted: { message: string; code: unknown }[] = [];
    vi.spyOn(process, 'emitWarning').mockImplementation(((message: string, options?: { code?: string }) => {
      emitted.push({ message, code: options?.code });
    }) as typeof process.emitWarning);
    for (let i = 0; i < 5; i++) enforceName('metric', 'requests.total');
    enforceName('metric', 'http.server.request.duration');
    enforceName('span', 'processData');
    enforceName('span', 'processData');
    expect(emitted).toHaveLength(2);
    expect(emitted[0]?.message).toContain('"requests.total"');
    expect(emitted[0]?.message).toContain('domain.object.measure');
    expect(emitted[0]?.code).toBe('AUTOTELEMETRY_NAMING');
    expect(emitted[1]?.message).toContain('"processData"');
  });

  it('warns through the pipeline logger when one is running, with the name in the data', () => {
    const logger = new CaptureLogger();
    installState(logger);
    const verdict = enforceName('service', 'MyService');
    enforceName('service', 'MyService');
    expect(verdict.ok).toBe(false);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.level).toBe('warn');
    expect(logger.lines[0]?.data).toMatchObject({ 'naming.kind': 'service', 'naming.name': 'MyService' });
  });

  it('throws a NamingError naming the name and the convention when strict', () => {
    let error: unknown;
    try {
      enforceName('span', 'Checkout', true);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NamingError);
    expect((error as NamingError).message).toContain('"Checkout"');
    expect((error as NamingError).message).toContain('operation.action');
    expect((error as NamingError).kind).toBe('span');
    expect((error as NamingError).badName).toBe('Checkout');
    expect(() => enforceName('span', 'checkout.submit', true)).not.toThrow();
  });

  it("takes strictness from the running pipeline's strictNaming", () => {
    installState(new CaptureLogger(), { strictNaming: true });
    expect(() => enforceName('metric', 'latency')).toThrow(NamingError);
    expect(() => enforceName('metric', 'latency', false)).not.toThrow();
  });

  it(`remembers at most ${NAMING_CACHE_LIMIT} warned names, then reports the overflow once`, () => {
    const logger = new CaptureLogger();
    installState(logger);
    for (let i = 0; i < NAMING_CACHE_LIMIT + 50; i++) enforceName('metric', `bad${i}`);
    expect(logger.lines).toHaveLength(NAMING_CACHE_LIMIT + 1);
    expect(logger.lines.at(-1)?.message).toMatch(/further ones are not reported/);
    // Still bounded and silent afterwards.
    for (let i = 0; i < 10; i++) enforceName('metric', `other${i}`);
    expect(logger.lines).toHaveLength(NAMING_CACHE_LIMIT + 1);
  });
});

describe('spanNameFromIdentifiers', () => {
  it.each([
    [['OrderService', 'createOrder'], 'order_service.create_order'],
    [['loadCustomerData'], 'load.customer_data'],
    [['main'], 'function.main'],
    [['HTTPServer', 'parseURLQuery'], 'http_server.parse_url_query'],
    [['orders.api', 'list'], 'orders.api.list'],
    [['_private', '#secret'], 'private.secret'],
    [[''], 'function.anonymous'],
  ])('%j → %s, a valid span name', (parts, expected) => {
    const name = spanNameFromIdentifiers(...parts);
    expect(name).toBe(expected);
    expect(checkSpanName(name).ok).toBe(true);
  });
});
