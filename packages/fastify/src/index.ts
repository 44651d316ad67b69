/**
 * `@autotelemetry/fastify`: `fastify.register(autotelemetry)` gives every request a SERVER span named by its
 * route template, the HTTP metrics, an access log line and a request-scoped `request.log`, in CJS and ESM
 * apps, on Fastify 5.
 *
 * @packageDocumentation
 * @module @autotelemetry/fastify
 */
export type {} from './fastify-types.js';
export * from './logger.js';
export * from './plugin.js';
export { autotelemetry as default } from './plugin.js';
