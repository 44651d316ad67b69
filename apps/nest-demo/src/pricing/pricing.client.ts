import { Injectable, Logger } from '@nestjs/common';
// biome-ignore lint/style/useImportType: Nest injects by the class emitDecoratorMetadata records, a value import.
import { Settings } from '../settings.js';

/** Calls the pricing API with plain `fetch`: the request's `traceparent` goes out with it. */
@Injectable()
export class PricingClient {
  private readonly logger = new Logger(PricingClient.name);

  constructor(private readonly settings: Settings) {}

  async unitPrice(sku: string): Promise<number | undefined> {
    const response = await fetch(`http://127.0.0.1:${this.settings.port}/api/v1/pricing/${encodeURIComponent(sku)}`);
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`pricing answered ${response.status}`);
    const { unitPrice } = (await response.json()) as { unitPrice: number };
    this.logger.debug(`price of ${sku}: ${unitPrice}`);
    return unitPrice;
  }
}
