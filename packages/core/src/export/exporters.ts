/**
 * Where each signal goes, by config: spans to the console (compact lines), memory, OTLP (gRPC or
 * http/protobuf), Zipkin or nowhere; metrics and log records to OTLP when it is on. Network exporters are
 * imported lazily (see resilient-exporter.ts), and every queue is bounded.
 */
import { BatchLogRecordProcessor, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
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
import { LogsSerializer } from '../otlp/logs-serializer.js';
import { type OtlpSerializer, TraceSerializer } from '../otlp/trace-serializer.js';
import { CompactConsoleSpanExporter } from './console-span-exporter.js';
import { ExitCaptureExporter, PendingLogRecords } from './exit-capture.js';
import type { ExitExportSources } from './exit-sender.js';
import { ExportHealth } from './export-health.js';
import { BoundedMemorySpanExporter } from './memory-exporters.js';
import { withOwnedAgents } from './owned-http-agent.js';
import { type ExporterLike, ResilientExporter } from './resilient-exporter.js';

/** Queue and batch sizes of the batching processors: full queues drop (and count) instead of growing. */
export const QUEUE_LIMITS = Object.freeze({
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 1000,
  exportTimeoutMillis: 10_000,
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
  /** What a synchronous export at exit can reach (exit-capture.ts, exit-sender.ts), when spans or logs go to OTLP. */
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
interface OtlpSignal<Item> {
  readonly signal: 'TRACES' | 'LOGS';
  readonly path: 'traces' | 'logs';
  readonly grpcService: string;
  readonly grpcMethod: string;
  serializer(transformer: typeof import('@opentelemetry/otlp-transformer')): OtlpSerializer<Item[], unknown>;
  metricsHelper(transformer: typeof import('@opentelemetry/otlp-transformer')): unknown;
}

const SPANS: OtlpSignal<ReadableSpan> = {
  signal: 'TRACES',
  path: 'traces',
  grpcService: 'TraceExportService',
  grpcMethod: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  serializer: (t) => new TraceSerializer(t.ProtobufTraceSerializer.deserializeResponse),
  metricsHelper: (t) => t.TraceExporterMetricsHelper,
};

const LOGS: OtlpSignal<ReadableLogRecord> = {
  signal: 'LOGS',
  path: 'logs',
  grpcService: 'LogsExportService',
  grpcMethod: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  serializer: (t) => new LogsSerializer(t.ProtobufLogsSerializer.deserializeResponse),
  metricsHelper: (t) => t.LogsExporterMetricsHelper,
};

/**
 * The SDK's OTLP exporter of a signal, with each request encoded by the core's serializer
 * (otlp/trace-serializer.ts, otlp/logs-serializer.ts: the SDK's bytes, a fraction of the work). Built from the
 * public parts the SDK's own exporter classes are made of; gRPC or http/protobuf per the config.
 */
function otlpLoader<Item>(
  config: Config,
  timeoutMillis: number,
  kind: OtlpSignal<Item>,
): () => Promise<ExporterLike<Item[]>> {
  type Delegate = ConstructorParameters<typeof import('@opentelemetry/otlp-exporter-base').OTLPExporterBase<Item[]>>[0];
  if (config.otlpProtocol === 'grpc') {
    return async () => {
      const [{ OTLPExporterBase }, grpc, transformer] = await Promise.all([
        import('@opentelemetry/otlp-exporter-base'),
        import('@opentelemetry/otlp-grpc-exporter-base'),
        import('@opentelemetry/otlp-transformer'),
      ]);
      const delegate = grpc.createOtlpGrpcExportDelegate(
        grpc.convertLegacyOtlpGrpcOptions({ url: config.otlpEndpoint, timeoutMillis }, kind.signal),
        kind.serializer(transformer) as Parameters<typeof grpc.createOtlpGrpcExportDelegate>[1],
        `otlp_grpc_${kind.signal === 'TRACES' ? 'span' : 'log'}_exporter`,
        kind.metricsHelper(transformer) as Parameters<typeof grpc.createOtlpGrpcExportDelegate>[3],
        undefined,
        kind.grpcService,
        kind.grpcMethod,
      );
      return new OTLPExporterBase<Item[]>(delegate as Delegate);
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
        kind.serializer(transformer) as Parameters<typeof http.createOtlpHttpExportDelegate>[1],
        `otlp_http_${kind.signal === 'TRACES' ? 'span' : 'log'}_exporter`,
        kind.metricsHelper(transformer) as Parameters<typeof http.createOtlpHttpExportDelegate>[3],
        undefined,
      );
      return new OTLPExporterBase<Item[]>(delegate as Delegate);
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
      const exporter = new ResilientExporter(
        'traces',
        otlpLoader(config, timeoutMillis, SPANS),
        otlpHealth(),
        countArray,
      );
      exporter.preload();
      // Between the processor and the exporter: what is queued or in flight can still leave at exit.
      const captured = new ExitCaptureExporter(exporter);
      spanProcessor = new BatchSpanProcessor({ exporter: captured, ...QUEUE_LIMITS, ...outlive(timeoutMillis) });
      exitSpans = { processor: spanProcessor, exporter: captured };
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
    const logExporter = new ResilientExporter(
      'logs',
      otlpLoader(config, timeoutMillis, LOGS),
      otlpHealth(),
      countArray,
    );
    logExporter.preload();
    // Records stay known until acknowledged, so the ones still pending can leave at exit.
    let pending: PendingLogRecords | undefined;
    const settledLogs = new ExitCaptureExporter(logExporter, (records) => pending?.settled(records));
    const batch = new BatchLogRecordProcessor({ exporter: settledLogs, ...QUEUE_LIMITS, ...outlive(timeoutMillis) });
    pending = new PendingLogRecords(batch, QUEUE_LIMITS.maxQueueSize + 2 * QUEUE_LIMITS.maxExportBatchSize);
    logProcessor = pending;
    exitLogs = pending;
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
