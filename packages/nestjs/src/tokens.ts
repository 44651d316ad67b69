/**
 * Injection tokens of the module. Registered symbols, so the ESM and CJS builds of this package (both loaded
 * by one app) name the same providers.
 */

/**
 * The running pipeline's `TelemetryClient` (from `@autotelemetry/core`), injectable with
 * `@Inject(TELEMETRY_CLIENT)`.
 */
export const TELEMETRY_CLIENT: unique symbol = Symbol.for('autotelemetry.nestjs.client');

/** @internal The module's runtime (pipeline ownership, installed hooks). */
export const TELEMETRY_RUNTIME: unique symbol = Symbol.for('autotelemetry.nestjs.runtime');
