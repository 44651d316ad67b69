import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, UseGuards, Version } from '@nestjs/common';
import { ApiKeyGuard } from '../api-key.guard.js';
// biome-ignore lint/style/useImportType: Nest reads the class emitDecoratorMetadata records (DI, ValidationPipe), a value import.
import { CreateOrderDto } from './create-order.dto.js';
// biome-ignore lint/style/useImportType: Nest injects by the class emitDecoratorMetadata records, a value import.
import { type Order, OrdersService } from './orders.service.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @UseGuards(ApiKeyGuard)
  place(@Body() dto: CreateOrderDto): Promise<Order> {
    return this.orders.place(dto);
  }

  @Get(':id')
  find(@Param('id', ParseIntPipe) id: number): Order {
    return this.orders.find(id);
  }

  /** Version 2 of the same resource: `GET /api/v2/orders/:id`. */
  @Get(':id')
  @Version('2')
  findV2(@Param('id', ParseIntPipe) id: number): { order: Order; links: { self: string } } {
    return { order: this.orders.find(id), links: { self: `/api/v2/orders/${id}` } };
  }

  /** The invoice service is down: an unexpected error, answered 500 by Nest, an ERROR span with the exception. */
  @Get(':id/invoice')
  invoice(@Param('id', ParseIntPipe) id: number): never {
    this.orders.find(id);
    throw new Error('invoice service timed out');
  }

  @Post('reprice')
  @HttpCode(200)
  @UseGuards(ApiKeyGuard)
  async reprice(): Promise<{ repriced: number }> {
    return { repriced: await this.orders.reprice() };
  }
}
