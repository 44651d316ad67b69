/**
 * gRPC spans and metrics by the stable RPC conventions:
 *
 * - As a server span of `@opentelemetry/instrumentation-grpc` ends (`onEnding`, before any exporter sees it),
 *   it is brought to the names the client spans (grpc.ts) already have: named `package.Service/Method`,
 *   `rpc.system.name` = `grpc`, `rpc.method` the full method, `rpc.status_code` the status name, `error.type`
 *   and ERROR only for the codes that are the server's own failure (UNKNOWN, DEADLINE_EXCEEDED,
 *   UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS: a NOT_FOUND is the answer, not a failure of the
 *   server). The instrumentation's older attributes, which the stable ones replace, go: `rpc.system`,
 *   `rpc.service`, the numeric `rpc.grpc.status_code`, and `grpc.error_name` / `grpc.error_message` (the
 *   status description stays the span's status message, as on the client span).
 * - `rpc.client.call.duration` and `rpc.server.call.duration` (seconds) are recorded from the ended CLIENT
 *   and SERVER spans with their low-cardinality attributes, so a series and the spans behind it agree.
 *   Cardinality is bounded as for the database metric: after {@link MAX_SERIES} attribute sets per
 *   histogram, new ones are recorded with `rpc.method` = `_OTHER`.
 */
import {
  type Attributes,
  type Context,
  type Histogram,
  type Meter,
  SpanKind,
  SpanStatusCode,
} from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { MAX_SERIES } from './client-metrics.js';
import { GRPC_INSTRUMENTATION_SCOPE, GRPC_SYSTEM, grpcStatusName, isGrpcError } from './grpc.js';

export const RPC_CLIENT_CALL_DURATION = 'rpc.client.call.duration';
export const RPC_SERVER_CALL_DURATION = 'rpc.server.call.duration';

/** The semconv buckets for RPC durations, in seconds (as for HTTP). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const KEYS = [
  'rpc.system.name',
  'rpc.method',
  'rpc.status_code',
  'server.address',
  'server.port',
  'error.type',
] as const;
const METHOD = 1;
const ERROR_TYPE = 5;

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

export class RpcSpanProcessor implements SpanProcessor {
  readonly #client: Histogram;
  readonly #server: Histogram;
  readonly #series = { client: new Map<string, Attributes>(), server: new Map<string, Attributes>() };

  constructor(meter: Meter) {
    this.#client = meter.createHistogram(RPC_CLIENT_CALL_DURATION, {
      description: 'Duration of outgoing RPCs.',
      unit: 's',
      advice: { explicitBucketBoundaries: BUCKETS },
    });
    this.#server = meter.createHistogram(RPC_SERVER_CALL_DURATION, {
      description: 'Duration of incoming RPCs.',
      unit: 's',
      advice: { explicitBucketBoundaries: BUCKETS },
    });
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    if (span.kind !== SpanKind.SERVER || span.instrumentationScope.name !== GRPC_INSTRUMENTATION_SCOPE) return;
    try {
      completeGrpcServerSpan(span);
    } catch {
      // The span ends as the instrumentation made it.
    }
  }

  onEnd(span: ReadableSpan): void {
    if (span.attributes['rpc.system.name'] !== GRPC_SYSTEM) return;
    const side = span.kind === SpanKind.CLIENT ? 'client' : span.kind === SpanKind.SERVER ? 'server' : undefined;
    if (side === undefined) return;
    try {
      const seconds = span.duration[0] + span.duration[1] / 1e9;
      const attributes = seriesOf(this.#series[side], span.attributes, span.status.code === SpanStatusCode.ERROR);
      (side === 'client' ? this.#client : this.#server).record(seconds, attributes);
    } catch {
      // A metric lost is better than a span lost.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function seriesOf(series: Map<string, Attributes>, span: Attributes, failed: boolean): Attributes {
  const values: unknown[] = KEYS.map((key) => span[key]);
  if (failed && values[ERROR_TYPE] === undefined) values[ERROR_TYPE] = '_OTHER';
  const key = values.join('\u0000');
  let attributes = series.get(key);
  if (attributes !== undefined) return attributes;
  if (series.size >= MAX_SERIES) {
    values[METHOD] = '_OTHER';
    const overflow = values.join('\u0000');
    attributes = series.get(overflow) ?? build(values);
    series.set(overflow, attributes);
    return attributes;
  }
  attributes = build(values);
  series.set(key, attributes);
  return attributes;
}

function build(values: readonly unknown[]): Attributes {
  const attributes: Attributes = {};
  KEYS.forEach((key, i) => {
    const value = values[i];
    if (typeof value === 'string' || typeof value === 'number') attributes[key] = value;
  });
  return Object.freeze(attributes);
}
