/**
 * `TelemetryModule`: one import line gives a Nest app the AutoTelemetry pipeline — a SERVER span per HTTP
 * request named by Nest's route, the HTTP metrics, JSON logs with trace ids — and provides
 * `TelemetryService`, `TelemetryLogger` and the client (`TELEMETRY_CLIENT`).
 *
 * The package's own sources use no decorators: metadata is applied by calling Nest's decorator functions,
 * and every provider is a factory with an explicit `inject` list, so nothing depends on how this package
 * was compiled (`emitDecoratorMetadata`) — only the app's code does.
 */
import type { TelemetryClient, TelemetryOptions } from '@autotelemetry/core';
import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  ConfigurableTelemetryModule,
  TELEMETRY_MODULE_OPTIONS,
  type TelemetryModuleAsyncOptions,
  type TelemetryModuleOptions,
} from './module-definition.js';
import { createTelemetryRuntime, type TelemetryRuntime } from './runtime.js';
import { TelemetryService } from './telemetry.service.js';
import { TelemetryLogger } from './telemetry-logger.js';
import { TELEMETRY_CLIENT, TELEMETRY_RUNTIME } from './tokens.js';

/**
 * Import it once, in the root module:
 *
 * ```ts
 * @Module({ imports: [TelemetryModule.forRoot({ serviceName: 'orders.api' })] })
 * export class AppModule {}
 * ```
 *
 * or with options from elsewhere:
 *
 * ```ts
 * TelemetryModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ serviceName: config.get('SERVICE_NAME') }),
 * })
 * ```
 *
 * Global by default (`isGlobal: false` to opt out). Starts the pipeline unless one is already running
 * (then the running one is used, and options that differ are reported once).
 */
export class TelemetryModule extends ConfigurableTelemetryModule {
  /** The module with `options` (the core's `TelemetryOptions`, all optional, plus `isGlobal`). */
  static override forRoot(options: TelemetryModuleOptions = {}): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this` = TelemetryModule, the module Nest registers.
    return super.forRoot(options);
  }

  /** The module with options made by a factory, a class or an existing provider (Nest's async pattern). */
  static override forRootAsync(options: TelemetryModuleAsyncOptions): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this` = TelemetryModule, the module Nest registers.
    return super.forRootAsync(options);
  }
}

function runtimeFactory(options: TelemetryOptions | undefined, host: HttpAdapterHost): Promise<TelemetryRuntime> {
  return createTelemetryRuntime(options, host);
}

function clientOf(runtime: TelemetryRuntime): TelemetryClient {
  return runtime.client;
}

function serviceOf(client: TelemetryClient): TelemetryService {
  return new TelemetryService(client);
}

function loggerOf(client: TelemetryClient): TelemetryLogger {
  return new TelemetryLogger(client);
}

const providers: Provider[] = [
  {
    provide: TELEMETRY_RUNTIME,
    useFactory: runtimeFactory,
    // Optional: importing the bare class (no forRoot) runs with environment variables and defaults.
    inject: [{ token: TELEMETRY_MODULE_OPTIONS, optional: true }, HttpAdapterHost],
  },
  { provide: TELEMETRY_CLIENT, useFactory: clientOf, inject: [TELEMETRY_RUNTIME] },
  { provide: TelemetryService, useFactory: serviceOf, inject: [TELEMETRY_CLIENT] },
  { provide: TelemetryLogger, useFactory: loggerOf, inject: [TELEMETRY_CLIENT] },
];

Module({ providers, exports: [TELEMETRY_CLIENT, TelemetryService, TelemetryLogger] })(TelemetryModule);
