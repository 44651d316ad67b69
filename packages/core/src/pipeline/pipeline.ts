/**
 * The one OpenTelemetry pipeline, composed from the SDK's providers rather than through `NodeSDK`: this way a
 * start loads only what the config uses (network exporters are imported lazily), and a shutdown undoes
 * exactly what the start did — globals, instrumentation, timers, servers — so start/shutdown can run many
 * times in one process (tests, hot reload) without "already registered" errors or leaks.
 */
import { logs as apiLogs, context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs as logsApi } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { type IMetricReader, MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Config } from '../config/types.js';
import { type ExitExportReport, exportPendingSync } from '../export/exit-sender.js';
import type { ExportHealth } from '../export/export-health.js';
import { createExporters } from '../export/exporters.js';
import { type BoundedMemorySpanExporter, SnapshotMetricReader } from '../export/memory-exporters.js';
import { ExcludedPathsSampler } from '../http/excluded-paths-sampler.js';
import { HttpLifecycle } from '../http/lifecycle.js';
import { HTTP_METRIC_ATTRIBUTES } from '../http/metrics.js';
import { HTTP_INSTRUMENTATION_SCOPE, RequestSpanFactory } from '../http/request-span.js';
import { getAnomalyDetector } from '../instrument/anomaly.js';
import { CLIENT_METRIC_ATTRIBUTES, ClientMetricsProcessor } from '../libraries/client-metrics.js';
import {
  enableLibraryInstrumentation,
  LIBRARY_INSTRUMENTATION_SCOPE,
  type LibraryInstrumentation,
} from '../libraries/libraries.js';
import { enableLogCorrelation, type LogCorrelation } from '../libraries/log-correlation.js';
import { RpcSpanProcessor } from '../libraries/rpc-spans.js';
import { type ConsoleCapture, captureConsole } from '../logging/console-capture.js';
import { DirectLogRecords } from '../logging/direct-records.js';
import { consoleLineWriter, type TelemetryLogger } from '../logging/logger.js';
import { OTEL_LOGGER_NAME } from '../logging/otel-bridge.js';
import { MetricCellStore } from '../metrics/cell-store.js';
import type { Notices } from '../notices.js';
import { W3CTraceContextLevel2Propagator } from '../propagation/trace-context-propagator.js';
import { createViewer, type Viewer } from '../viewer/viewer.js';
import { AttributeRedactor, RedactingSpanProcessor, redactingMetricView } from './attribute-redaction.js';
import { GuardedLogRecordProcessor, GuardedSpanProcessor } from './guarded-processors.js';
import { leanTracerProvider } from './lean-tracer.js';
import { installDiagLogger } from './otel-diag.js';
import { enableOutgoingInstrumentation } from './outgoing-instrumentation.js';
import { type PrometheusEndpoint, startPrometheusEndpoint } from './prometheus.js';
import { buildResource } from './resource.js';
import { type RuntimeMetrics, startRuntimeMetrics } from './runtime-metrics.js';

/** How long a shutdown may wait for the final exports before giving up on them. */
export const SHUTDOWN_DEADLINE_MS = 5000;

/** The same, when a collector is already known to be down: waiting longer would only delay the exit. */
export const SHUTDOWN_DEADLINE_WHEN_DOWN_MS = 1000;

