/**
 * Types `req.log` on Express's `Request` (declaration merging): the request's logger, a child of the
 * pipeline's logger created on first read, whose lines carry the request's trace ids.
 */
import type { TelemetryLogger } from '@autotelemetry/core';

declare global {
  // Express declares its request type in this global namespace; merging into it types `req.log` in apps.
  namespace Express {
    interface Request {
      /**
       * The request's logger (`@autotelemetry/express`): lines carry `trace_id`/`span_id` of the request's
       * span and, under `context`, the request's method, path and `x-request-id`.
       */
      log: TelemetryLogger;
    }
  }
}
