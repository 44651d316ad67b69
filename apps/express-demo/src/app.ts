/**
 * A small shop service on Express 5 with `app.use(autotelemetry())` — the only telemetry line. What it shows:
 *
 * - routers mounted under `/api/...` with params: spans are named by the full template
 *   (`GET /api/catalog/products/:sku`), and so are the metric series and access lines;
 * - an async order handler that calls the service's own inventory route with `fetch`: the call carries
 *   `traceparent`, so the inventory request joins the order's trace;
 * - `traced()` around a business function: a child span of the request's;
 * - `req.log` and a named logger: their lines carry the request's trace ids;
 * - a handled 404 and a 400 that are not errors, a 409 business refusal, and a failing route whose rejection
 *   reaches the app's own error handler: ERROR span with an exception event and an error line; under it the
 *   `traced()` invoice renderer and its call to a billing service that answers 503;
 * - in development, the telemetry viewer at http://127.0.0.1:8001/_telemetry/ shows all of it.
 */
import { getTelemetry, type TelemetryOptions, traced } from '@autotelemetry/core';
import { autotelemetry } from '@autotelemetry/express';
import express, { type NextFunction, type Request, type Response } from 'express';

/** The demo's service name (`company.service`). */
export const SERVICE_NAME = 'demo.shop';

interface Product {
  readonly sku: string;
  readonly name: string;
  readonly price: number;
}

const PRODUCTS: ReadonlyMap<string, Product> = new Map(
  [
    { sku: 'kb-01', name: 'Mechanical keyboard', price: 89 },
    { sku: 'ms-02', name: 'Wireless mouse', price: 35 },
    { sku: 'mn-03', name: '27" monitor', price: 279 },
  ].map((p) => [p.sku, p]),
);

const STOCK = new Map<string, number>([
  ['kb-01', 12],
  ['ms-02', 40],
  ['mn-03', 0],
]);

/** An error with the HTTP status the error handler should answer. */
class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

let nextOrderId = 1000;

/** Prices an order: a span of its own (`orders.price`) under the request's. */
const priceOrder = traced(
  (product: Product, quantity: number) => {
    const subtotal = product.price * quantity;
    const shipping = subtotal >= 100 ? 0 : 7;
    return { subtotal, shipping, total: subtotal + shipping };
  },
  { name: 'orders.price' },
);

/**
 * Renders an invoice through the billing service (`billing.render_invoice`, a span under the request's),
 * which is down: its answer is a 503, the outgoing call's span is an ERROR, and the rejection reaches the
 * app's error handler.
 */
const renderInvoice = traced(
  async (baseUrl: string, orderId: string) => {
    const response = await fetch(`${baseUrl}/api/billing/invoices/${encodeURIComponent(orderId)}`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`invoice service unavailable for order ${orderId} (${response.status})`);
  },
  { name: 'billing.render_invoice' },
);

/** Stands for the billing service, in maintenance: every call answers 503. */
function billingRouter(): express.Router {
  const billing = express.Router();
  billing.get('/invoices/:id', (_req, res) => {
    res.status(503).json({ error: 'billing is under maintenance' });
  });
  return billing;
}

function catalogRouter(): express.Router {
  const catalog = express.Router();
  catalog.get('/products', (_req, res) => {
    res.json([...PRODUCTS.values()]);
  });
  catalog.get('/products/:sku', (req, res) => {
    const product = PRODUCTS.get(req.params.sku);
    if (product === undefined) {
      res.status(404).json({ error: `no product ${req.params.sku}` });
      return;
    }
    res.json(product);
  });
  return catalog;
}

function inventoryRouter(): express.Router {
  const inventory = express.Router();
  inventory.get('/:sku', async (req, res) => {
    // Stands for a database read.
    await new Promise((resolve) => setTimeout(resolve, 3));
    res.json({ sku: req.params.sku, available: STOCK.get(req.params.sku) ?? 0 });
  });
  return inventory;
}

function ordersRouter(): express.Router {
  const orders = express.Router();
  orders.post('/', async (req: Request, res: Response) => {
    const { sku, quantity } = (req.body ?? {}) as { sku?: unknown; quantity?: unknown };
    if (typeof sku !== 'string' || !Number.isInteger(quantity) || (quantity as number) < 1) {
      res.status(400).json({ error: 'expected {"sku": string, "quantity": positive integer}' });
      return;
    }
    const product = PRODUCTS.get(sku);
    if (product === undefined) throw new HttpError(404, `no product ${sku}`);
    // An outgoing call to this same service: it carries the order's trace context.
    const stockResponse = await fetch(`${req.protocol}://${req.get('host')}/api/inventory/${encodeURIComponent(sku)}`);
    const { available } = (await stockResponse.json()) as { available: number };
    if (available < (quantity as number)) {
      req.log.warn('order refused: not enough stock', { sku, requested: quantity, available });
      res.status(409).json({ error: 'not enough stock', available });
      return;
    }
    const price = priceOrder(product, quantity as number);
    const order = { order_id: nextOrderId++, sku, quantity, ...price };
    STOCK.set(sku, available - (quantity as number));
    req.log.info('order placed', { order_id: order.order_id, total: order.total });
    res.status(201).json(order);
  });
  orders.get('/:id/invoice', async (req) => {
    getTelemetry()?.getLogger('billing').info('rendering invoice', { order_id: req.params.id });
    await renderInvoice(`${req.protocol}://${req.get('host')}`, req.params.id);
  });
  return orders;
}

/** The app's own error handler: answers JSON; telemetry records the error before it runs. */
function errorHandler(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const status = error instanceof HttpError ? error.status : 500;
  res.status(status).json({ error: status >= 500 ? 'internal error' : (error as Error).message });
}

/** Builds the service. `options` go to the telemetry pipeline (started here if none runs). */
export function buildApp(options: TelemetryOptions = {}): express.Express {
  const app = express();
  app.use(autotelemetry({ serviceName: SERVICE_NAME, ...options }));
  app.use(express.json());
  app.use('/api/catalog', catalogRouter());
  app.use('/api/inventory', inventoryRouter());
  app.use('/api/orders', ordersRouter());
  app.use('/api/billing', billingRouter());
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(errorHandler);
  return app;
}
