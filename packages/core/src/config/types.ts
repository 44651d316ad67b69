/**
 * The configuration's vocabulary: what a user may pass ({@link TelemetryOptions}), what a started pipeline
 * runs with ({@link Config}), and the error a bad value raises ({@link ConfigError}).
 */
import type { Environment, LogLevel, TraceExporterKind } from './environment.js';

/** Wire protocol of the OTLP exporters. */
export type OtlpProtocol = 'grpc' | 'http/protobuf';

/** Attribute values accepted on the resource. */
export type ResourceAttributeValue = string | number | boolean;

/** Something log lines can be written to: a file descriptor, a file path, or an object with `write(string)`. */
export type LogDestination = number | string | { write(chunk: string): unknown };

/** The libraries whose calls are traced (docs/libraries.md). */
export const INSTRUMENTED_LIBRARIES = Object.freeze([
  'pg',
  'mysql2',
  'ioredis',
  'redis',
  'amqplib',
  'graphql',
  'grpc',
] as const);
export type InstrumentedLibrary = (typeof INSTRUMENTED_LIBRARIES)[number];

/** What `instrumentations.graphql` takes besides true or false. */
export interface GraphqlInstrumentationOptions {
  /**
   * One span per resolver call (fields with a resolver of their own, list items merged). Off by default.
   * Env: `AUTOTELEMETRY_GRAPHQL_RESOLVERS`.
   */
  resolvers?: boolean;
}

/** The `instrumentations` option: one switch per library; graphql also takes its options. */
export type InstrumentationsOption = Partial<Record<Exclude<InstrumentedLibrary, 'graphql'>, boolean>> & {
  graphql?: boolean | GraphqlInstrumentationOptions;
};

/** What a user may pass. Every field is optional; see the configuration page for defaults per environment. */
export interface TelemetryOptions {
  /** Service name, `company.service` by convention. Env: `OTEL_SERVICE_NAME`; else the app's package.json name. */
  serviceName?: string;
  /** Service version. Env: `AUTOTELEMETRY_SERVICE_VERSION`; else the app's package.json version, else `0.0.0`. */
  serviceVersion?: string;
  /** Deployment environment. Env: `AUTOTELEMETRY_ENVIRONMENT`, else mapped from `NODE_ENV`. */
  environment?: Environment | `${Environment}` | (string & {});
  /** Lowest log level written. Env: `AUTOTELEMETRY_LOG_LEVEL`. */
  logLevel?: LogLevel | (string & {});
  /** JSON log lines (true) or readable text (false). Forced to true in PRODUCTION. Env: `AUTOTELEMETRY_JSON_LOGS`. */
  jsonLogs?: boolean;
  /** Port of the Prometheus `/metrics` endpoint, or false to disable it. Env: `AUTOTELEMETRY_PROMETHEUS_PORT`. */
  prometheusPort?: number | false;
  /** Address the Prometheus endpoint binds to. Env: `AUTOTELEMETRY_PROMETHEUS_HOST`. */
  prometheusHost?: string;
  /** OTLP collector endpoint, `host:port` or a URL. Env: `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  otlpEndpoint?: string;
  /** OTLP wire protocol. Env: `OTEL_EXPORTER_OTLP_PROTOCOL`. */
  otlpProtocol?: OtlpProtocol;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  additionalAttributes?: Record<string, ResourceAttributeValue>;
  /** Head sampling ratio in [0, 1], parent-based. Env: `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`. */
  samplingRatio?: number;
  /** Master switch. Env: `OTEL_SDK_DISABLED=true` disables. */
  enabled?: boolean;
  /** Where spans go. Env: `OTEL_TRACES_EXPORTER`. */
  traceExporter?: TraceExporterKind;
  /** Zipkin collector URL, used when `traceExporter` is `zipkin`. Env: `OTEL_EXPORTER_ZIPKIN_ENDPOINT`. */
  zipkinEndpoint?: string;
  /** Collect runtime and system metrics. Env: `AUTOTELEMETRY_RUNTIME_METRICS`. */
  runtimeMetrics?: boolean;
  /** Judge latencies and error rates for anomalies. Env: `AUTOTELEMETRY_ANOMALY_DETECTION`. */
  anomalyDetection?: boolean;
  /** Throw, instead of warning once, on names that break the naming standard. Env: `AUTOTELEMETRY_STRICT_NAMING`. */
  strictNaming?: boolean;
  /** Level of the per-request access log line, `'auto'` (by status) or false. Env: `AUTOTELEMETRY_ACCESS_LOG`. */
  accessLog?: LogLevel | 'auto' | false | (string & {});
  /** Request paths that get no span, metric or access log. Env: `AUTOTELEMETRY_EXCLUDE_PATHS` (comma-separated). */
  excludePaths?: readonly string[];
  /** Extra keys to redact, added to the default list. Env: `AUTOTELEMETRY_REDACT` (comma-separated). */
  redact?: readonly string[];
  /** Where log lines are written. Default: standard output. */
  logDestination?: LogDestination;
  /**
   * Add the active span's `trace_id` and `span_id` to the lines of the app's own pino and winston loggers,
   * whenever and however they are created. On by default. Env: `AUTOTELEMETRY_LOG_CORRELATION`.
   */
  logCorrelation?: boolean;
  /**
   * Write `console.log`/`info`/`debug`/`warn`/`error`/`trace`/`dir` output as log lines of the logger's schema
   * (logger `console`) instead of plain text. On by default in production only. Env: `AUTOTELEMETRY_CAPTURE_CONSOLE`.
   */
  captureConsole?: boolean;
  /**
   * Port of the local telemetry viewer (`/_telemetry/`), 0 for any free port, or false to disable it. On by
   * default in development only. Env: `AUTOTELEMETRY_VIEWER_PORT`.
   */
  viewerPort?: number | false;
  /** Address the viewer listens on; loopback by default. Env: `AUTOTELEMETRY_VIEWER_HOST`. */
  viewerHost?: string;
  /** How many recent traces the viewer keeps. Env: `AUTOTELEMETRY_VIEWER_MAX_TRACES`. */
  viewerMaxTraces?: number;
  /** How many recent log lines the viewer keeps. Env: `AUTOTELEMETRY_VIEWER_MAX_LOG_LINES`. */
  viewerMaxLogLines?: number;
  /**
   * Which libraries' calls get spans and metrics (database and cache clients, RabbitMQ through amqplib,
   * GraphQL, gRPC): all of them unless turned off here, e.g. `{ pg: false }`; `{ graphql: { resolvers: true } }`
   * adds resolver spans. Env: `OTEL_NODE_DISABLED_INSTRUMENTATIONS` / `OTEL_NODE_ENABLED_INSTRUMENTATIONS`
   * (comma-separated names), `AUTOTELEMETRY_GRAPHQL_RESOLVERS`.
   */
  instrumentations?: InstrumentationsOption;
  /**
   * Extra span processors (e.g. a `BatchSpanProcessor` around your own exporter), added after the
   * redaction of attributes and before the built-in exporter. Code only.
   */
  spanProcessors?: readonly ExtensionSpanProcessor[];
  /** Extra metric readers (e.g. a `PeriodicExportingMetricReader` around your own exporter). Code only. */
  metricReaders?: readonly ExtensionMetricReader[];
  /** Extra log record processors; log lines then also go out as OpenTelemetry log records. Code only. */
  logRecordProcessors?: readonly ExtensionLogRecordProcessor[];
}

