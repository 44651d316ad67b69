/**
 * What `TelemetryModule` does when Nest creates its providers: start the pipeline (unless one runs), hook
 * route exceptions and the HTTP entry, and — when the module started the pipeline — stop it again when
 * the application closes, so `app.close()` releases everything (the `/metrics` server, timers) the way
 * e2e tests expect.
 */
import { getTelemetry, startTelemetry, type TelemetryClient, type TelemetryOptions } from '@autotelemetry/core';
import type { OnApplicationShutdown } from '@nestjs/common';
import { captureRouteExceptions } from './exceptions.js';
import { installHttpEntry, type NestHttpAdapterLike } from './http-entry.js';

/** The slice of Nest's `HttpAdapterHost` read here. */
export interface HttpAdapterHostLike {
  readonly httpAdapter?: NestHttpAdapterLike | null;
}

/** @internal The module's runtime: the client, and whether the module owns the pipeline. */
export class TelemetryRuntime implements OnApplicationShutdown {
  constructor(
    readonly client: TelemetryClient,
    /** Whether this module started the pipeline (and so stops it). */
    readonly ownsPipeline: boolean,
    /** Whether route exceptions reach the request spans (see exceptions.ts). */
    readonly exceptionsCaptured: boolean,
    /** Whether the HTTP entry was installed on an HTTP adapter by this module. */
    readonly httpInstalled: boolean,
  ) {}

  /** Nest's hook on `app.close()`: flushes, and stops the pipeline if this module started it. */
  async onApplicationShutdown(): Promise<void> {
    if (this.ownsPipeline && getTelemetry() === this.client) await this.client.shutdown();
    else await this.client.forceFlush();
  }
}

/**
 * Starts (or joins) the pipeline with the module's options and installs the hooks. A bad option throws the
 * core's `ConfigError`, which fails the application's bootstrap with a message naming the option.
 */
export async function createTelemetryRuntime(
  options: TelemetryOptions | undefined,
  host: HttpAdapterHostLike | undefined,
): Promise<TelemetryRuntime> {
  const ownsPipeline = getTelemetry() === undefined;
  const client = startTelemetry(options);
  const exceptionsCaptured = await captureRouteExceptions();
  if (!exceptionsCaptured) {
    client
      .getLogger('autotelemetry')
      .warn(
        'Nest exceptions are not recorded on request spans: this version of @nestjs/core has no ' +
          'exceptions/exceptions-handler.js. Spans still turn ERROR on 5xx answers.',
      );
  }
  const httpInstalled = installHttpEntry(host?.httpAdapter);
  return new TelemetryRuntime(client, ownsPipeline, exceptionsCaptured, httpInstalled);
}
