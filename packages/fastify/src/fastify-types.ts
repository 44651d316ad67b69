/**
 * What the plugin adds to Fastify's types (declaration merging): `request.telemetry` and the route config
 * flag `telemetry`.
 */
import type { HttpRequestRecord } from '@autotelemetry/core';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's telemetry record (`@autotelemetry/fastify`): its SERVER `span`, the `context` that has the
     * span active, the route template, and `fail(error)`. Undefined for a request that records nothing (an
     * excluded path, a route with `config: { telemetry: false }`, telemetry disabled).
     */
    readonly telemetry: HttpRequestRecord | undefined;
  }

  interface FastifyContextConfig {
    /** `false`: this route records no span, metric or access log line (`@autotelemetry/fastify`). */
    telemetry?: boolean;
  }
}
