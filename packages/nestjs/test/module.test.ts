/**
 * The module in a Nest application context (no HTTP server — as a worker or a CLI built on Nest runs):
 * `forRoot`, `forRootAsync` with an injected factory, the bare class, joining a pipeline that already runs,
 * `app.close()` stopping only a pipeline the module started, and a bad option failing the bootstrap with an
 * error that names it. The package's own providers are factories, so these run without decorator metadata.
 */
import 'reflect-metadata';
import { ConfigError, getTelemetry, startTelemetry, type TelemetryOptions } from '@autotelemetry/core';
import { LogCapture } from '@autotelemetry/core/testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TELEMETRY_CLIENT, TelemetryModule, TelemetryService } from '../src/index.js';

function options(capture: LogCapture, extra: TelemetryOptions = {}): TelemetryOptions {
  return {
    serviceName: 'nestjs.module-test',
    environment: 'test',
    traceExporter: 'memory',
    prometheusPort: false,
    runtimeMetrics: false,
    jsonLogs: true,
    logLevel: 'INFO',
    logDestination: capture,
    ...extra,
  };
}

function rootModule(imports: unknown[], providers: unknown[] = []): new () => object {
  class RootModule {}
  Module({ imports: imports as never[], providers: providers as never[] })(RootModule);
  return RootModule;
}

afterEach(async () => {
  await getTelemetry()?.shutdown();
});

describe('TelemetryModule', () => {
  it('forRoot starts the pipeline, provides the client, service and logger, and app.close() stops it', async () => {
    const capture = new LogCapture();
    const app = await NestFactory.createApplicationContext(rootModule([TelemetryModule.forRoot(options(capture))]), {
      logger: false,
    });
    const client = getTelemetry();
    expect(client?.config.serviceName).toBe('nestjs.module-test');
    expect(app.get(TELEMETRY_CLIENT)).toBe(client);
    const service = app.get(TelemetryService);
    service.getLogger('orders').info('order placed', { id: 7 });
    const line = capture.json().find((l) => l.message === 'order placed');
    expect(line).toMatchObject({ logger: 'orders', 'service.name': 'nestjs.module-test', data: { id: 7 } });
    expect(service.getTracer().startSpan('orders.place').isRecording()).toBe(true);
    expect(typeof service.getMeter().createCounter).toBe('function');
    expect(service.measure('orders.import', () => 3)).toBe(3);
    expect(service.traced((a: number) => a + 1, { name: 'orders.add' })(1)).toBe(2);
    await app.close();
    expect(getTelemetry()).toBeUndefined();
  });

  it('forRootAsync takes its options from an injected factory; the module is global', async () => {
    const capture = new LogCapture();
    const SETTINGS = Symbol('settings');
    class SettingsModule {}
    Module({
      providers: [{ provide: SETTINGS, useFactory: async () => ({ name: 'nestjs.from-settings' }) }],
      exports: [SETTINGS],
    })(SettingsModule);
    // A sibling module injects TelemetryService without importing TelemetryModule: the module is global.
    class OrdersModule {}
    const ORDERS = Symbol('orders');
    Module({
      providers: [
        { provide: ORDERS, useFactory: (telemetry: TelemetryService) => telemetry, inject: [TelemetryService] },
      ],
      exports: [ORDERS],
    })(OrdersModule);
    const app = await NestFactory.createApplicationContext(
      rootModule([
        TelemetryModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: (settings: { name: string }) => options(capture, { serviceName: settings.name }),
        }),
        OrdersModule,
      ]),
      { logger: false },
    );
    expect(getTelemetry()?.config.serviceName).toBe('nestjs.from-settings');
    expect(app.get(ORDERS)).toBeInstanceOf(TelemetryService);
    await app.close();
  });

  it('joins a pipeline that already runs, and leaves it running after app.close()', async () => {
    const capture = new LogCapture();
    const running = startTelemetry(options(capture, { serviceName: 'nestjs.started-first' }));
    // The bare class (no forRoot): environment variables and defaults, here the running pipeline.
    const app = await NestFactory.createApplicationContext(rootModule([TelemetryModule]), { logger: false });
    expect(app.get(TELEMETRY_CLIENT)).toBe(running);
    await app.close();
    expect(getTelemetry()).toBe(running);
  });

  it('fails the bootstrap with an error naming a bad option', async () => {
    const bootstrap = NestFactory.createApplicationContext(
      rootModule([TelemetryModule.forRoot({ environment: 'moon', prometheusPort: false })]),
      { logger: false, abortOnError: false },
    );
    const error = await bootstrap.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe('environment');
    expect(String((error as Error).message)).toContain('moon');
  });
});
