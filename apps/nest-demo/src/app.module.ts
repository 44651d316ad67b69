import { TelemetryModule } from '@autotelemetry/nestjs';
import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard.js';
import { HealthController } from './health.controller.js';
import { OrdersController } from './orders/orders.controller.js';
import { OrdersService } from './orders/orders.service.js';
import { PricingClient } from './pricing/pricing.client.js';
import { PricingController } from './pricing/pricing.controller.js';
import { Settings, SettingsModule } from './settings.js';

@Module({
  imports: [
    SettingsModule,
    // The one line: the service name comes from the async settings; everything else from the environment
    // (AUTOTELEMETRY_ENVIRONMENT, OTEL_EXPORTER_OTLP_ENDPOINT, …) and the per-environment defaults.
    TelemetryModule.forRootAsync({
      imports: [SettingsModule],
      inject: [Settings],
      useFactory: (settings: Settings) => ({ serviceName: settings.serviceName }),
    }),
  ],
  controllers: [OrdersController, PricingController, HealthController],
  providers: [OrdersService, PricingClient, ApiKeyGuard],
})
export class AppModule {}