/**
 * A span processor as the OpenTelemetry SDK defines it (`SpanProcessor` of `@opentelemetry/sdk-trace`),
 * typed structurally so that a processor built with any compatible copy of the SDK is accepted.
 */
export interface ExtensionSpanProcessor {
  onStart(span: never, parentContext: never): void;
  onEnd(span: never): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** A metric reader as the OpenTelemetry SDK defines it (`IMetricReader` of `@opentelemetry/sdk-metrics`), structurally. */
export interface ExtensionMetricReader {
  setMetricProducer(producer: never): void;
  forceFlush(options?: never): Promise<void>;
  shutdown(options?: never): Promise<void>;
}

/** A log record processor as the OpenTelemetry SDK defines it (`LogRecordProcessor` of `@opentelemetry/sdk-logs`), structurally. */
export interface ExtensionLogRecordProcessor {
  onEmit(logRecord: never, context?: never): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Where a resolved value came from. */
export type ConfigSource = 'option' | 'env' | 'default' | 'package.json';

/** The resolved, validated, frozen configuration. */
export interface Config {
  readonly serviceName: string;
  readonly serviceVersion: string;
  readonly environment: Environment;
  readonly logLevel: LogLevel;
  readonly jsonLogs: boolean;
  readonly prometheusPort: number | false;
  readonly prometheusHost: string;
  readonly otlpEndpoint: string;
  readonly otlpProtocol: OtlpProtocol;
  /** Whether metrics and log records are exported over OTLP. */
  readonly otlpEnabled: boolean;
  readonly additionalAttributes: Readonly<Record<string, ResourceAttributeValue>>;
  readonly samplingRatio: number;
  readonly enabled: boolean;
  readonly traceExporter: TraceExporterKind;
  readonly zipkinEndpoint: string;
  readonly runtimeMetrics: boolean;
  readonly anomalyDetection: boolean;
  readonly strictNaming: boolean;
  readonly accessLog: LogLevel | 'auto' | false;
  readonly excludePaths: readonly string[];
  readonly redact: readonly string[];
  readonly logDestination: LogDestination;
  readonly logCorrelation: boolean;
  readonly captureConsole: boolean;
  readonly viewerPort: number | false;
  readonly viewerHost: string;
  readonly viewerMaxTraces: number;
  readonly viewerMaxLogLines: number;
  /** Per instrumented library, whether its calls are traced. */
  readonly instrumentations: Readonly<Record<InstrumentedLibrary, boolean>>;
  /** Whether graphql resolver calls get spans (`instrumentations.graphql.resolvers`). */
  readonly graphqlResolvers: boolean;
  /** User-supplied span processors ({@link TelemetryOptions.spanProcessors}). */
  readonly spanProcessors: readonly ExtensionSpanProcessor[];
  /** User-supplied metric readers ({@link TelemetryOptions.metricReaders}). */
  readonly metricReaders: readonly ExtensionMetricReader[];
  /** User-supplied log record processors ({@link TelemetryOptions.logRecordProcessors}). */
  readonly logRecordProcessors: readonly ExtensionLogRecordProcessor[];
  /** Where each value came from, for `autotelemetry doctor`. */
  readonly sources: Readonly<Record<ConfigKey, ConfigSource>>;
  /** Warnings produced while resolving (e.g. PRODUCTION overriding `jsonLogs: false`). */
  readonly warnings: readonly string[];
}

/** The keys of {@link Config} that come from an option. */
export type ConfigKey = Exclude<keyof Config, 'sources' | 'warnings' | 'otlpEnabled' | 'graphqlResolvers'>;

/** Thrown when a configuration value is invalid. Names the option, the value and what is accepted. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly accepted: string,
    readonly source: ConfigSource = 'option',
    /** The environment variable the value came from, when it came from one. */
    readonly envVar?: string,
  ) {
    const where = source === 'env' ? ` (from ${envVar ?? 'the environment'})` : '';
    super(`Invalid AutoTelemetry option "${option}"${where}: ${describe(value)}. Accepted: ${accepted}.`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
