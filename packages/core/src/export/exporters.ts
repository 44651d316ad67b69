/**
 * Where each signal goes, by config: spans to the console (compact lines), memory, OTLP (gRPC or
 * http/protobuf), Zipkin or nowhere; metrics and log records to OTLP when it is on. Network exporters are
 * imported lazily (see resilient-exporter.ts), and every queue is bounded.
 */
import type { LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { Config } from '../config/types.js';
import type { MetricCellStore } from '../metrics/cell-store.js';
import type { Notices } from '../notices.js';
import { BatchEncoder, type EncodedBatch } from '../otlp/batch-encoder.js';
import { LogsSerializer } from '../otlp/logs-serializer.js';
import { type Grouped, type OtlpSerializer, SharedEncodings, TraceSerializer } from '../otlp/trace-serializer.js';
import { CompactConsoleSpanExporter } from './console-span-exporter.js';
import { EncodedQueue, EncodingLogRecordProcessor, EncodingSpanProcessor } from './encoded-queue.js';
import type { ExitExportSources } from './exit-sender.js';
import { ExportHealth } from './export-health.js';
import { BoundedMemorySpanExporter } from './memory-exporters.js';
import { withOwnedAgents } from './owned-http-agent.js';
import { type ExporterLike, ResilientExporter } from './resilient-exporter.js';

/**
 * Batch sizes and bounds of the export queues: full queues drop (and count) instead of growing. The OTLP
 * queues (encoded-queue.ts) hold encoded requests, bounded by bytes; Zipkin's batch processor holds spans,
 * bounded by count.
 */
export const QUEUE_LIMITS = Object.freeze({
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 1000,
  exportTimeoutMillis: 10_000,
  maxQueuedBytes: 4 * 1024 * 1024,
});

/** Timeout of one OTLP export, retries included; `OTEL_EXPORTER_OTLP_TIMEOUT` overrides it. */
const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

function otlpTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = Number(env.OTEL_EXPORTER_OTLP_TIMEOUT);
  return Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_OTLP_TIMEOUT_MS;
}

/** Default metric export interval; `OTEL_METRIC_EXPORT_INTERVAL` overrides it. */
const DEFAULT_METRIC_INTERVAL_MS = 15_000;

/** The exporting half of the pipeline, built from the config. */
export interface PipelineExporters {
  /** Processor for spans, undefined with `traceExporter: 'none'`. */
  readonly spanProcessor: SpanProcessor | undefined;
  /** Kept spans in `memory` mode. */
  readonly memorySpans: BoundedMemorySpanExporter | undefined;
  /** Periodic OTLP metric reader, when OTLP is on. */
  readonly metricReader: PeriodicExportingMetricReader | undefined;
  /** Log record processor, when OTLP is on. */
  readonly logProcessor: LogRecordProcessor | undefined;
  /** Health of each network destination (one per collector). */
  readonly healths: readonly ExportHealth[];
  /** What a synchronous export at exit can reach (encoded-queue.ts, exit-sender.ts), when spans or logs go to OTLP. */
  readonly exitExport: ExitExportSources | undefined;
}

function metricIntervalMs(env: NodeJS.ProcessEnv): number {
  const raw = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return Number.isFinite(raw) && raw >= 100 ? raw : DEFAULT_METRIC_INTERVAL_MS;
}

const countArray = (items: readonly unknown[]): number => items.length;

function countDataPoints(metrics: ResourceMetrics): number {
  let count = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) count += metric.dataPoints.length;
  return count;
}

