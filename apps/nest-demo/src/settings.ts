/**
 * The app's settings, loaded asynchronously (as from a config service or a secret store): an async provider
 * other modules inject — `TelemetryModule.forRootAsync` takes the service name from it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Module } from '@nestjs/common';

export class Settings {
  constructor(
    readonly serviceName: string,
    readonly apiKey: string,
    readonly port: number,
  ) {}
}

/** Loads the settings; the short wait stands for a remote read. */
async function loadSettings(): Promise<Settings> {
  await sleep(5);
  return new Settings(
    process.env.SERVICE_NAME ?? 'demo.orders',
    process.env.DEMO_API_KEY ?? 'demo-key',
    Number(process.env.PORT ?? 3000),
  );
}

@Module({
  providers: [{ provide: Settings, useFactory: loadSettings }],
  exports: [Settings],
})
export class SettingsModule {}
