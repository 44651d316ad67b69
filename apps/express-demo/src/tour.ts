/**
 * `npm run tour`: starts the demo on a free port, sends one request of each kind, prints what came back,
 * and exits (the pipeline flushes at exit). The log lines and spans it prints are the point.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTelemetry } from '@autotelemetry/core';
import { buildApp } from './app.ts';

/** The requests of the tour: what each one shows. */
export const TOUR: readonly {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}[] = [
  { what: 'list (mounted router)', method: 'GET', path: '/api/catalog/products' },
  { what: 'params', method: 'GET', path: '/api/catalog/products/kb-01' },
  { what: 'handled 404', method: 'GET', path: '/api/catalog/products/zz-99' },
  { what: 'validation error (400)', method: 'POST', path: '/api/orders', body: { sku: 'kb-01' } },
  {
    what: 'async handler + outgoing call + traced()',
    method: 'POST',
    path: '/api/orders',
    body: { sku: 'ms-02', quantity: 3 },
  },
  { what: 'business refusal (409)', method: 'POST', path: '/api/orders', body: { sku: 'mn-03', quantity: 1 } },
  { what: 'failing route (500)', method: 'GET', path: '/api/orders/1000/invoice' },
  { what: 'no route (404)', method: 'GET', path: '/nowhere' },
  { what: 'excluded probe', method: 'GET', path: '/health' },
];

/** Sends the tour's requests to `baseUrl`; resolves with each answer's status. */
export async function runTour(baseUrl: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const step of TOUR) {
    const response = await fetch(`${baseUrl}${step.path}`, {
      method: step.method,
      headers: step.body === undefined ? {} : { 'content-type': 'application/json' },
      body: step.body === undefined ? undefined : JSON.stringify(step.body),
    });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

if (import.meta.main) {
  const app = buildApp();
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const statuses = await runTour(`http://127.0.0.1:${port}`);
  TOUR.forEach((step, i) => {
    process.stderr.write(`tour: ${step.method} ${step.path} -> ${statuses[i]} (${step.what})\n`);
  });
  server.close();
  await getTelemetry()?.shutdown();
}
