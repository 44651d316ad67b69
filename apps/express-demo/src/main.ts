/**
 * Runs the demo service: `npm start` (PORT, default 3000). Try:
 *
 *   curl localhost:3000/api/catalog/products/kb-01
 *   curl -XPOST localhost:3000/api/orders -H 'content-type: application/json' -d '{"sku":"kb-01","quantity":2}'
 *   curl localhost:3000/api/orders/1000/invoice
 *   curl localhost:8000/metrics
 */
import { buildApp } from './app.ts';

const app = buildApp();
const port = Number(process.env.PORT ?? 3000);
app.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  process.stderr.write(`demo.shop listening on http://127.0.0.1:${port}\n`);
});
