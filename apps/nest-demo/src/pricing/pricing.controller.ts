import { Controller, Get, NotFoundException, Param } from '@nestjs/common';

const PRICES: Readonly<Record<string, number>> = { 'CAT-FOOD': 12.5, 'CAT-TOY': 4, SCRATCHER: 35 };

/** The pricing API the orders service calls over HTTP (the same process here, another service in real life). */
@Controller('pricing')
export class PricingController {
  @Get(':sku')
  price(@Param('sku') sku: string): { sku: string; unitPrice: number } {
    const unitPrice = PRICES[sku];
    if (unitPrice === undefined) throw new NotFoundException(`no price for ${sku}`);
    return { sku, unitPrice };
  }
}
