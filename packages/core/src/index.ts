/**
 * AutoTelemetry core: configuration, the naming standard, the JSON logger, the OpenTelemetry pipeline and
 * the framework-free HTTP request lifecycle that the adapters share.
 *
 * @packageDocumentation
 * @module @autotelemetry/core
 */
export * from './config.js';
export * from './environment.js';
export * from './state.js';
