/**
 * A real, in-memory OpenTelemetry pipeline for the core's tests (traced/measure/anomaly, the HTTP
 * lifecycle): the SDK's tracer provider with a simple processor into an in-memory exporter, the
 * AsyncLocalStorage context manager, the W3C trace-context propagator, and a meter provider read on
 * demand — all registered as the API globals the code under test uses.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { resolveConfig } from '../src/config/resolve.js';
import type { Config } from '../src/config/types.js';
import { HTTP_INSTRUMENTATION_SCOPE, RequestSpanFactory } from '../src/http/request-span.js';
import { resetNamingMemory } from '../src/instrument/naming.js';
import type { LogSink } from '../src/logging/log-sink.js';
import { MetricCellStore } from '../src/metrics/cell-store.js';
import { setState } from '../src/state.js';

class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A log line as the helpers wrote it. */
export interface CapturedLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  data: Record<string, unknown> | undefined;
  /** The span context active when the line was written. */
  traceId: string | undefined;
  spanId: string | undefined;
}

/** A logger with the seed's call shape that keeps what it is given, and the active span's ids. */
export class CaptureLogger implements LogSink {
  readonly lines: CapturedLine[] = [];
  private push(level: CapturedLine['level'], message: string, data?: Record<string, unknown>): void {
    const ctx = trace.getActiveSpan()?.spanContext();
    this.lines.push({ level, message, data, traceId: ctx?.traceId, spanId: ctx?.spanId });
  }
  info(message: string, data?: Record<string, unknown>): void {
    this.push('info', message, data);
  }
  warn(message: string, data?: Record<string, unknown>): void {
    this.push('warn', message, data);
  }
  error(message: string, data?: Record<string, unknown>): void {
    this.push('error', message, data);
  }
}

/** The registered pipeline and what it captured. */
export interface TestPipeline {
  readonly exporter: InMemorySpanExporter;
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: TracerProvider;
  /**
   * The lifecycle's lean path wired to this pipeline, as the real pipeline wires it: request spans started
   * straight into the same span processor, HTTP metrics collected from the lifecycle's cells by the same reader.
   */
  readonly lean: {
    readonly requestSpans: RequestSpanFactory;
    readonly httpMetrics: MetricCellStore;
    readonly propagationFields: readonly string[];
  };
  /** Finished spans so far. */
  spans(): ReadableSpan[];
  /** Finished spans with this name. */
  spansNamed(name: string): ReadableSpan[];
  /** Collects every metric now. */
  collectMetrics(): Promise<MetricData[]>;
  /** Unregisters everything. */
  shutdown(): Promise<void>;
}

/** Registers a fresh pipeline as the OpenTelemetry globals (replacing any previous one). */
export function startTestPipeline(): TestPipeline {
  trace.disable();
  metrics.disable();
  context.disable();
  propagation.disable();
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  const propagator = new W3CTraceContextPropagator();
  propagation.setGlobalPropagator(propagator);
  const exporter = new InMemorySpanExporter();
  const resource = resourceFromAttributes({ 'service.name': 'test.service' });
  const sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() });
  const spanProcessors = [new SimpleSpanProcessor({ exporter })];
  const tracerProvider = new TracerProvider({ resource, sampler, spanProcessors });
  trace.setGlobalTracerProvider(tracerProvider);
  const scope = { name: HTTP_INSTRUMENTATION_SCOPE };
  const httpMetrics = new MetricCellStore(resource);
  const reader: OnDemandReader = new OnDemandReader({
    metricProducers: [httpMetrics.producer((type) => reader.selectAggregationTemporality(type))],
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    exporter,
    lean: {
      requestSpans: new RequestSpanFactory(resource, sampler, spanProcessors, scope),
      httpMetrics,
      propagationFields: propagator.fields(),
    },
    meterProvider,
    tracerProvider,
    spans: () => exporter.getFinishedSpans(),
    spansNamed: (name) => exporter.getFinishedSpans().filter((s) => s.name === name),
    async collectMetrics() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * The hooks the instrument tests (traced, @Traced(), measure) share: a pipeline started before the file's
 * tests and shut down after them, its exporter emptied and the naming memory reset before each test.
 * `onStart` receives the pipeline (for the file's own `let pipeline`); register the file's own `beforeEach`
 * after this call so it runs after the reset.
 */
export function useTestPipeline(onStart: (pipeline: TestPipeline) => void): void {
  let pipeline: TestPipeline | undefined;
  beforeAll(() => {
    pipeline = startTestPipeline();
    onStart(pipeline);
  });
  afterAll(async () => {
    await pipeline?.shutdown();
  });
  beforeEach(() => {
    pipeline?.exporter.reset();
    resetNamingMemory();
  });
}

/** The data points of one metric, or an empty list. */
export function pointsOf(all: MetricData[], name: string): DataPoint<number | Histogram>[] {
  return (all.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as DataPoint<number | Histogram>[];
}

/** Installs a process-wide state as a started pipeline would, with the given logger and options. */
export function installState(
  logger: LogSink | undefined,
  options: { anomalyDetection?: boolean; strictNaming?: boolean } = {},
): Config {
  const config = resolveConfig({ serviceName: 'test.service', environment: 'test', ...options }, {});
  setState({ config, logger, services: {} });
  return config;
}