/** A running pipeline: the providers, the capture points and the undo of everything start did. */
export interface Pipeline {
  readonly config: Config;
  readonly resource: Resource;
  /** Undefined when telemetry is disabled (`enabled: false`). */
  readonly tracerProvider: TracerProvider | undefined;
  readonly meterProvider: MeterProvider | undefined;
  /** Present when log records are exported (OTLP on). */
  readonly loggerProvider: LoggerProvider | undefined;
  /** Starts the HTTP lifecycle's request spans straight into this pipeline's span processors. */
  readonly requestSpans: RequestSpanFactory | undefined;
  /** The logger's records handed straight to the log record processors, when this pipeline's provider is the registered one. */
  readonly logRecords: DirectLogRecords | undefined;
  /** The store the HTTP lifecycle lends its metric cells to, when the readers collect them without SDK instruments. */
  readonly httpMetrics: MetricCellStore | undefined;
  /** Finished spans in `memory` mode. */
  readonly memorySpans: BoundedMemorySpanExporter | undefined;
  /** Reads every metric on demand; also serves `/metrics`. */
  readonly metricsReader: SnapshotMetricReader | undefined;
  /** Health of each network destination. */
  readonly healths: readonly ExportHealth[];
  /** The `/metrics` endpoint, when enabled. */
  readonly prometheus: PrometheusEndpoint | undefined;
  /** Runtime/system metrics, when enabled. */
  readonly runtimeMetrics: RuntimeMetrics | undefined;
  /** The local telemetry viewer, when `viewerPort` is set. */
  readonly viewer: Viewer | undefined;
  /** The database, cache and messaging clients traced (libraries/). */
  readonly libraries: LibraryInstrumentation | undefined;
  /** The app's pino and winston loggers given the trace ids, when `logCorrelation` is on. */
  readonly logCorrelation: LogCorrelation | undefined;
  /** The pipeline's own warnings. */
  readonly notices: Notices;
  /**
   * The HTTP request lifecycle the adapters use, made on first call with this pipeline's config, logger and
   * capture points; undefined when telemetry is disabled.
   */
  httpLifecycle(): HttpLifecycle | undefined;
  /**
   * Finishes now the completed requests whose span, access line and duration wait for the turn's batch
   * (http/lifecycle.ts `complete`). The flush, the shutdown and the exit export do it first.
   */
  completePendingRequests(): void;
  /** Exports everything buffered now. Never rejects. */
  forceFlush(): Promise<void>;
  /**
   * Exports the ended spans and log records still pending, synchronously (export/exit-sender.ts): for the `exit`
   * event only, when no asynchronous flush can run any more. Never throws.
   */
  exportPendingSync(): ExitExportReport;
  /**
   * Stops everything: synchronously unregisters the globals and instrumentation (nothing new enters), then
   * flushes and shuts the providers down within a deadline. Idempotent; never rejects. With `processEnding`
   * (a signal, the event loop run dry) the console stays captured: the process's last lines stay log lines.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/** How a shutdown was asked for. */
export interface ShutdownOptions {
  /** The process is ending (a signal, `beforeExit`), rather than the app calling `shutdown()`. */
  readonly processEnding?: boolean;
}

/** `console.*` written as the logger's lines, when `captureConsole` is on and there is a logger. */
function startConsoleCapture(config: Config, logger: TelemetryLogger | undefined): (options?: ShutdownOptions) => void {
  if (!config.captureConsole || logger === undefined) return noop;
  const writer = consoleLineWriter(logger);
  const capture: ConsoleCapture = captureConsole(writer.write);
  return (options) => {
    if (options?.processEnding === true) return;
    capture.restore();
    writer.close();
  };
}

function samplerFor(ratio: number): Sampler {
  // Parent-based: a sampled (or not) incoming trace keeps its decision; the ratio applies to new traces.
  return new ParentBasedSampler({ root: ratio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio) });
}

/** Resolves after `ms`, without keeping the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function settle(work: Promise<unknown>, deadlineMs: number): Promise<void> {
  await Promise.race([work.then(noop, noop), delay(deadlineMs)]);
}

function noop(): void {}

/** What `createPipeline` registered globally, to unregister exactly that. */
interface Registered {
  context: boolean;
  propagation: boolean;
  trace: boolean;
  metrics: boolean;
  logsApi: boolean;
  apiLogs: boolean;
}

/**
 * Builds and registers the pipeline for a config. `logger` (the pipeline's root logger) writes the HTTP
 * lifecycle's access lines, is the parent of its request loggers and writes the captured console calls.
 */
