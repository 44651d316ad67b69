/**
 * Outside HTTP: a TCP microservice built on the same module. Nothing in it depends on an HTTP adapter, and
 * with `TelemetryInterceptor` each message handler call gets its own SERVER span (active in the handler,
 * an error recorded on it and still answered to the caller as Nest does).
 */
import 'reflect-metadata';
import { getTelemetry } from '@autotelemetry/core';
import { getFinishedSpans, LogCapture } from '@autotelemetry/core/testing';
import { freePort } from '@autotelemetry/test-utils';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  type MicroserviceOptions,
  Transport,
} from '@nestjs/microservices';
import { trace } from '@opentelemetry/api';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelemetryInterceptor, TelemetryModule, TelemetryService } from '../src/index.js';

class MathController {
  constructor(private readonly telemetry: TelemetryService) {}

  sum(numbers: number[]): { total: number; spanId: string | undefined } {
    this.telemetry.getLogger('math').info('summing', { count: numbers.length });
    return { total: numbers.reduce((a, b) => a + b, 0), spanId: trace.getActiveSpan()?.spanContext().spanId };
  }

  divide([a, b]: [number, number]): number {
    if (b === 0) throw new RangeError('division by zero');
    return a / b;
  }
}
// Nest's decorators, applied by hand: this file is compiled without decorator metadata.
Controller()(MathController);
Reflect.defineMetadata('design:paramtypes', [TelemetryService], MathController);
for (const [method, pattern] of [
  ['sum', 'math.sum'],
  ['divide', 'math.divide'],
] as const) {
  const descriptor = Object.getOwnPropertyDescriptor(MathController.prototype, method) as PropertyDescriptor;
  MessagePattern(pattern)(MathController.prototype, method, descriptor);
}

const capture = new LogCapture();
let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>>;
let client: ClientProxy;

beforeAll(async () => {
  class MathModule {}
  Module({
    imports: [
      TelemetryModule.forRoot({
        serviceName: 'nestjs.math',
        environment: 'test',
        traceExporter: 'memory',
        prometheusPort: false,
        runtimeMetrics: false,
        jsonLogs: true,
        logLevel: 'INFO',
        logDestination: capture,
      }),
    ],
    controllers: [MathController],
  })(MathModule);
  const port = await freePort();
  app = await NestFactory.createMicroservice<MicroserviceOptions>(MathModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
    logger: false,
  });
  app.useGlobalInterceptors(new TelemetryInterceptor());
  await app.listen();
  client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  await client.connect();
});

afterAll(async () => {
  client?.close();
  await app?.close();
});

describe('a microservice with TelemetryInterceptor', () => {
  it('gives each message handler call a SERVER span, active in the handler', async () => {
    const answer = await lastValueFrom(client.send<{ total: number; spanId: string }>('math.sum', [1, 2, 3]));
    expect(answer.total).toBe(6);
    const span = getFinishedSpans().find((s) => s.name === 'math_controller.sum');
    expect(span?.kind).toBe(1);
    expect(span?.spanContext().spanId).toBe(answer.spanId);
    expect(span?.attributes).toEqual({
      'nestjs.type': 'rpc',
      'nestjs.controller': 'MathController',
      'nestjs.callback': 'sum',
    });
    expect(capture.json().find((l) => l.message === 'summing')).toMatchObject({
      logger: 'math',
      span_id: answer.spanId,
    });
  });

  it('records a handler error on its span and still answers the caller with it', async () => {
    const failure = await lastValueFrom(client.send('math.divide', [1, 0])).catch((e: unknown) => e);
    expect(failure).toMatchObject({ message: 'Internal server error' });
    const span = getFinishedSpans().find((s) => s.name === 'math_controller.divide');
    expect(span?.status).toMatchObject({ code: 2, message: 'division by zero' });
    expect(span?.attributes['error.type']).toBe('RangeError');
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
    expect(getTelemetry()?.config.serviceName).toBe('nestjs.math');
  });
});
