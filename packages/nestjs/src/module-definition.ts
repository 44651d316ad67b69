/**
 * `forRoot(options)` / `forRootAsync({ imports, useFactory, inject })` built with Nest's own
 * `ConfigurableModuleBuilder`: the options are the core's `TelemetryOptions`, and the module is global
 * unless `isGlobal: false` is given.
 */
import type { TelemetryOptions } from '@autotelemetry/core';
import { type ConfigurableModuleAsyncOptions, ConfigurableModuleBuilder } from '@nestjs/common';

/** The name of the factory method of a `useClass`/`useExisting` options provider in `forRootAsync`. */
export const TELEMETRY_OPTIONS_FACTORY_METHOD = 'createTelemetryOptions';

/** Module-level settings of `forRoot`/`forRootAsync`, beside the telemetry options. */
export interface TelemetryModuleExtras {
  /** Register the module's providers globally (default true), so any module can inject them. */
  isGlobal?: boolean;
}

/** What `TelemetryModule.forRoot()` takes: the core's options (service name, environment, exporters…). */
export type TelemetryModuleOptions = TelemetryOptions & TelemetryModuleExtras;

/** What `TelemetryModule.forRootAsync()` takes: Nest's usual `imports`/`useFactory`/`inject` (or `useClass`). */
export type TelemetryModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  TelemetryOptions,
  typeof TELEMETRY_OPTIONS_FACTORY_METHOD
> &
  TelemetryModuleExtras;

/** A class that makes the options, for `forRootAsync({ useClass })`. */
export interface TelemetryOptionsFactory {
  /** Returns the telemetry options (or a promise of them). */
  createTelemetryOptions(): TelemetryOptions | Promise<TelemetryOptions>;
}

const definition = new ConfigurableModuleBuilder<TelemetryOptions>({
  optionsInjectionToken: 'TELEMETRY_MODULE_OPTIONS',
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName(TELEMETRY_OPTIONS_FACTORY_METHOD)
  .setExtras<TelemetryModuleExtras>({ isGlobal: true }, (module, extras) => ({
    ...module,
    global: extras.isGlobal !== false,
  }))
  .build();

/** @internal The class `TelemetryModule` extends (its static `forRoot`/`forRootAsync`). */
export const ConfigurableTelemetryModule = definition.ConfigurableModuleClass;

/** The token of the resolved options (the core's `TelemetryOptions`) inside the module. */
export const TELEMETRY_MODULE_OPTIONS: string = definition.MODULE_OPTIONS_TOKEN as string;