export function createPipeline(config: Config, notices: Notices, logger?: TelemetryLogger): Pipeline {
  const resource = buildResource(config);
  // Logs work with telemetry off too (`enabled: false`): the console is captured either way.
  const stopConsoleCapture = startConsoleCapture(config, logger);
  if (!config.enabled) return disabledPipeline(config, resource, notices, stopConsoleCapture);
  const registered: Registered = {
    context: false,
    propagation: false,
    trace: false,
    metrics: false,
    logsApi: false,
    apiLogs: false,
  };
  // The redaction list applies to span and metric attributes too, before anything is exported or aggregated.
  const redactor = config.redact.length > 0 ? new AttributeRedactor(config.redact) : undefined;
  // The HTTP and client metrics come from their own cells when only the pipeline's readers read them and the
  // redaction (an SDK view) has nothing to mask in them; otherwise through SDK instruments.
  const cells = config.metricReaders.length === 0 ? new MetricCellStore(resource) : undefined;
  const unredacted = (keys: readonly string[]) => !keys.some((key) => redactor?.isSensitive(key) === true);
  const httpMetrics = unredacted(HTTP_METRIC_ATTRIBUTES) ? cells : undefined;
  const clientCells = unredacted(CLIENT_METRIC_ATTRIBUTES) ? cells : undefined;
  const exporters = createExporters(config, notices, process.env, cells);
  const restoreDiag = installDiagLogger(notices, () => exporters.healths.some((h) => h.inOutage));
  const metricsReader: SnapshotMetricReader = new SnapshotMetricReader({
    metricProducers: cells ? [cells.producer((type) => metricsReader.selectAggregationTemporality(type))] : [],
  });
  const readers: IMetricReader[] = [metricsReader];
  if (exporters.metricReader) readers.push(exporters.metricReader);
  // User-supplied extensions are typed structurally in the config (any compatible SDK copy); the SDK calls
  // only the methods the config checked for.
  readers.push(...(config.metricReaders as unknown as IMetricReader[]));
  const meterProvider = new MeterProvider({
    resource,
    readers,
    views: redactor ? [redactingMetricView(redactor)] : [],
  });
  const viewer = createViewer(config, notices);
  // Order matters: redaction first, so neither a user's processor, an exporter nor the viewer ever sees a secret.
  // The application's processors are guarded: one that throws must not throw into its span calls.
  const spanProcessors: SpanProcessor[] = [
    // gRPC server spans completed to the conventions first, then every client duration recorded from its span.
    new RpcSpanProcessor(),
    new ClientMetricsProcessor(meterProvider.getMeter(LIBRARY_INSTRUMENTATION_SCOPE), clientCells),
    ...(config.spanProcessors as unknown as SpanProcessor[]).map((p, i) => new GuardedSpanProcessor(p, notices, i)),
    ...(exporters.spanProcessor ? [exporters.spanProcessor] : []),
    ...(viewer ? [viewer.spanProcessor] : []),
  ];
  if (redactor && spanProcessors.length > 0) spanProcessors.unshift(new RedactingSpanProcessor(redactor));
  const sampler = samplerFor(config.samplingRatio);
  // The request spans the lifecycle starts are never for an excluded path; other instrumentations' may be.
  const providerSampler = new ExcludedPathsSampler(new Set(config.excludePaths), sampler);
  const tracerProvider = new TracerProvider({ resource, sampler: providerSampler, spanProcessors });
  const requestSpans = new RequestSpanFactory(resource, sampler, spanProcessors, { name: HTTP_INSTRUMENTATION_SCOPE });
  const logProcessors: LogRecordProcessor[] = [
    ...(config.logRecordProcessors as unknown as LogRecordProcessor[]).map(
      (p, i) => new GuardedLogRecordProcessor(p, notices, i),
    ),
    ...(exporters.logProcessor ? [exporters.logProcessor] : []),
    ...(viewer ? [viewer.logProcessor] : []),
  ];
  const loggerProvider =
    logProcessors.length > 0 ? new LoggerProvider({ resource, processors: logProcessors }) : undefined;

  const contextManager = new AsyncLocalStorageContextManager().enable();
  registered.context = context.setGlobalContextManager(contextManager);
  if (!registered.context) contextManager.disable();
  const propagator = new CompositePropagator({
    propagators: [new W3CTraceContextLevel2Propagator(), new W3CBaggagePropagator()],
  });
  registered.propagation = propagation.setGlobalPropagator(propagator);
  // While ours is the registered propagator (no other can replace it until the pipeline stops), a request
  // without any of its headers is known to start a new trace.
  const propagationFields = registered.propagation ? propagator.fields() : undefined;
  registered.trace = trace.setGlobalTracerProvider(tracerProvider);
  registered.metrics = metrics.setGlobalMeterProvider(meterProvider);
  if (!registered.trace || !registered.metrics) {
    notices.warn(
      'Another OpenTelemetry SDK is already registered in this process: AutoTelemetry keeps its own pipeline ' +
        'for its helpers and client, but libraries using the global API report to the other SDK.',
      { tracer_provider_registered: registered.trace, meter_provider_registered: registered.metrics },
    );
  }
  if (loggerProvider) {
    // The logger bridges through @opentelemetry/api-logs; other code may use the Logs API of
    // @opentelemetry/api. They keep separate globals, so the provider is registered on both.
    registered.logsApi = logsApi.setGlobalLoggerProvider(loggerProvider) === loggerProvider;
    registered.apiLogs = apiLogs.setGlobalLoggerProvider(loggerProvider);
  }
  const logRecords =
    loggerProvider && registered.logsApi
      ? new DirectLogRecords(resource, logProcessors, { name: OTEL_LOGGER_NAME })
      : undefined;

  const disableInstrumentation = enableOutgoingInstrumentation(tracerProvider, meterProvider);
  // The libraries' spans are made lean, like the request spans, where this pipeline is the registered one;
  // they are sampled as the provider's own spans are.
  const libraries = enableLibraryInstrumentation(
    tracerProvider,
    config.instrumentations,
    { graphql: { resolvers: config.graphqlResolvers } },
    registered.trace
      ? leanTracerProvider(
          new RequestSpanFactory(resource, providerSampler, spanProcessors, { name: LIBRARY_INSTRUMENTATION_SCOPE }),
          tracerProvider,
        )
      : undefined,
  );
  const logCorrelation = config.logCorrelation ? enableLogCorrelation() : undefined;
  const runtimeMetrics = config.runtimeMetrics ? startRuntimeMetrics(meterProvider, notices) : undefined;
  const prometheus =
    config.prometheusPort === false ? undefined : startPrometheusEndpoint(metricsReader, config, notices);
  viewer?.start(metricsReader);

  let stopping: Promise<void> | undefined;
  let httpLifecycle: HttpLifecycle | undefined;
  const completePendingRequests = (): void => httpLifecycle?.completePending();
  metricsReader.beforeSnapshot = completePendingRequests;
  const forceFlush = async (): Promise<void> => {
    completePendingRequests();
    await Promise.allSettled([
      tracerProvider.forceFlush(),
      meterProvider.forceFlush(),
      loggerProvider?.forceFlush() ?? Promise.resolve(),
    ]);
  };

  // Everything that can be undone synchronously is, before the first await: a start that follows right after
  // (even in the same tick) then finds the globals free, and nothing new enters the pipeline being flushed.
  const stop = async (options?: ShutdownOptions): Promise<void> => {
    completePendingRequests();
    logRecords?.close();
    for (const health of exporters.healths) health.close();
    runtimeMetrics?.stop();
    disableInstrumentation();
    libraries.stop();
    logCorrelation?.stop();
    stopConsoleCapture(options);
    if (registered.trace) trace.disable();
    if (registered.metrics) metrics.disable();
    if (registered.propagation) propagation.disable();
    if (registered.context) context.disable();
    if (registered.logsApi) logsApi.disable();
    if (registered.apiLogs) apiLogs.disable();
    restoreDiag();
    const deadline = exporters.healths.some((h) => h.isDown) ? SHUTDOWN_DEADLINE_WHEN_DOWN_MS : SHUTDOWN_DEADLINE_MS;
    await settle(
      Promise.allSettled([
        prometheus?.close(),
        viewer?.stop(),
        tracerProvider.shutdown(),
        meterProvider.shutdown(),
        loggerProvider?.shutdown(),
      ]),
      deadline,
    );
  };

  // The lean paths only where this pipeline is the registered one: with another SDK registered, the
  // lifecycle reports through the global API to that SDK, as every other library does.
  const leanRequestSpans = registered.trace ? requestSpans : undefined;
  const leanHttpMetrics = registered.metrics ? httpMetrics : undefined;

  return {
    config,
    resource,
    tracerProvider,
    meterProvider,
    loggerProvider,
    requestSpans: leanRequestSpans,
    logRecords,
    httpMetrics: leanHttpMetrics,
    memorySpans: exporters.memorySpans,
    metricsReader,
    healths: exporters.healths,
    prometheus,
    runtimeMetrics,
    viewer,
    libraries,
    logCorrelation,
    notices,
    httpLifecycle: () =>
      (httpLifecycle ??= new HttpLifecycle({
        excludePaths: config.excludePaths,
        redact: config.redact,
        accessLog: config.accessLog,
        logger,
        anomalyDetector: config.anomalyDetection ? getAnomalyDetector() : undefined,
        requestSpans: leanRequestSpans,
        httpMetrics: leanHttpMetrics,
        propagationFields,
      })),
    completePendingRequests,
    forceFlush: () => settle(forceFlush(), SHUTDOWN_DEADLINE_MS),
    exportPendingSync: () => {
      completePendingRequests();
      return exporters.exitExport ? exportPendingSync(exporters.exitExport) : { spans: 0, logs: 0, outcome: 'nothing' };
    },
    shutdown(options) {
      stopping ??= stop(options).catch(noop);
      return stopping;
    },
  };
}

/** `enabled: false`: nothing is registered; the API's no-op tracer and meter are used. */
function disabledPipeline(
  config: Config,
  resource: Resource,
  notices: Notices,
  stopConsoleCapture: (options?: ShutdownOptions) => void,
): Pipeline {
  let stopped = false;
  return {
    config,
    resource,
    tracerProvider: undefined,
    meterProvider: undefined,
    loggerProvider: undefined,
    requestSpans: undefined,
    logRecords: undefined,
    httpMetrics: undefined,
    memorySpans: undefined,
    metricsReader: undefined,
    healths: [],
    prometheus: undefined,
    runtimeMetrics: undefined,
    viewer: undefined,
    libraries: undefined,
    logCorrelation: undefined,
    notices,
    httpLifecycle: () => undefined,
    completePendingRequests: () => {},
    forceFlush: () => Promise.resolve(),
    exportPendingSync: () => ({ spans: 0, logs: 0, outcome: 'nothing' }),
    shutdown: (options) => {
      if (!stopped) {
        stopped = true;
        stopConsoleCapture(options);
      }
      return Promise.resolve();
    },
  };
}
