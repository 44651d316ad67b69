/**
 * Orders: an encapsulated plugin mounted under `/api/orders`. Placing an order calls the catalog over HTTP
 * (the outgoing call carries the request's trace context, so the catalog's span joins the same trace) and
 * prices it in a `traced()` function (a child span); the invoice route fails (500: an ERROR span with the
 * exception, one error line).
 */
import { traced } from '@autotelemetry/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Product } from './catalog.ts';

interface OrderBody {
  readonly sku: string;
  readonly quantity: number;
}

const orderBody = {
  type: 'object',
  required: ['sku', 'quantity'],
  properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1, maximum: 100 } },
} as const;

/** Prices an order; a span of its own (`orders.price`) under the request's span. */
const priceOrder = traced(
  (product: Product, quantity: number): { total: number; currency: string } => ({
    total: Math.round(product.price * quantity * 100) / 100,
    currency: 'EUR',
  }),
  { name: 'orders.price' },
);

let nextOrderId = 1000;

/** Where this very server answers, to call the catalog through HTTP as another service would. */
function selfBaseUrl(request: FastifyRequest): string {
  return `http://127.0.0.1:${request.socket.localPort}`;
}

/** Registers the order routes on an encapsulated instance. */
export async function ordersPlugin(orders: FastifyInstance): Promise<void> {
  orders.post<{ Body: OrderBody }>('/', { schema: { body: orderBody } }, async (request, reply) => {
    const response = await fetch(
      `${selfBaseUrl(request)}/api/catalog/products/${encodeURIComponent(request.body.sku)}`,
    );
    if (response.status === 404) return reply.code(422).send({ error: 'unknown product', sku: request.body.sku });
    if (!response.ok) throw new Error(`catalog answered ${response.status}`);
    const product = (await response.json()) as Product;
    const price = priceOrder(product, request.body.quantity);
    const order = { id: nextOrderId++, sku: product.sku, quantity: request.body.quantity, ...price };
    request.log.info({ order_id: order.id, total: order.total }, 'order placed');
    return reply.code(201).send(order);
  });

  orders.get<{ Params: { id: string } }>('/:id/invoice', async (request) => {
    request.log.info({ order_id: request.params.id }, 'rendering invoice');
    throw new Error(`invoice renderer crashed for order ${request.params.id}`);
  });
}
