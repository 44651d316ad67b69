// What every server of the suite serves, so bare, ours and official run the very same handlers:
//   BENCH_WORKLOAD=hello      GET /            -> "Hello World!"
//   BENCH_WORKLOAD=realistic  GET /orders/:id  -> awaits ~1 ms (a database round trip), answers ~2 KB of JSON
//   BENCH_WORKLOAD=param      GET /items/:id   -> "Hello World!" (the growth scenarios: many URLs, one template)
//   BENCH_WORKLOAD=database   GET /stock/:id   -> one PostgreSQL query and one Redis GET (database.cjs)
//   BENCH_ROUTES=N            N - 1 filler routes (/r<i>/orders/:id) are declared before the hot route, to see
//                             whether per-request cost grows with the route table.
'use strict';
const { setTimeout: sleep } = require('node:timers/promises');

const WORKLOADS = ['hello', 'realistic', 'param', 'database'];
const workload = WORKLOADS.includes(process.env.BENCH_WORKLOAD) ? process.env.BENCH_WORKLOAD : 'hello';
const routeCount = Math.max(1, Number(process.env.BENCH_ROUTES ?? '1') || 1);

const HELLO = 'Hello World!';

// Rows as a database would return them; the handler maps them into the response like real code does.
const ROWS = Array.from({ length: 16 }, (_, i) => ({
  sku: `SKU-${1000 + i}`,
  name: `Catalogue item number ${i} with a descriptive name`,
  quantity: (i % 5) + 1,
  unit_price_cents: 1299 + i * 17,
  warehouse: i % 2 === 0 ? 'eu-west-3a' : 'eu-central-1b',
}));

/** ~2 KB of JSON for an order id. */
function orderPayload(id) {
  let total = 0;
  const lines = ROWS.map((row) => {
    const amount = row.quantity * row.unit_price_cents;
    total += amount;
    return { ...row, amount_cents: amount };
  });
  return {
    id,
    status: 'confirmed',
    currency: 'EUR',
    customer: { id: 'c-42', tier: 'gold' },
    lines,
    total_cents: total,
  };
}

/** The realistic handler's I/O wait. */
function databaseRoundTrip() {
  return sleep(1);
}

/** Declares the filler routes with `declare(path)`, then returns the hot route's path template. */
function declareRoutes(declare, paramSyntax = ':id') {
  for (let i = 0; i < routeCount - 1; i++) declare(`/r${i}/orders/${paramSyntax}`);
  if (workload === 'hello') return '/';
  if (workload === 'database') return `/stock/${paramSyntax}`;
  return workload === 'realistic' ? `/orders/${paramSyntax}` : `/items/${paramSyntax}`;
}

module.exports = { workload, routeCount, HELLO, orderPayload, databaseRoundTrip, declareRoutes };
