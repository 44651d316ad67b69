/**
 * The catalog: an encapsulated plugin mounted under `/api/catalog`. Its routes show params, a body validated
 * by JSON schema (a bad body answers 400: a WARN access line, not an ERROR span) and a handled 404.
 */
import type { FastifyInstance } from 'fastify';

/** A product of the catalog. */
export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly price: number;
}

const products = new Map<string, Product>([
  ['kb-01', { sku: 'kb-01', name: 'Mechanical keyboard', price: 89 }],
  ['ms-02', { sku: 'ms-02', name: 'Wireless mouse', price: 35 }],
  ['hd-03', { sku: 'hd-03', name: 'Headset', price: 59 }],
]);

const productBody = {
  type: 'object',
  required: ['sku', 'name', 'price'],
  additionalProperties: false,
  properties: {
    sku: { type: 'string', pattern: '^[a-z]{2}-[0-9]{2}$' },
    name: { type: 'string', minLength: 1 },
    price: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

/** Registers the catalog routes on an encapsulated instance. */
export async function catalogPlugin(catalog: FastifyInstance): Promise<void> {
  catalog.get('/products', async () => [...products.values()]);

  catalog.get<{ Params: { sku: string } }>('/products/:sku', async (request, reply) => {
    const product = products.get(request.params.sku);
    if (product === undefined) {
      request.log.info({ sku: request.params.sku }, 'unknown product');
      return reply.code(404).send({ error: 'unknown product', sku: request.params.sku });
    }
    return product;
  });

  catalog.post<{ Body: Product }>('/products', { schema: { body: productBody } }, async (request, reply) => {
    products.set(request.body.sku, request.body);
    request.log.info({ sku: request.body.sku }, 'product added');
    return reply.code(201).send(request.body);
  });
}