/** `http://host:4318` + `/v1/traces`, as the OTLP specification derives per-signal URLs from a base endpoint. */
function signalUrl(base: string, signal: 'traces' | 'metrics' | 'logs'): string {
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/**
 * Each loader imports its exporter module only when called. The gRPC ones bring in @grpc/grpc-js, the
 * heaviest dependency of the pipeline; a config using http/protobuf never pays for it.
 */
/** What differs between the span and the log OTLP exporters. */
interface OtlpSignal<Item extends Grouped> {
  readonly signal: 'TRACES' | 'LOGS';
  readonly path: 'traces' | 'logs';
  readonly grpcService: string;
  readonly grpcMethod: string;
  /** The item name of the SDK's exporter self-metrics. */
  readonly itemName: 'span' | 'log';
  deserializeResponse(transformer: typeof import('@opentelemetry/otlp-transformer')): (data: Uint8Array) => unknown;
  /** A new encoder of this signal's requests. */
  encoder(): BatchEncoder<Item>;
}

// The encoders never read a response.
const noResponse = (): undefined => undefined;

const SPANS: OtlpSignal<ReadableSpan> = {
  signal: 'TRACES',
  path: 'traces',
  grpcService: 'TraceExportService',
  grpcMethod: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  itemName: 'span',
  deserializeResponse: (t) => t.ProtobufTraceSerializer.deserializeResponse,
  encoder() {
    const shared = new SharedEncodings();
    return new BatchEncoder(shared, new TraceSerializer(noResponse, shared).writeSpan);
  },
};

const LOGS: OtlpSignal<ReadableLogRecord> = {
  signal: 'LOGS',
  path: 'logs',
  grpcService: 'LogsExportService',
  grpcMethod: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  itemName: 'log',
  deserializeResponse: (t) => t.ProtobufLogsSerializer.deserializeResponse,
  encoder() {
    const shared = new SharedEncodings();
    return new BatchEncoder(shared, new LogsSerializer(noResponse, shared).writeRecord);
  },
};

const countBatch = (batch: EncodedBatch): number => batch.count;

/**
 * The SDK's OTLP exporter of a signal, sending requests already encoded by the core (otlp/batch-encoder.ts:
 * the SDK serializer's bytes, encoded as the items end). Built from the public parts the SDK's own exporter
 * classes are made of; gRPC or http/protobuf per the config.
 */
function otlpLoader<Item extends Grouped>(
  config: Config,
  timeoutMillis: number,
  kind: OtlpSignal<Item>,
): () => Promise<ExporterLike<EncodedBatch>> {
  type Delegate = ConstructorParameters<
    typeof import('@opentelemetry/otlp-exporter-base').OTLPExporterBase<EncodedBatch>
  >[0];
  const serializer = (
    transformer: typeof import('@opentelemetry/otlp-transformer'),
  ): OtlpSerializer<EncodedBatch, unknown> => ({
    serializeRequest: (batch) => batch.bytes,
    deserializeResponse: kind.deserializeResponse(transformer),
  });
  const metricsHelper = { name: kind.itemName, countItems: countBatch };
  if (config.otlpProtocol === 'grpc') {
    return async () => {
      const [{ OTLPExporterBase }, grpc, transformer] = await Promise.all([
        import('@opentelemetry/otlp-exporter-base'),
        import('@opentelemetry/otlp-grpc-exporter-base'),
        import('@opentelemetry/otlp-transformer'),
      ]);
      const delegate = grpc.createOtlpGrpcExportDelegate(
        grpc.convertLegacyOtlpGrpcOptions({ url: config.otlpEndpoint, timeoutMillis }, kind.signal),
        serializer(transformer) as Parameters<typeof grpc.createOtlpGrpcExportDelegate>[1],
        `otlp_grpc_${kind.signal === 'TRACES' ? 'span' : 'log'}_exporter`,
        metricsHelper as Parameters<typeof grpc.createOtlpGrpcExportDelegate>[3],
        undefined,
        kind.grpcService,
        kind.grpcMethod,
      );
      return new OTLPExporterBase<EncodedBatch>(delegate as Delegate);
    };
  }
  return async () => {
    const [{ OTLPExporterBase }, http, transformer] = await Promise.all([
      import('@opentelemetry/otlp-exporter-base'),
      import('@opentelemetry/otlp-exporter-base/node-http'),
      import('@opentelemetry/otlp-transformer'),
    ]);
    return withOwnedAgents((httpAgentOptions) => {
      const delegate = http.createOtlpHttpExportDelegate(
        http.convertLegacyHttpOptions(
          { url: signalUrl(config.otlpEndpoint, kind.path), timeoutMillis, httpAgentOptions },
          kind.signal,
          `v1/${kind.path}`,
          { 'Content-Type': 'application/x-protobuf' },
        ),
        serializer(transformer) as Parameters<typeof http.createOtlpHttpExportDelegate>[1],
        `otlp_http_${kind.signal === 'TRACES' ? 'span' : 'log'}_exporter`,
        metricsHelper as Parameters<typeof http.createOtlpHttpExportDelegate>[3],
        undefined,
      );
      return new OTLPExporterBase<EncodedBatch>(delegate as Delegate);
    });
  };
}

function otlpMetricLoader(config: Config, timeoutMillis: number): () => Promise<ExporterLike<ResourceMetrics>> {
  if (config.otlpProtocol === 'grpc') {
    return async () => {
      const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-grpc');
      return new OTLPMetricExporter({ url: config.otlpEndpoint, timeoutMillis });
    };
  }
  return async () => {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    return withOwnedAgents(
      (httpAgentOptions) =>
        new OTLPMetricExporter({ url: signalUrl(config.otlpEndpoint, 'metrics'), timeoutMillis, httpAgentOptions }),
    );
  };
}

function zipkinLoader(config: Config): () => Promise<ExporterLike<ReadableSpan[]>> {
  return async () => {
    const { ZipkinExporter } = await import('@opentelemetry/exporter-zipkin');
    return new ZipkinExporter({ url: config.zipkinEndpoint, serviceName: config.serviceName });
  };
}

/**
 * A batch processor's own export timeout, set past the OTLP exporter's (which includes its retries): the
 * exporter must give up first, so that a black-holed collector is one outage warning from the export health
 * rather than that plus the processor's own "Timeout" error racing it.
 */
function outlive(exporterTimeoutMs: number): { exportTimeoutMillis: number } {
  return { exportTimeoutMillis: exporterTimeoutMs + 1000 };
}

/** ResilientExporter always has forceFlush; this narrows the optional member for the SDK's exporter types. */
function withFlush<T>(exporter: ResilientExporter<T>): ResilientExporter<T> & { forceFlush(): Promise<void> } {
  return exporter;
}

/**
 * Builds the processors and readers the config asks for. Starts no network activity itself: the OTLP modules
 * are preloaded in the background and connect on first export.
 */
export function createExporters(
  config: Config,
  notices: Notices,
  env: NodeJS.ProcessEnv = process.env,
  cells?: MetricCellStore,
): PipelineExporters {
  const healths: ExportHealth[] = [];
  const timeoutMillis = otlpTimeoutMs(env);
  const otlpHealth = (): ExportHealth => {
    const destination = `OTLP collector ${config.otlpEndpoint} (${config.otlpProtocol})`;
    let health = healths.find((h) => h.destination === destination);
    if (!health) {
      health = new ExportHealth(destination, notices);
      healths.push(health);
    }
    return health;
  };

  // A signal's OTLP queue: requests encoded as items end, sent through the resilient exporter; the oldest
  // dropped past the byte bound count as a failed export (one warning per outage, from the health).
  const otlpQueue = <Item extends Grouped>(
    signal: 'traces' | 'logs',
    kind: OtlpSignal<Item>,
    health: ExportHealth,
  ): EncodedQueue<Item> => {
    const exporter = new ResilientExporter(signal, otlpLoader(config, timeoutMillis, kind), health, countBatch);
    exporter.preload();
    const full = new Error(
      `the export queue is full (${QUEUE_LIMITS.maxQueuedBytes / 1048576} MiB waiting): the oldest requests are dropped`,
    );
    return new EncodedQueue(kind.encoder(), exporter, { ...QUEUE_LIMITS, ...outlive(timeoutMillis) }, (items) =>
      health.overflowed(signal, full, items),
    );
  };

  let spanProcessor: SpanProcessor | undefined;
  let exitSpans: ExitExportSources['spans'];
  let exitLogs: ExitExportSources['logs'];
  let memorySpans: BoundedMemorySpanExporter | undefined;
  switch (config.traceExporter) {
    case 'console':
      // Immediate lines read best while developing; the write is one synchronous stderr line per span.
      spanProcessor = new SimpleSpanProcessor({ exporter: new CompactConsoleSpanExporter() });
      break;
    case 'memory':
      memorySpans = new BoundedMemorySpanExporter();
      spanProcessor = new SimpleSpanProcessor({ exporter: memorySpans });
      break;
    case 'otlp': {
      const queue = otlpQueue('traces', SPANS, otlpHealth());
      spanProcessor = new EncodingSpanProcessor(queue);
      exitSpans = queue;
      break;
    }
    case 'zipkin': {
      const health = new ExportHealth(`Zipkin ${config.zipkinEndpoint}`, notices);
      healths.push(health);
      const exporter = new ResilientExporter('traces', zipkinLoader(config), health, countArray);
      exporter.preload();
      spanProcessor = new BatchSpanProcessor({ exporter: withFlush(exporter), ...QUEUE_LIMITS });
      break;
    }
    case 'none':
      break;
  }

  let metricReader: PeriodicExportingMetricReader | undefined;
  let logProcessor: LogRecordProcessor | undefined;
  if (config.otlpEnabled) {
    const interval = metricIntervalMs(env);
    const readerTimeout = Math.min(interval, timeoutMillis);
    // The exporter must give up before the reader does: a failure the exporter reports is one outage warning
    // (export-health.ts), while the reader's own timeout is an SDK error logged beside it — two warnings for
    // one black-holed collector.
    const metricExporter = new ResilientExporter(
      'metrics',
      otlpMetricLoader(config, Math.max(1, Math.floor(readerTimeout * 0.8))),
      otlpHealth(),
      countDataPoints,
    );
    metricExporter.preload();
    const reader: PeriodicExportingMetricReader = new PeriodicExportingMetricReader({
      exporter: withFlush(metricExporter),
      exportIntervalMillis: interval,
      exportTimeoutMillis: readerTimeout,
      metricProducers: cells ? [cells.producer((type) => reader.selectAggregationTemporality(type))] : [],
    });
    metricReader = reader;
    const queue = otlpQueue('logs', LOGS, otlpHealth());
    logProcessor = new EncodingLogRecordProcessor(queue);
    exitLogs = queue;
  }

  const exitExport: ExitExportSources | undefined =
    exitSpans || exitLogs
      ? {
          endpoint: config.otlpEndpoint,
          protocol: config.otlpProtocol,
          spans: exitSpans,
          logs: exitLogs,
          isDown: () => healths.some((h) => h.isDown),
        }
      : undefined;
  return { spanProcessor, memorySpans, metricReader, logProcessor, healths, exitExport };
}
