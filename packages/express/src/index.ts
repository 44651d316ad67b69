/**
 * `@autotelemetry/express`: `app.use(autotelemetry())` gives every request a SERVER span named by its full
 * route template, the HTTP metrics, an access log line and a request logger (`req.log`), whatever the import
 * order, in CJS and ESM apps, on Express 4 and 5.
 *
 * @packageDocumentation
 * @module @autotelemetry/express
 */

export * from './middleware.js';
export type {} from './request-log.js';
