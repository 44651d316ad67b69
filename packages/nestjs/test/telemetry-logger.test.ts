/**
 * `TelemetryLogger` as Nest calls it: through Nest's own `Logger` (static and with a context), with the call
 * shapes Nest uses for errors (`error(message, stack, context)`, `error(exception)` from the exception
 * layer), objects, levels and `setLogLevels`; lines inside a span carry its ids; and the exception layer's
 * line does not add a second exception event to a request span the module already records it on.
 */
import 'reflect-metadata';
import { getTelemetry, type TelemetryOptions } from '@autotelemetry/core';
import { getFinishedSpans, LogCapture } from '@autotelemetry/core/testing';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Span, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TelemetryLogger, TelemetryModule } from '../src/index.js';

const capture = new LogCapture();
const OPTIONS: TelemetryOptions = {
  serviceName: 'nestjs.logger-test',
  environment: 'test',
  traceExporter: 'memory',
  prometheusPort: false,
  runtimeMetrics: false,
  jsonLogs: true,
  logLevel: 'TRACE',
  logDestination: capture,
};

let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>;
let logger: TelemetryLogger;
let bootLines: Record<string, unknown>[] = [];
let closed = false;

beforeAll(async () => {
  class RootModule {}
  Module({ imports: [TelemetryModule.forRoot(OPTIONS)] })(RootModule);
  app = await NestFactory.createApplicationContext(RootModule, { bufferLogs: true });
  logger = app.get(TelemetryLogger);
  app.useLogger(logger);
  bootLines = capture.json();
});

afterAll(async () => {
  if (!closed) await app.close();
  Logger.overrideLogger(false);
});

beforeEach(() => {
  capture.clear();
  logger.setLogLevels(['verbose', 'debug', 'log', 'warn', 'error', 'fatal']);
});

function lines(): Record<string, unknown>[] {
  return capture.json();
}

/** Runs `fn` in a new active span; returns the span's ids and, once ended, its exception events. */
function inSpan(fn: () => void): { traceId: string; spanId: string; events: string[] } {
  const tracer = trace.getTracer('nestjs.logger-test');
  const ids = tracer.startActiveSpan('logger.test', (span: Span) => {
    try {
      fn();
    } finally {
      span.end();
    }
    return span.spanContext();
  });
  const ended = getFinishedSpans().find((s) => s.spanContext().spanId === ids.spanId);
  return { traceId: ids.traceId, spanId: ids.spanId, events: ended?.events.map((e) => e.name) ?? ['<not found>'] };
}

describe('TelemetryLogger', () => {
  it('wrote Nest’s buffered bootstrap lines in the schema, under Nest’s context names', () => {
    expect(bootLines.find((l) => l.logger === 'NestFactory')?.message).toBe('Starting Nest application...');
    const loaded = bootLines.filter((l) => l.logger === 'InstanceLoader').map((l) => l.message);
    expect(loaded).toContain('TelemetryModule dependencies initialized');
    for (const line of bootLines) {
      expect(line).toMatchObject({
        level: 'INFO',
        'service.name': 'nestjs.logger-test',
        'deployment.environment': 'test',
      });
      expect(line.trace_id).toBeUndefined();
    }
  });

  it('maps Nest’s levels and call shapes to the schema', () => {
    const contextual = new Logger('OrdersService');
    contextual.log('order placed');
    contextual.warn('stock low', { sku: 'A1' });
    contextual.debug('cache hit');
    contextual.verbose('detail');
    Logger.log('static line', 'Bootstrap');
    Logger.error('failed to connect', 'Error: failed to connect\n    at connect (db.ts:10:5)', 'Database');
    contextual.error(new TypeError('bad input'));
    contextual.fatal('going down');
    new Logger().log({ message: 'object message', count: 2 });

    const written = lines();
    expect(written.map((l) => [l.level, l.logger, l.message])).toEqual([
      ['INFO', 'OrdersService', 'order placed'],
      ['WARN', 'OrdersService', 'stock low'],
      ['DEBUG', 'OrdersService', 'cache hit'],
      ['TRACE', 'OrdersService', 'detail'],
      ['INFO', 'Bootstrap', 'static line'],
      ['ERROR', 'Database', 'failed to connect'],
      ['ERROR', 'OrdersService', 'bad input'],
      ['FATAL', 'OrdersService', 'going down'],
      ['INFO', 'nestjs', 'object message'],
    ]);
    expect(written[1]?.data).toEqual({ sku: 'A1' });
    expect(written[5]?.error).toMatchObject({
      type: 'Error',
      message: 'failed to connect',
      stack: expect.stringContaining('at connect (db.ts:10:5)'),
    });
    expect(written[6]?.error).toMatchObject({ type: 'TypeError', message: 'bad input' });
    expect(written[8]?.data).toEqual({ message: 'object message', count: 2 });
    for (const line of written) expect(line['service.name']).toBe('nestjs.logger-test');
  });

  it('keeps only the levels Nest’s setLogLevels enables', () => {
    logger.setLogLevels(['warn', 'error']);
    const contextual = new Logger('Quiet');
    contextual.log('dropped');
    contextual.debug('dropped too');
    contextual.warn('kept');
    expect(lines().map((l) => l.message)).toEqual(['kept']);
  });

  it('stamps lines written inside a span with its ids, and records errors on it', () => {
    const span = inSpan(() => {
      new Logger('Handler').log('inside');
      new Logger('Handler').error(new Error('handled badly'));
    });
    const [inside, failed] = lines();
    expect(inside).toMatchObject({ trace_id: span.traceId, span_id: span.spanId });
    expect(failed).toMatchObject({ level: 'ERROR', span_id: span.spanId });
    expect(span.events).toEqual(['exception']);
  });

  it('does not record the exception layer’s line on the span a second time (the module records it)', () => {
    const span = inSpan(() => {
      // What Nest's built-in filter writes for an unexpected exception of a request.
      new Logger('ExceptionsHandler').error(new Error('kaboom'));
    });
    const [line] = lines();
    expect(line).toMatchObject({ logger: 'ExceptionsHandler', message: 'kaboom', span_id: span.spanId });
    expect(line?.error).toMatchObject({ type: 'Error', message: 'kaboom' });
    expect(span.events).toEqual([]);
  });

  it('constructed standalone: writes through the running pipeline, and through Nest’s console logger when none runs', async () => {
    const standalone = new TelemetryLogger();
    standalone.log('through the pipeline', 'Standalone');
    expect(lines().find((l) => l.message === 'through the pipeline')?.logger).toBe('Standalone');

    await app.close();
    closed = true;
    expect(getTelemetry()).toBeUndefined();
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      standalone.warn('no pipeline yet', 'Standalone');
    } finally {
      process.stdout.write = write;
    }
    expect(written.join('')).toMatch(/WARN.*\[Standalone\].*no pipeline yet/);
    expect(lines().some((l) => l.message === 'no pipeline yet')).toBe(false);
  });
});
