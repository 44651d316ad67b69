/**
 * The demo's entry: `npm run build && npm start` (then `npm run tour` in another shell). Development mode by
 * default: readable log lines and compact span lines on the console. `AUTOTELEMETRY_ENVIRONMENT=production`
 * gives JSON lines and OTLP export to `OTEL_EXPORTER_OTLP_ENDPOINT`.
 */
import 'reflect-metadata';
import { TelemetryLogger } from '@autotelemetry/nestjs';
import { ValidationPipe, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { Settings } from './settings.js';

async function bootstrap(): Promise<void> {
  // Nest's own lines (bootstrap, route mapping, exceptions) are held until TelemetryLogger takes over.
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  app.useLogger(app.get(TelemetryLogger));
  app.setGlobalPrefix('api', { exclude: ['health'] });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  const { port } = app.get(Settings);
  await app.listen(port, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  app.get(TelemetryLogger).log(`listening on http://127.0.0.1:${address.port}`, 'Bootstrap');
}

void bootstrap();
