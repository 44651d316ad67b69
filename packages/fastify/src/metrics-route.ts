/**
 * `metricsRoute`: the pipeline's metrics in the Prometheus text format on the app's own server, a common
 * setup in Fastify apps (one port to expose and scrape). Same reader and serializer as the pipeline's own
 * endpoint, from the core; the route itself records no span, metric or access line.
 */
import { ConfigError, PROMETHEUS_TEXT_CONTENT_TYPE, renderPrometheusMetrics } from '@autotelemetry/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

async function serveMetrics(_request: FastifyRequest, reply: FastifyReply): Promise<string> {
  const text = await renderPrometheusMetrics();
  if (text === undefined) {
    reply.code(503).type('text/plain; charset=utf-8');
    return 'metrics unavailable: AutoTelemetry is not running or is disabled\n';
  }
  reply.type(PROMETHEUS_TEXT_CONTENT_TYPE);
  return text;
}

/** The path `metricsRoute` asks for, or undefined when off. Throws a ConfigError for a value it does not take. */
export function metricsRoutePath(value: unknown): string | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return '/metrics';
  if (typeof value === 'string' && value.startsWith('/')) return value;
  throw new ConfigError('metricsRoute', value, 'true, false, or a path starting with "/"');
}

/** Declares `GET <path>` (and Fastify's automatic HEAD) serving the metrics. */
export function registerMetricsRoute(fastify: FastifyInstance, path: string): void {
  fastify.route({ method: 'GET', url: path, config: { telemetry: false }, handler: serveMetrics });
}
