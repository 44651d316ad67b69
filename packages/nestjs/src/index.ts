/**
 * `@autotelemetry/nestjs`: `TelemetryModule.forRoot()` gives a Nest 11 or 12 app — on
 * `@nestjs/platform-express` or `@nestjs/platform-fastify` — a SERVER span per request named by Nest's route
 * (`GET /v1/cats/:id`), the HTTP metrics, exceptions on spans, Nest's own logs in the JSON schema with trace
 * ids (`TelemetryLogger`), and `TelemetryService` for logs, spans, metrics and `measure()`.
 *
 * @packageDocumentation
 * @module @autotelemetry/nestjs
 */
export { measure, type TelemetryOptions, Traced, traced } from '@autotelemetry/core';
export {
  TELEMETRY_MODULE_OPTIONS,
  TELEMETRY_OPTIONS_FACTORY_METHOD,
  type TelemetryModuleAsyncOptions,
  type TelemetryModuleExtras,
  type TelemetryModuleOptions,
  type TelemetryOptionsFactory,
} from './module-definition.js';
export {
  ATTR_NEST_CONTEXT_TYPE,
  ATTR_NEST_CONTROLLER,
  ATTR_NEST_HANDLER,
  TelemetryInterceptor,
} from './telemetry.interceptor.js';
export * from './telemetry.module.js';
export { DEFAULT_SCOPE_NAME, TelemetryService } from './telemetry.service.js';
export { NEST_DEFAULT_LOGGER_NAME, TelemetryLogger } from './telemetry-logger.js';
export { TELEMETRY_CLIENT } from './tokens.js';
