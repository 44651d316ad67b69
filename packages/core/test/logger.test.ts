import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, type Span, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createLogger, flushLogger, ROOT_LOGGER_NAME, type TelemetryLogger } from '../src/index.js';
import {
  capture,
  duplicateKeys,
  ISO_MS_Z,
  REQUIRED_KEYS,
  SCHEMA_KEYS,
  testConfig,
  topLevelKeys,
} from './fixtures/logger-capture.js';

const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
});

afterAll(async () => {
  await tracerProvider.shutdown();
  trace.disable();
  context.disable();
});

afterEach(() => spans.reset());

function inSpan<T>(name: string, fn: (span: Span) => T): T {
  return trace.getTracer('logger-test').startActiveSpan(name, (span) => {
    try {
      return fn(span);
    } finally {
      span.end();
    }
  });
}

/** Every schema rule a raw line must meet; returns the parsed line. */
function checkLine(raw: string): Record<string, unknown> {
  expect(raw.endsWith('\n')).toBe(true);
  expect(raw.indexOf('\n')).toBe(raw.length - 1);
  expect(duplicateKeys(raw)).toEqual([]);
  const line = JSON.parse(raw) as Record<string, unknown>;
  for (const key of Object.keys(line)) expect(SCHEMA_KEYS).toContain(key);
  for (const key of REQUIRED_KEYS) expect(line).toHaveProperty([key]);
  expect(line.timestamp).toMatch(ISO_MS_Z);
  expect(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']).toContain(line.level);
  expect('trace_id' in line).toBe('span_id' in line);
  return line;
}

describe('JSON line schema', () => {
  it('writes exactly the seed fields for a plain message, in the design order', () => {
    const out = capture();
    const before = Date.now();
    createLogger(testConfig(), { destination: out.destination }).info('Service started');
    const raw = out.writes[0] as string;
    const line = checkLine(raw);
    expect(topLevelKeys(raw)).toEqual([...REQUIRED_KEYS]);
    expect(line).toEqual({
      timestamp: line.timestamp,
      level: 'INFO',
      logger: ROOT_LOGGER_NAME,
      message: 'Service started',
      'service.name': 'shop.api',
      'service.version': '2.3.4',
      'deployment.environment': 'production',
    });
    const at = Date.parse(line.timestamp as string);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('writes trace_id and span_id exactly while a span is active, read when the line is written', () => {
    const out = capture();
    const root = createLogger(testConfig(), { destination: out.destination });
    const madeOutside = root.getLogger('pipeline').child({ job: 'nightly' });
    madeOutside.info('before');
    const ids = inSpan('pipeline.run', (span) => {
      madeOutside.info('inside');
      root.info('inside root');
      return span.spanContext();
    });
    madeOutside.info('after');
    const [before, inside, insideRoot, after] = out.writes.map(checkLine);
    expect(before).not.toHaveProperty('trace_id');
    expect(after).not.toHaveProperty('trace_id');
    for (const line of [inside, insideRoot]) {
      expect(line?.trace_id).toBe(ids.traceId);
      expect(line?.span_id).toBe(ids.spanId);
    }
  });

  it('names lines: root, getLogger(name), and a root name override', () => {
    const out = capture();
    const root = createLogger(testConfig(), { destination: out.destination });
    root.info('a');
    root.getLogger('pipeline').info('b');
    root.getLogger('pipeline').getLogger('pipeline.load').info('c');
    createLogger(testConfig(), { destination: out.destination, name: 'worker' }).info('d');
    expect(out.parsed().map((l) => l.logger)).toEqual(['root', 'pipeline', 'pipeline.load', 'worker']);
  });

  it('uses upper-case level names for every level', () => {
    const out = capture();
    const log = createLogger(testConfig({ logLevel: 'TRACE' }), { destination: out.destination });
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(out.writes.map(checkLine).map((l) => l.level)).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);
  });
});

describe('call shapes', () => {
  const setup = () => {
    const out = capture();
    return { out, log: createLogger(testConfig(), { destination: out.destination }).getLogger('pipeline') };
  };

  it("takes the seed's info(message, data)", () => {
    const { out, log } = setup();
    log.info('Processing done', { rows_processed: 150, processing_time_ms: 45.2 });
    const line = checkLine(out.writes[0] as string);
    expect(line.message).toBe('Processing done');
    expect(line.data).toEqual({ rows_processed: 150, processing_time_ms: 45.2 });
  });

  it("takes pino's info(obj, message), info('hello %s', x) and info(message) alone", () => {
    const { out, log } = setup();
    log.info({ rows: 3 }, 'Loaded');
    log.info('hello %s, %d rows', 'world', 3);
    log.info('100%% sure');
    log.info('ratio 50%', { ratio: 0.5 });
    const [a, b, c, d] = out.writes.map(checkLine);
    expect(a).toMatchObject({ message: 'Loaded', data: { rows: 3 } });
    expect(b).toMatchObject({ message: 'hello world, 3 rows' });
    expect(b).not.toHaveProperty('data');
    expect(c?.message).toBe('100%% sure');
    expect(d).toMatchObject({ message: 'ratio 50%', data: { ratio: 0.5 } });
  });

  it('writes a lone value given as data as data itself', () => {
    const { out, log } = setup();
    log.info('count', 42);
    log.info('names', ['a', 'b']);
    log.info('flag', false);
    log.info('nothing', undefined);
    log.info('when', new Date('2026-08-15T10:23:45.123Z'));
    expect(out.writes.map(checkLine).map((l) => l.data)).toEqual([
      42,
      ['a', 'b'],
      false,
      undefined,
      '2026-08-15T10:23:45.123Z',
    ]);
  });

  it('turns an Error into the line error: error(message, err), error(message, {…, err}), error(err), info(obj with error)', () => {
    const { out, log } = setup();
    const failure = new TypeError('bad input', { cause: new Error('root cause') });
    log.error('Import failed', failure);
    log.error('Import failed', { file: 'a.csv', err: failure });
    log.error(failure);
    log.error({ err: failure });
    log.warn('Retrying', { attempt: 2, error: failure });
    const lines = out.writes.map(checkLine);
    for (const line of lines) {
      expect(line.error).toMatchObject({
        type: 'TypeError',
        message: 'bad input',
        cause: { type: 'Error', message: 'root cause' },
      });
      const error = line.error as { stack: string; cause: { stack: string } };
      expect(error.stack).toContain('TypeError: bad input');
      expect(error.cause.stack).toContain('Error: root cause');
    }
    expect(lines.map((l) => l.message)).toEqual([
      'Import failed',
      'Import failed',
      'bad input',
      'bad input',
      'Retrying',
    ]);
    expect(lines[0]).not.toHaveProperty('data');
    expect(lines[1]?.data).toEqual({ file: 'a.csv' });
    expect(lines[4]?.data).toEqual({ attempt: 2 });
  });

  it('takes the message from a "message" key when none is given, and keeps it in data otherwise', () => {
    const { out, log } = setup();
    log.info({ message: 'from the object', rows: 1 });
    log.info({ message: 'kept as data' }, 'the message');
    const [a, b] = out.writes.map(checkLine);
    expect(a).toMatchObject({ message: 'from the object', data: { rows: 1 } });
    expect(b).toMatchObject({ message: 'the message', data: { message: 'kept as data' } });
  });

  it('is assignable where pino loggers are expected', () => {
    const { out, log } = setup();
    const asPino: pino.BaseLogger = log;
    const asLogger: pino.Logger = log as unknown as pino.Logger;
    asPino.info({ via: 'BaseLogger' }, 'typed');
    expect(asLogger.isLevelEnabled('info')).toBe(true);
    expect(checkLine(out.writes[0] as string).data).toEqual({ via: 'BaseLogger' });
  });
});

describe('children', () => {
  it('merges the bindings of children of children into one context, each key once', () => {
    const out = capture();
    const root = createLogger(testConfig(), { destination: out.destination });
    const deep = root
      .getLogger('api')
      .child({ requestId: 'r-1', tenant: 't' })
      .child({ logger: 'api.orders', user: 'u-7' })
      .child({ requestId: 'r-2' })
      .getLogger('api.orders.db');
    deep.info('query', { rows: 2 });
    const raw = out.writes[0] as string;
    const line = checkLine(raw);
    expect(topLevelKeys(raw).filter((k) => k === 'logger')).toHaveLength(1);
    expect(line.logger).toBe('api.orders.db');
    expect(line.context).toEqual({ requestId: 'r-2', tenant: 't', user: 'u-7' });
    expect(deep.bindings()).toEqual({ logger: 'api.orders.db', requestId: 'r-2', tenant: 't', user: 'u-7' });
  });

  it('leaves the parent untouched and supports setBindings', () => {
    const out = capture();
    const parent = createLogger(testConfig(), { destination: out.destination }).child({ a: 1 });
    const child = parent.child({ b: 2 });
    child.setBindings({ a: 3, logger: 'renamed' });
    parent.info('p');
    child.info('c');
    const [p, c] = out.writes.map(checkLine);
    expect(p).toMatchObject({ logger: 'root', context: { a: 1 } });
    expect(c).toMatchObject({ logger: 'renamed', context: { a: 3, b: 2 } });
  });

  it('serves Fastify: child({}, {serializers}), per-request child(bindings, opts), {req}/{res}/{err} under data and error', () => {
    const out = capture();
    const root = createLogger(testConfig(), { destination: out.destination });
    // What Fastify 5 does with a loggerInstance: one child carrying its serializers, then one per request.
    const serializers = {
      req: (req: { method: string; url: string; headers: Record<string, string> }) => ({
        method: req.method,
        url: req.url,
        headers: req.headers,
      }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      err: pino.stdSerializers.err,
    };
    const app = root.child({}, { serializers: serializers as never });
    const request = {
      method: 'GET',
      url: '/orders/7',
      headers: { host: 'shop', authorization: 'Bearer secret' },
      socket: { remoteAddress: '127.0.0.1' },
      raw: { huge: 'x'.repeat(10) },
    };
    const reply = { statusCode: 500, request };
    const reqLog = app.child({ reqId: 'req-1' }, {});
    reqLog.info({ req: request }, 'incoming request');
    reqLog.error({ req: request, res: reply, err: new Error('handler blew up') }, 'handler blew up');
    reqLog.info({ res: reply, responseTime: 1.25 }, 'request completed');
    const [incoming, failed, completed] = out.writes.map(checkLine);
    for (const line of [incoming, failed, completed]) {
      expect(line?.context).toEqual({ reqId: 'req-1' });
      expect(Object.keys(line ?? {})).not.toContain('req');
      expect(Object.keys(line ?? {})).not.toContain('reqId');
    }
    expect(incoming?.data).toEqual({
      req: { method: 'GET', url: '/orders/7', headers: { host: 'shop', authorization: '[REDACTED]' } },
    });
    expect(failed?.data).toMatchObject({ res: { statusCode: 500 } });
    expect(failed?.error).toMatchObject({ type: 'Error', message: 'handler blew up' });
    expect(completed?.data).toEqual({ res: { statusCode: 500 }, responseTime: 1.25 });
  });

  it('keeps level, isLevelEnabled and child options.level working as Fastify uses them', () => {
    const out = capture();
    const root = createLogger(testConfig({ logLevel: 'INFO' }), { destination: out.destination });
    expect(root.level).toBe('info');
    const quiet = root.child({ reqId: 'q' }, { level: 'warn' });
    expect(quiet.level).toBe('warn');
    expect(quiet.isLevelEnabled('info')).toBe(false);
    quiet.info('dropped');
    quiet.warn('kept');
    root.level = 'debug';
    expect(root.isLevelEnabled('debug')).toBe(true);
    root.debug('now visible');
    expect(out.parsed().map((l) => l.message)).toEqual(['kept', 'now visible']);
  });

  it('applies a child msgPrefix and a pino-style child redact option', () => {
    const out = capture();
    const child = createLogger(testConfig(), { destination: out.destination }).child(
      { component: 'billing' },
      { msgPrefix: '[billing] ', redact: ['card.number', 'data.cvv'] },
    );
    child.info('charged', { card: { number: '4111', brand: 'visa' }, cvv: '123' });
    expect(out.only()).toMatchObject({
      message: '[billing] charged',
      data: { card: { number: '[REDACTED]', brand: 'visa' }, cvv: '[REDACTED]' },
    });
  });
});

describe('redaction', () => {
  it('redacts configured keys at any depth of data and context, case-insensitively', () => {
    const out = capture();
    const log = createLogger(testConfig({ redact: ['ssn'] }), { destination: out.destination }).child({
      session: { Cookie: 'abc', id: 's' },
    });
    log.info('login', {
      user: 'ada',
      PASSWORD: 'hunter2',
      profile: { ssn: '123-45-6789', nested: [{ Authorization: 'Bearer x', ok: true }] },
      map: new Map([['token', 't']]),
    });
    const line = out.only();
    expect(line.data).toEqual({
      user: 'ada',
      PASSWORD: '[REDACTED]',
      profile: { ssn: '[REDACTED]', nested: [{ Authorization: '[REDACTED]', ok: true }] },
      map: { token: '[REDACTED]' },
    });
    expect(line.context).toEqual({ session: { Cookie: '[REDACTED]', id: 's' } });
    expect(out.writes[0]).not.toContain('hunter2');
    expect(out.writes[0]).not.toContain('123-45-6789');
  });
});

describe('levels', () => {
  it('writes nothing below the configured level and does no work for it', () => {
    const out = capture();
    const log = createLogger(testConfig({ logLevel: 'WARN' }), { destination: out.destination });
    let reads = 0;
    const watched = {
      get value() {
        reads++;
        return 1;
      },
    };
    log.debug('no', watched);
    log.info('no', watched);
    log.info(watched, 'no');
    expect(out.writes).toHaveLength(0);
    expect(reads).toBe(0);
    log.warn('yes', watched);
    expect(out.writes).toHaveLength(1);
    expect(reads).toBe(1);
  });

  it('accepts WARNING and CRITICAL, in any case, as aliases', () => {
    const out = capture();
    const log = createLogger(testConfig({ logLevel: 'warning' }), { destination: out.destination });
    expect(log.level).toBe('warn');
    expect(log.isLevelEnabled('WARNING')).toBe(true);
    expect(log.isLevelEnabled('info')).toBe(false);
    log.level = 'CRITICAL';
    expect(log.level).toBe('fatal');
    log.error('dropped');
    log.fatal('kept');
    const child = log.child({}, { level: 'Warning' });
    expect(child.level).toBe('warn');
    expect(out.parsed().map((l) => l.message)).toEqual(['kept']);
  });
});

describe('spans', () => {
  it('adds an exception event to the active span for error and fatal lines carrying an Error', () => {
    const out = capture();
    const log = createLogger(testConfig(), { destination: out.destination }).getLogger('jobs');
    inSpan('jobs.run', () => {
      log.error('failed', new RangeError('out of range'));
      log.fatal({ err: new Error('fatal one') }, 'stopping');
      log.warn('only a warning', new Error('not recorded'));
      log.error('no error object here', { code: 42 });
    });
    const [span] = spans.getFinishedSpans();
    const exceptions = span?.events.filter((e) => e.name === 'exception') ?? [];
    expect(exceptions.map((e) => e.attributes?.['exception.message'])).toEqual(['out of range', 'fatal one']);
    expect(exceptions[0]?.attributes?.['exception.type']).toBe('RangeError');
    expect(out.writes).toHaveLength(4);
  });
});

describe('OpenTelemetry log records', () => {
  it('emits each line as a log record with severity, body, flattened attributes and the span context', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    logs.setGlobalLoggerProvider(provider);
    try {
      const out = capture();
      const config = testConfig();
      expect(config.otlpEnabled).toBe(true);
      const log = createLogger(config, { destination: out.destination }).getLogger('pipeline').child({ run: 9 });
      const ids = inSpan('pipeline.run', (span) => {
        log.warn('slow batch', { rows: 3, nested: { ms: 12, password: 'p' }, tags: ['a', 'b'] });
        log.error('batch failed', new Error('disk full'));
        return span.spanContext();
      });
      const records = exporter.getFinishedLogRecords();
      expect(records).toHaveLength(2);
      const [warn, error] = records;
      expect(warn?.severityText).toBe('WARN');
      expect(warn?.severityNumber).toBe(13);
      expect(warn?.body).toBe('slow batch');
      expect(warn?.attributes).toMatchObject({
        rows: 3,
        'nested.ms': 12,
        'nested.password': '[REDACTED]',
        tags: ['a', 'b'],
        run: 9,
        'logger.name': 'pipeline',
      });
      expect(warn?.spanContext?.traceId).toBe(ids.traceId);
      expect(warn?.spanContext?.spanId).toBe(ids.spanId);
      expect(error?.severityNumber).toBe(17);
      expect(error?.attributes['exception.message']).toBe('disk full');
      expect(out.writes).toHaveLength(2);
    } finally {
      await provider.shutdown();
      logs.disable();
    }
  });

  it('emits nothing when OTLP is off', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    logs.setGlobalLoggerProvider(provider);
    try {
      const out = capture();
      const config = testConfig({ enabled: false });
      expect(config.otlpEnabled).toBe(false);
      createLogger(config, { destination: out.destination }).info('local only');
      expect(out.writes).toHaveLength(1);
      expect(exporter.getFinishedLogRecords()).toHaveLength(0);
    } finally {
      await provider.shutdown();
      logs.disable();
    }
  });
});

describe('text format (development)', () => {
  const TIME = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}`;

  it('writes the readable line, with trace ids only inside a span', () => {
    const out = capture();
    const config = testConfig({ environment: 'development' });
    expect(config.jsonLogs).toBe(false);
    const log = createLogger(config, { destination: out.destination }).getLogger('pipeline');
    log.info('Processing done', { rows: 3 });
    const ids = inSpan('pipeline.run', (span) => {
      log.child({ batch: 2 }).warn('Slow');
      return span.spanContext();
    });
    expect(out.writes[0]).toMatch(new RegExp(`^${TIME} \\[INFO\\] pipeline - Processing done \\{"rows":3\\}\\n$`));
    expect(out.writes[1]).toMatch(
      new RegExp(
        `^${TIME} \\[WARN\\] pipeline - trace_id=${ids.traceId} span_id=${ids.spanId} - Slow context=\\{"batch":2\\}\\n$`,
      ),
    );
  });

  it('prints an error with its stack and causes below the line, and neutralises control characters', () => {
    const out = capture();
    const log = createLogger(testConfig({ environment: 'development' }), { destination: out.destination });
    log.error('Import \u001b[31mfailed', new Error('outer', { cause: new Error('inner') }));
    const text = out.writes[0] as string;
    expect(text).toMatch(new RegExp(`^${TIME} \\[ERROR\\] root - Import \\\\u001b\\[31mfailed\\n    Error: outer\\n`));
    expect(text).toContain('\n    Caused by: Error: inner\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('stays JSON when jsonLogs is set in development', () => {
    const out = capture();
    createLogger(testConfig({ environment: 'development', jsonLogs: true }), { destination: out.destination }).info(
      'json',
    );
    expect(checkLine(out.writes[0] as string).message).toBe('json');
  });
});

describe('destination', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes to a file path synchronously (creating its folder) and flushes without throwing', () => {
    dir = mkdtempSync(join(tmpdir(), 'autotelemetry-logger-'));
    const file = join(dir, 'logs', 'app.log');
    const log = createLogger(testConfig({ logDestination: file }));
    log.info('first');
    log.getLogger('x').warn('second', { n: 1 });
    flushLogger(log);
    const lines = readFileSync(file, 'utf8').split(/(?<=\n)/);
    expect(lines.map(checkLine).map((l) => l.message)).toEqual(['first', 'second']);
  });

  it('fails at creation, naming logDestination, when the path cannot be opened', () => {
    dir = mkdtempSync(join(tmpdir(), 'autotelemetry-logger-'));
    const aFile = join(dir, 'plain-file');
    writeFileSync(aFile, '');
    expect(() => createLogger(testConfig({ logDestination: join(aFile, 'below', 'app.log') }))).toThrow(ConfigError);
    expect(() => createLogger(testConfig({ logDestination: join(aFile, 'below', 'app.log') }))).toThrow(
      /logDestination/,
    );
  });

  it('never throws into the caller when the writer throws, and warns once', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      let calls = 0;
      const log: TelemetryLogger = createLogger(testConfig(), {
        destination: {
          write() {
            calls++;
            throw new Error('disk on fire');
          },
        },
      });
      expect(() => log.info('one')).not.toThrow();
      expect(() => log.error('two', new Error('x'))).not.toThrow();
      expect(() => flushLogger(log)).not.toThrow();
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).toBe(2);
      const ours = warnings.filter((w) => (w as { code?: string }).code === 'AUTOTELEMETRY_LOG_WRITE');
      expect(ours).toHaveLength(1);
      expect(ours[0]?.message).toContain('disk on fire');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
