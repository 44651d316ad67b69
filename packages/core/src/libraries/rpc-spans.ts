/**
 * gRPC server spans by the stable RPC conventions:
 *
 * - As a server span of `@opentelemetry/instrumentation-grpc` ends (`onEnding`, before any exporter sees it),
 *   it is brought to the names the client spans (grpc.ts) already have: named `package.Service/Method`,
 *   `rpc.system.name` = `grpc`, `rpc.method` the full method, `rpc.status_code` the status name, `error.type`
 *   and ERROR only for the codes that are the server's own failure (UNKNOWN, DEADLINE_EXCEEDED,
 *   UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS: a NOT_FOUND is the answer, not a failure of the
 *   server). The instrumentation's older attributes, which the stable ones replace, go: `rpc.system`,
 *   `rpc.service`, the numeric `rpc.grpc.status_code`, and `grpc.error_name` / `grpc.error_message` (the
 *   status description stays the span's status message, as on the client span).
 *
 * `rpc.client.call.duration` and `rpc.server.call.duration` are recorded from the ended spans, with the other
 * client durations (client-metrics.ts).
 */
import { type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { GRPC_INSTRUMENTATION_SCOPE, GRPC_SYSTEM, grpcStatusName, isGrpcError } from './grpc.js';

/** The instrumentation's attributes the stable ones replace. */
const REPLACED = ['rpc.system', 'rpc.service', 'rpc.grpc.status_code', 'grpc.error_name', 'grpc.error_message'];

/** Brings a server span of the gRPC instrumentation to the stable conventions (see above). */
export function completeGrpcServerSpan(span: Span): void {
  const attributes = span.attributes;
  const service = attributes['rpc.service'];
  const shortMethod = attributes['rpc.method'];
  const method =
    typeof service === 'string' && typeof shortMethod === 'string' ? `${service}/${shortMethod}` : undefined;
  const numeric = attributes['rpc.grpc.status_code'];
  // A handler's error without a code is sent as UNKNOWN, and the instrumentation records no code for it.
  const code = typeof numeric === 'number' ? numeric : attributes['grpc.error_name'] !== undefined ? 2 : 0;
  const mutable = attributes as Record<string, unknown>;
  for (const key of REPLACED) delete mutable[key];
  span.setAttribute('rpc.system.name', GRPC_SYSTEM);
  if (method !== undefined) {
    span.setAttribute('rpc.method', method);
    span.updateName(method);
  }
  const name = grpcStatusName(code);
  span.setAttribute('rpc.status_code', name);
  if (isGrpcError(code, SpanKind.SERVER)) {
    span.setAttribute('error.type', name);
    if (span.status.code !== SpanStatusCode.ERROR) span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (span.status.code === SpanStatusCode.ERROR) {
    // The API cannot set a status back to UNSET; the SDK span's field can be, before it ends.
    (span as unknown as { status: { code: SpanStatusCode } }).status = { code: SpanStatusCode.UNSET };
  }
}

/** Completes the gRPC instrumentation's server spans as they end (see above). */
export class RpcSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    if (span.kind !== SpanKind.SERVER || span.instrumentationScope.name !== GRPC_INSTRUMENTATION_SCOPE) return;
    try {
      completeGrpcServerSpan(span);
    } catch {
      // The span ends as the instrumentation made it.
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
