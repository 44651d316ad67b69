/**
 * The pipeline's process-wide log features, in-process: `logCorrelation` patches the pino and winston
 * copies the process has loaded while the pipeline runs and undoes it at shutdown; `captureConsole` captures
 * the console from the start to the app's shutdown, which gives the console its methods back.
 */
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Winston from 'winston';
import { getTelemetry, startTelemetry } from '../src/sdk.js';
import { getState } from '../src/state.js';
import { LogCapture } from '../src/testing.js';

const winston = createRequire(import.meta.url)('winston') as typeof Winston;

afterEach(async () => {
  await getTelemetry()?.shutdown();
});

const QUIET = { environment: 'test', prometheusPort: false, runtimeMetrics: false } as const;

function pinoLines(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const logger = pino({ base: null, timestamp: false }, { write: (line: string) => written.push(line) });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logCorrelation in the pipeline', () => {
  it("patches the process's pino and winston while the pipeline runs, and stops at shutdown", async () => {
    const app = pinoLines();
    const client = startTelemetry({ serviceName: 'logs.test', logDestination: new LogCapture(), ...QUIET });
    const patched = getState()?.pipeline?.logCorrelation?.patched() ?? [];
    expect(patched.some((copy) => copy.startsWith('pino@10.4.0 '))).toBe(true);
    expect(patched.some((copy) => copy.startsWith('winston@3.19.0 '))).toBe(true);
    const ids = client.getTracer('logs.test').startActiveSpan('logs.work', (span) => {
      app.logger.info('inside');
      span.end();
      return { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
    });
    await client.shutdown();
    const tracer = startTelemetry({
      serviceName: 'logs.test',
      logDestination: new LogCapture(),
      ...QUIET,
      logCorrelation: false,
    }).getTracer('x');
    tracer.startActiveSpan('logs.off', (span) => {
      app.logger.info('correlation off');
      span.end();
    });
    expect(getState()?.pipeline?.logCorrelation).toBeUndefined();
    expect(app.lines()).toEqual([
      { level: 30, ...ids, msg: 'inside' },
      { level: 30, msg: 'correlation off' },
    ]);
    expect(Object.hasOwn(winston.Logger.prototype, 'write')).toBe(false);
  });
});

describe('captureConsole in the pipeline', () => {
  it('writes console calls as lines from the start, with the ids, and gives the console back at shutdown', async () => {
    const before = { log: console.log, error: console.error, warn: console.warn };
    const capture = new LogCapture();
    const client = startTelemetry({
      serviceName: 'logs.test',
      logDestination: capture,
      captureConsole: true,
      ...QUIET,
    });
    expect(console.log).not.toBe(before.log);
    console.log('outside %d', 1);
    const ids = client.getTracer('logs.test').startActiveSpan('logs.work', (span) => {
      console.error(new Error('inside'));
      span.end();
      return { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
    });
    await client.shutdown();
    expect({ log: console.log, error: console.error, warn: console.warn }).toEqual(before);
    const lines = capture.json().filter((line) => line.logger === 'console');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'outside 1' });
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({ level: 'ERROR', ...ids, error: { type: 'Error', message: 'inside' } });
  });

  it('leaves the console alone by default outside production, and with captureConsole: false', async () => {
    const log = console.log;
    startTelemetry({ serviceName: 'logs.test', logDestination: new LogCapture(), ...QUIET });
    expect(console.log).toBe(log);
    await getTelemetry()?.shutdown();
    startTelemetry({
      serviceName: 'logs.test',
      logDestination: new LogCapture(),
      ...QUIET,
      environment: 'production',
      traceExporter: 'memory',
      otlpEndpoint: 'http://127.0.0.1:9',
      captureConsole: false,
    });
    expect(console.log).toBe(log);
  });
});
