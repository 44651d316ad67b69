/**
 * Logger scenario: JSON log lines per second to /dev/null, AutoTelemetry's logger inside an active span
 * (so every line carries trace_id/span_id) against raw pino with its defaults, both writing synchronously
 * through pino's own SonicBoom destination. Same message, same data object, same process.
 *
 * Run alone: `pnpm --filter @autotelemetry/bench logger` (after building @autotelemetry/core).
 */
import { openSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger, resolveConfig, type TelemetryLogger } from '@autotelemetry/core';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { pino } from 'pino';
import winston from 'winston';
import { type Comparison, type Contender, compare } from './harness.ts';

const DEVNULL = '/dev/null';
const MESSAGE = 'Processing done';
const DATA = Object.freeze({ rows_processed: 150, stage: 'load', duration_ms: 45.2 });

const REQUEST = Object.freeze({ method: 'GET', url: '/orders/7', remoteAddress: '127.0.0.1' });
const RESPONSE = Object.freeze({ statusCode: 200 });
let requestCounter = 0;
const nextRequestId = (): string => `req-${++requestCounter}`;

function rawPinoRequests(): Contender {
  const logger = pino(pino.destination({ dest: DEVNULL, sync: true }));
  return {
    name: 'raw pino 10.4 (defaults)',
    run(iterations) {
      for (let i = 0; i < iterations; i++) {
        const request = logger.child({ reqId: nextRequestId() });
        request.info({ req: REQUEST }, 'incoming request');
        request.info({ res: RESPONSE, responseTime: 1.5 }, 'request completed');
      }
    },
  };
}

function rawPino(): Contender {
  const logger = pino(pino.destination({ dest: DEVNULL, sync: true }));
  return {
    name: 'raw pino 10.4 (defaults)',
    run(iterations) {
      for (let i = 0; i < iterations; i++) logger.info(DATA, MESSAGE);
    },
  };
}

/** winston 3 with JSON lines (timestamp + json formats) to /dev/null through a synchronous stream. */
function winstonJson(): Contender {
  const fd = openSync(DEVNULL, 'w');
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      writeSync(fd, chunk as Buffer);
      callback();
    },
  });
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  return {
    name: 'winston 3.19 (json)',
    run(iterations) {
      for (let i = 0; i < iterations; i++) logger.info(MESSAGE, DATA);
    },
  };
}

function inActiveSpan(logger: TelemetryLogger, name: string, call: (logger: TelemetryLogger) => void): Contender {
  const tracer = trace.getTracer('bench');
  return {
    name,
    run(iterations) {
      tracer.startActiveSpan('bench.logger', (span) => {
        for (let i = 0; i < iterations; i++) call(logger);
        span.end();
      });
    },
  };
}

function telemetryLogger(otlp: boolean): TelemetryLogger {
  const config = resolveConfig(
    {
      serviceName: 'bench.service',
      serviceVersion: '1.0.0',
      environment: 'production',
      ...(otlp ? {} : { enabled: false }),
    },
    {},
  );
  return createLogger(config, { destination: DEVNULL }).getLogger('pipeline');
}

/** Registers what an instrumented process has: a context manager and a tracer provider. */
function registerTracing(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new TracerProvider());
}

/** Runs the logger comparisons. */
export function runLoggerBench(options: { iterations?: number; rounds?: number } = {}): Comparison[] {
  registerTracing();
  const iterations = options.iterations ?? 10_000;
  const rounds = options.rounds ?? 25;
  const common = { iterations, rounds, warmupRounds: 3 } as const;
  const lines = { ...common, unit: 'lines/s', goal: 0.9 } as const;
  const seedShape = (logger: TelemetryLogger) => logger.info(MESSAGE, DATA);
  const pinoShape = (logger: TelemetryLogger) => logger.info(DATA, MESSAGE);
  return [
    compare({
      ...lines,
      scenario: 'JSON line in a span, info(message, data), OTLP on (no provider)',
      baseline: rawPino(),
      candidate: inActiveSpan(telemetryLogger(true), 'autotelemetry', seedShape),
    }),
    compare({
      ...lines,
      scenario: 'JSON line in a span, info(data, message), OTLP off',
      baseline: rawPino(),
      candidate: inActiveSpan(telemetryLogger(false), 'autotelemetry', pinoShape),
    }),
    compare({
      ...common,
      unit: 'lines/s',
      scenario: 'JSON line, winston vs raw pino (reference)',
      baseline: rawPino(),
      candidate: winstonJson(),
    }),
    compare({
      ...common,
      iterations: iterations >> 1,
      unit: 'requests/s',
      scenario: 'per-request child({reqId}) + 2 lines (Fastify-like), in a span',
      baseline: rawPinoRequests(),
      candidate: inActiveSpan(telemetryLogger(true), 'autotelemetry', (logger) => {
        const request = logger.child({ reqId: nextRequestId() });
        request.info({ req: REQUEST }, 'incoming request');
        request.info({ res: RESPONSE, responseTime: 1.5 }, 'request completed');
      }),
    }),
  ];
}

if (import.meta.main) {
  const { markdownTable, roundsDetail } = await import('./harness.ts');
  const comparisons = runLoggerBench();
  console.log(
    `\n## Logger (Node ${process.version})\n\n${markdownTable(comparisons)}\n\n${roundsDetail(comparisons)}\n`,
  );
}
