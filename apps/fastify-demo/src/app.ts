/**
 * The demo service: Fastify logging through AutoTelemetry, the plugin (with `/metrics` on the app's own
 * port), and two encapsulated plugins with prefixes.
 */

import type { TelemetryOptions } from '@autotelemetry/core';
import { autotelemetry, autotelemetryLogging } from '@autotelemetry/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { catalogPlugin } from './plugins/catalog.ts';
import { ordersPlugin } from './plugins/orders.ts';

/** The service's name under the naming standard (`company.service`). */
export const SERVICE_NAME = 'shop.fastify-demo';

/** Builds the app (not listening). `options` are AutoTelemetry's, for a pipeline not started yet. */
export async function buildApp(options: TelemetryOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ ...autotelemetryLogging({ serviceName: SERVICE_NAME, ...options }) });
  await app.register(autotelemetry, { metricsRoute: true });
  await app.register(catalogPlugin, { prefix: '/api/catalog' });
  await app.register(ordersPlugin, { prefix: '/api/orders' });
  // Excluded by default: no span, metric or access line for probes.
  app.get('/health', async () => ({ status: 'ok' }));
  return app;
}
