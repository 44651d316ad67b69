/**
 * The defaults shared beyond the option table: the request paths that get no telemetry and the keys whose
 * values are never recorded. The HTTP lifecycle uses them when it runs without a pipeline.
 */
/** Default request paths that get no telemetry. */
export const DEFAULT_EXCLUDED_PATHS: readonly string[] = Object.freeze([
  '/health',
  '/healthz',
  '/ready',
  '/readyz',
  '/livez',
  '/metrics',
  '/favicon.ico',
]);

/** Keys whose values are never recorded in logs, span or metric attributes (matched case-insensitively). */
export const DEFAULT_REDACTED_KEYS: readonly string[] = Object.freeze([
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
  'x-api-key',
  'password',
  'passwd',
  'secret',
  'token',
  'api_key',
]);
