/**
 * A walk through every endpoint of a running demo (`npm run tour`, PORT as the demo's): what each request
 * shows is in the README of @autotelemetry/nestjs. Prints each answer's status.
 */

/** One request of the tour. */
export interface TourStep {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly apiKey?: boolean;
  /** What it shows. */
  readonly note: string;
}

export const TOUR: readonly TourStep[] = [
  { method: 'GET', path: '/health', note: 'excluded path: no span, no metric' },
  { method: 'POST', path: '/api/v1/orders', body: { sku: 'CAT-FOOD', quantity: 2 }, note: 'guard: 401' },
  {
    method: 'POST',
    path: '/api/v1/orders',
    body: { sku: 'cat food', quantity: 0 },
    apiKey: true,
    note: 'validation pipe: 400',
  },
  {
    method: 'POST',
    path: '/api/v1/orders',
    body: { sku: 'CAT-FOOD', quantity: 2 },
    apiKey: true,
    note: 'outgoing call to pricing, traced service method: 201',
  },
  { method: 'GET', path: '/api/v1/orders/1000', note: 'version 1: 200' },
  { method: 'GET', path: '/api/v2/orders/1000', note: 'version 2: 200' },
  { method: 'GET', path: '/api/v1/orders/999', note: 'HttpException 404: not an error' },
  { method: 'GET', path: '/api/v1/orders/1000/invoice', note: 'unexpected error: 500, ERROR span' },
  { method: 'POST', path: '/api/v1/orders/reprice', apiKey: true, note: 'measure(): 200' },
];

/** Runs the tour against `base` and returns the statuses, in order. */
export async function runTour(base: string, apiKey = process.env.DEMO_API_KEY ?? 'demo-key'): Promise<number[]> {
  const statuses: number[] = [];
  for (const step of TOUR) {
    const headers: Record<string, string> = {};
    if (step.body !== undefined) headers['content-type'] = 'application/json';
    if (step.apiKey === true) headers['x-api-key'] = apiKey;
    const response = await fetch(`${base}${step.path}`, {
      method: step.method,
      headers,
      body: step.body === undefined ? undefined : JSON.stringify(step.body),
    });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const base = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  const statuses = await runTour(base);
  TOUR.forEach((step, i) => {
    console.log(`${statuses[i]}  ${step.method} ${step.path}  — ${step.note}`);
  });
}
