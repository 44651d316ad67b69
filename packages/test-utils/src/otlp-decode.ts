/**
 * Decodes OTLP protobuf payloads (the bytes an exporter really sends) into plain objects tests can read.
 *
 * The schema is this repository's own subset of the OTLP `.proto` files (see `proto/`), loaded with protobufjs,
 * so a field the exporter puts at the wrong number, or a payload that is not OTLP at all, fails here.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** An attribute or log body value as decoded from an OTLP `AnyValue`. */
export type AttributeValue =
  | string
  | number
  | boolean
  | Uint8Array
  | readonly AttributeValue[]
  | { readonly [key: string]: AttributeValue };

/** Decoded key/value attributes. */
export type Attributes = Record<string, AttributeValue>;

/** The signal a payload carries. */
export type Signal = 'traces' | 'metrics' | 'logs';

/** How a payload reached the receiver. */
export type Transport = 'grpc' | 'http/protobuf';

/** Common to every decoded item: where it came from. */
export interface ReceivedItemBase {
  /** Resource attributes of the item's `Resource*` envelope. */
  readonly resource: Attributes;
  /** Instrumentation scope that produced the item. */
  readonly scope: { readonly name: string; readonly version: string };
  /** The wire protocol the exporter used. */
  readonly transport: Transport;
}

/** A span as a collector received it. Ids are lower-case hex, times are nanoseconds since the epoch. */
export interface ReceivedSpan extends ReceivedItemBase {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty string for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly events: readonly { readonly name: string; readonly timeUnixNano: bigint; readonly attributes: Attributes }[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string };
}

/** One data point of a decoded metric. Number points carry `value`; histogram points carry the rest. */
export interface ReceivedDataPoint {
  readonly attributes: Attributes;
  readonly timeUnixNano: bigint;
  readonly value?: number;
  readonly count?: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly bucketCounts?: readonly number[];
  readonly explicitBounds?: readonly number[];
}

/** A metric (one export's worth of its points) as a collector received it. */
export interface ReceivedMetric extends ReceivedItemBase {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  /** `unknown` for exponential histograms and summaries, which this schema does not decode. */
  readonly type: 'gauge' | 'sum' | 'histogram' | 'unknown';
  /** For sums: whether the sum only grows. */
  readonly monotonic?: boolean;
  /** 1 delta, 2 cumulative (sums and histograms). */
  readonly temporality?: number;
  readonly points: readonly ReceivedDataPoint[];
}

/** A log record as a collector received it. `traceId`/`spanId` are empty strings when the record had none. */
export interface ReceivedLogRecord extends ReceivedItemBase {
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: AttributeValue | undefined;
  readonly attributes: Attributes;
  readonly traceId: string;
  readonly spanId: string;
  readonly eventName: string;
}

const PROTO_ROOT = fileURLToPath(new URL('../proto/', import.meta.url));

const SCHEMA_FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
];

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  if (!root) {
    const loaded = new protobuf.Root();
    loaded.resolvePath = (_origin, target) => PROTO_ROOT + target;
    loaded.loadSync(SCHEMA_FILES, { keepCase: false });
    root = loaded;
  }
  return root;
}

const SERVICE: Record<Signal, { readonly pkg: string; readonly name: string }> = {
  traces: { pkg: 'opentelemetry.proto.collector.trace.v1', name: 'Trace' },
  metrics: { pkg: 'opentelemetry.proto.collector.metrics.v1', name: 'Metrics' },
  logs: { pkg: 'opentelemetry.proto.collector.logs.v1', name: 'Logs' },
};

/** The gRPC method path of a signal's `Export` call, as the OTLP specification names it. */
export function grpcExportPath(signal: Signal): string {
  const { pkg, name } = SERVICE[signal];
  return `/${pkg}.${name}Service/Export`;
}

/** Encodes an empty (fully successful) `Export*ServiceResponse` for a signal. */
export function encodeExportResponse(signal: Signal): Uint8Array {
  const { pkg, name } = SERVICE[signal];
  const type = schema().lookupType(`${pkg}.Export${name}ServiceResponse`);
  return type.encode(type.create({})).finish();
}

// Decoded protobufjs objects are untyped by nature; these shapes name only what the mapping below reads.
type Obj = Record<string, unknown>;

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, defaults: true, arrays: true };

function hex(bytes: unknown): string {
  return bytes instanceof Uint8Array ? Buffer.from(bytes).toString('hex') : '';
}

function nanos(value: unknown): bigint {
  return typeof value === 'string' || typeof value === 'number' ? BigInt(value) : 0n;
}

function num(value: unknown): number {
  return typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : 0;
}

function anyValue(value: unknown): AttributeValue | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Obj;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue as string;
    case 'boolValue':
      return v.boolValue as boolean;
    case 'intValue':
      return num(v.intValue);
    case 'doubleValue':
      return v.doubleValue as number;
    case 'bytesValue':
      return v.bytesValue as Uint8Array;
    case 'arrayValue':
      return ((v.arrayValue as Obj).values as unknown[]).map((item) => anyValue(item) ?? '');
    case 'kvlistValue':
      return attributes((v.kvlistValue as Obj).values);
    default:
      return undefined;
  }
}

