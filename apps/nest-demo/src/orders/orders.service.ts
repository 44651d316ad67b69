// biome-ignore lint/style/useImportType: Nest reads the class emitDecoratorMetadata records (DI, ValidationPipe), a value import.
import { TelemetryService, Traced } from '@autotelemetry/nestjs';
import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
// biome-ignore lint/style/useImportType: Nest injects by the class emitDecoratorMetadata records, a value import.
import { PricingClient } from '../pricing/pricing.client.js';
import type { CreateOrderDto } from './create-order.dto.js';

export interface Order {
  readonly id: number;
  readonly sku: string;
  readonly quantity: number;
  readonly total: number;
}

@Injectable()
export class OrdersService {
  private readonly orders = new Map<number, Order>();
  private nextId = 1000;
  private readonly log: ReturnType<TelemetryService['getLogger']>;

  constructor(
    private readonly pricing: PricingClient,
    private readonly telemetry: TelemetryService,
  ) {
    this.log = telemetry.getLogger('orders');
  }

  /** Prices the order through the pricing API (an outgoing call) and stores it. Span `orders.place`. */
  @Traced('orders.place')
  async place(dto: CreateOrderDto): Promise<Order> {
    const unitPrice = await this.pricing.unitPrice(dto.sku);
    if (unitPrice === undefined) throw new UnprocessableEntityException(`unknown sku ${dto.sku}`);
    const order: Order = { id: this.nextId++, sku: dto.sku, quantity: dto.quantity, total: unitPrice * dto.quantity };
    this.orders.set(order.id, order);
    this.log.info('order placed', { order_id: order.id, total: order.total });
    return order;
  }

  find(id: number): Order {
    const order = this.orders.get(id);
    if (order === undefined) throw new NotFoundException(`order ${id} not found`);
    return order;
  }

  /** Re-prices every stored order: a batch operation measured with `measure()` (span, duration, rows). */
  reprice(): Promise<number> {
    return this.telemetry.measure(
      'orders.reprice',
      async () => {
        for (const order of this.orders.values()) {
          const unitPrice = await this.pricing.unitPrice(order.sku);
          if (unitPrice !== undefined) this.orders.set(order.id, { ...order, total: unitPrice * order.quantity });
        }
        return this.orders.size;
      },
      { rows: (count) => count },
    );
  }
}
