/**
 * `TelemetryService`: the pipeline's helpers, injectable anywhere once `TelemetryModule` is imported.
 */
import { type TelemetryLogger as CoreLogger, measure, type TelemetryClient, traced } from '@autotelemetry/core';
import type { Meter, Tracer } from '@opentelemetry/api';

/** Instrumentation scope used when no tracer or meter name is given. */
export const DEFAULT_SCOPE_NAME = '@autotelemetry/nestjs';

/**
 * The running pipeline's logger, tracer, meter, `traced` and `measure`, for providers and controllers:
 *
 * ```ts
 * @Injectable()
 * export class OrdersService {
 *   private readonly log = this.telemetry.getLogger('orders');
 *   constructor(private readonly telemetry: TelemetryService) {}
 * }
 * ```
 */
export class TelemetryService {
  /** `traced(fn, options?)` from the core: wraps a function so each call runs in a span. */
  readonly traced: typeof traced = traced;
  /** `measure(name, fn, options?)` from the core: a data operation with span, metrics and a summary line. */
  readonly measure: typeof measure = measure;

  /** @param client the pipeline's client (the module provides it). */
  constructor(readonly client: TelemetryClient) {}

  /**
   * The JSON logger (pino, the log schema); with a name, lines carry `logger: name`. Inside a request its
   * lines carry the request's `trace_id`/`span_id`.
   */
  getLogger(name?: string): CoreLogger {
    return this.client.getLogger(name);
  }

  /** A tracer of the pipeline (`@autotelemetry/nestjs` when no name is given). */
  getTracer(name: string = DEFAULT_SCOPE_NAME, version?: string): Tracer {
    return this.client.getTracer(name, version);
  }

  /** A meter of the pipeline (`@autotelemetry/nestjs` when no name is given). */
  getMeter(name: string = DEFAULT_SCOPE_NAME, version?: string): Meter {
    return this.client.getMeter(name, version);
  }
}