function attributes(list: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of (list as Obj[] | undefined) ?? []) {
    const value = anyValue(kv.value);
    if (value !== undefined) out[kv.key as string] = value;
  }
  return out;
}

function scopeOf(scope: unknown): { name: string; version: string } {
  const s = (scope as Obj | null) ?? {};
  return { name: (s.name as string) ?? '', version: (s.version as string) ?? '' };
}

function decodeRequest(signal: Signal, payload: Uint8Array): Obj {
  const { pkg, name } = SERVICE[signal];
  const type = schema().lookupType(`${pkg}.Export${name}ServiceRequest`);
  return type.toObject(type.decode(payload), { ...TO_OBJECT, oneofs: true });
}

/** Decodes an `ExportTraceServiceRequest`. Throws on bytes that are not one. */
export function decodeTraces(payload: Uint8Array, transport: Transport): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of decodeRequest('traces', payload).resourceSpans as Obj[]) {
    const resource = attributes((rs.resource as Obj | null)?.attributes);
    for (const ss of rs.scopeSpans as Obj[]) {
      const scope = scopeOf(ss.scope);
      for (const span of ss.spans as Obj[]) {
        const status = (span.status as Obj | null) ?? {};
        out.push({
          resource,
          scope,
          transport,
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          traceState: span.traceState as string,
          name: span.name as string,
          kind: span.kind as number,
          startTimeUnixNano: nanos(span.startTimeUnixNano),
          endTimeUnixNano: nanos(span.endTimeUnixNano),
          attributes: attributes(span.attributes),
          events: (span.events as Obj[]).map((e) => ({
            name: e.name as string,
            timeUnixNano: nanos(e.timeUnixNano),
            attributes: attributes(e.attributes),
          })),
          status: { code: (status.code as number) ?? 0, message: (status.message as string) ?? '' },
        });
      }
    }
  }
  return out;
}

function numberPoint(p: Obj): ReceivedDataPoint {
  return {
    attributes: attributes(p.attributes),
    timeUnixNano: nanos(p.timeUnixNano),
    value: p.value === 'asInt' ? num(p.asInt) : num(p.asDouble),
  };
}

function histogramPoint(p: Obj): ReceivedDataPoint {
  return {
    attributes: attributes(p.attributes),
    timeUnixNano: nanos(p.timeUnixNano),
    count: num(p.count),
    ...(p.sum !== undefined && p.sum !== null ? { sum: p.sum as number } : {}),
    ...(p.min !== undefined && p.min !== null ? { min: p.min as number } : {}),
    ...(p.max !== undefined && p.max !== null ? { max: p.max as number } : {}),
    bucketCounts: (p.bucketCounts as unknown[]).map(num),
    explicitBounds: p.explicitBounds as number[],
  };
}

/** Decodes an `ExportMetricsServiceRequest`. Throws on bytes that are not one. */
export function decodeMetrics(payload: Uint8Array, transport: Transport): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const rm of decodeRequest('metrics', payload).resourceMetrics as Obj[]) {
    const resource = attributes((rm.resource as Obj | null)?.attributes);
    for (const sm of rm.scopeMetrics as Obj[]) {
      const scope = scopeOf(sm.scope);
      for (const m of sm.metrics as Obj[]) {
        const base = {
          resource,
          scope,
          transport,
          name: m.name as string,
          description: m.description as string,
          unit: m.unit as string,
        };
        if (m.data === 'gauge') {
          out.push({ ...base, type: 'gauge', points: ((m.gauge as Obj).dataPoints as Obj[]).map(numberPoint) });
        } else if (m.data === 'sum') {
          const sum = m.sum as Obj;
          out.push({
            ...base,
            type: 'sum',
            monotonic: sum.isMonotonic as boolean,
            temporality: sum.aggregationTemporality as number,
            points: (sum.dataPoints as Obj[]).map(numberPoint),
          });
        } else if (m.data === 'histogram') {
          const h = m.histogram as Obj;
          out.push({
            ...base,
            type: 'histogram',
            temporality: h.aggregationTemporality as number,
            points: (h.dataPoints as Obj[]).map(histogramPoint),
          });
        } else {
          out.push({ ...base, type: 'unknown', points: [] });
        }
      }
    }
  }
  return out;
}

/** Decodes an `ExportLogsServiceRequest`. Throws on bytes that are not one. */
export function decodeLogs(payload: Uint8Array, transport: Transport): ReceivedLogRecord[] {
  const out: ReceivedLogRecord[] = [];
  for (const rl of decodeRequest('logs', payload).resourceLogs as Obj[]) {
    const resource = attributes((rl.resource as Obj | null)?.attributes);
    for (const sl of rl.scopeLogs as Obj[]) {
      const scope = scopeOf(sl.scope);
      for (const r of sl.logRecords as Obj[]) {
        out.push({
          resource,
          scope,
          transport,
          timeUnixNano: nanos(r.timeUnixNano),
          observedTimeUnixNano: nanos(r.observedTimeUnixNano),
          severityNumber: r.severityNumber as number,
          severityText: r.severityText as string,
          body: anyValue(r.body),
          attributes: attributes(r.attributes),
          traceId: hex(r.traceId),
          spanId: hex(r.spanId),
          eventName: r.eventName as string,
        });
      }
    }
  }
  return out;
}
