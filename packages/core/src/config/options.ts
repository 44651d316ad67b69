/**
 * Configuration: options > environment variables > environment defaults, resolved once into a frozen
 * {@link Config}. Every option is declared once in {@link CONFIG_OPTIONS}; resolution, validation, the
 * `doctor` report and the generated configuration page all read that one table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  ENVIRONMENT_DEFAULTS,
  Environment,
  environmentFromNodeEnv,
  type LogLevel,
  parseEnvironment,
  parseLogLevel,
  type TraceExporterKind,
} from './environment.js';

/** Wire protocol of the OTLP exporters. */
export type OtlpProtocol = 'grpc' | 'http/protobuf';

/** Attribute values accepted on the resource. */
export type ResourceAttributeValue = string | number | boolean;

/** Something log lines can be written to: a file descriptor, a file path, or an object with `write(string)`. */
export type LogDestination = number | string | { write(chunk: string): unknown };

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
export type ConfigKey = Exclude<keyof Config, 'sources' | 'warnings' | 'otlpEnabled'>;

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

/** Default request paths that get no telemetry. */
export const DEFAULT_EXCLUDED_PATHS: readonly string[] = Object.freeze([
  '/health',
  '/healthz',
  '/ready',
  '/readyz',
  '/livez',
  '/metrics',
  '/favicon.ico',
]);

/** Keys whose values are never recorded in logs, span or metric attributes (matched case-insensitively). */
export const DEFAULT_REDACTED_KEYS: readonly string[] = Object.freeze([
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
  'x-api-key',
  'password',
  'passwd',
  'secret',
  'token',
  'api_key',
]);

interface ResolveContext {
  readonly options: TelemetryOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly environment: Environment;
  readonly packageJson: { name?: string; version?: string } | undefined;
}

/** One option's declaration: how it is read, checked and defaulted. */
export interface OptionDefinition {
  /** Option name in {@link TelemetryOptions}. */
  readonly option: ConfigKey;
  /** Environment variables read for it, first wins. */
  readonly envVars: readonly string[];
  /** TypeScript type as shown in the docs. */
  readonly type: string;
  /** What is accepted, in words. */
  readonly accepted: string;
  /** One line for the docs. */
  readonly description: string;
  /** The default, in words, per environment where it differs. */
  readonly defaultText: string | Readonly<Record<Environment, string>>;
}

interface OptionResolver<T> extends OptionDefinition {
  fromOption(value: unknown): T;
  /** True when `fallback` reads the variables itself (several variables make one value). */
  customEnv?: boolean;
  /** Parses the environment variable; string-typed options omit it and reuse fromOption. */
  fromEnv?(raw: string): T;
  fallback(ctx: ResolveContext): { value: T; source: ConfigSource };
}

const PER_ENV = <K extends keyof (typeof ENVIRONMENT_DEFAULTS)[Environment]>(key: K) =>
  Object.fromEntries(Object.values(Environment).map((env) => [env, String(ENVIRONMENT_DEFAULTS[env][key])])) as Record<
    Environment,
    string
  >;

function parseBoolean(option: string, accepted = 'true or false'): (value: unknown) => boolean {
  return (value) => {
    if (typeof value === 'boolean') return value;
    throw new ConfigError(option, value, accepted);
  };
}

function parseBooleanEnv(option: string): (raw: string) => boolean {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
    if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
    throw new ConfigError(option, raw, 'true/false, 1/0, yes/no, on/off', 'env');
  };
}

function nonEmptyString(option: string): (value: unknown) => string {
  return (value) => {
    if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(option, value, 'a non-empty string');
    return value.trim();
  };
}

function parsePort(option: string, source: ConfigSource) {
  return (value: unknown): number | false => {
    if (value === false) return false;
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
    if (source === 'env' && typeof value === 'string' && /^(false|off|no|disabled?)$/i.test(value.trim())) return false;
    throw new ConfigError(option, value, 'an integer port from 1 to 65535, or false to disable', source);
  };
}

const OTLP_ENDPOINT_ACCEPTED = '"host:port" or an http(s):// URL, e.g. "localhost:4317" or "http://collector:4318"';

/** Normalises `host:port` or a URL into a URL string without a trailing slash. */
function parseEndpoint(option: string, source: ConfigSource) {
  return (value: unknown): string => {
    if (typeof value !== 'string' || value.trim() === '')
      throw new ConfigError(option, value, OTLP_ENDPOINT_ACCEPTED, source);
    const raw = value.trim();
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new ConfigError(option, value, OTLP_ENDPOINT_ACCEPTED, source);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username || url.search) {
      throw new ConfigError(option, value, OTLP_ENDPOINT_ACCEPTED, source);
    }
    if (!/^https?:\/\/[^/]+:\d+/i.test(withScheme) && !/^https?:\/\//i.test(raw)) {
      // A bare host without a port is ambiguous between the gRPC and HTTP ports.
      throw new ConfigError(option, value, OTLP_ENDPOINT_ACCEPTED, source);
    }
    return url.href.replace(/\/+$/, '');
  };
}

function parseProtocol(source: ConfigSource) {
  return (value: unknown): OtlpProtocol => {
    if (value === 'grpc' || value === 'http/protobuf') return value;
    throw new ConfigError('otlpProtocol', value, '"grpc" or "http/protobuf"', source);
  };
}

function parseLevelOption(option: string, source: ConfigSource) {
  return (value: unknown): LogLevel => {
    const level = typeof value === 'string' ? parseLogLevel(value) : undefined;
    if (!level) {
      throw new ConfigError(option, value, 'TRACE, DEBUG, INFO, WARN (WARNING), ERROR or FATAL (CRITICAL)', source);
    }
    return level;
  };
}

function parseEnvironmentOption(source: ConfigSource) {
  return (value: unknown): Environment => {
    const env = typeof value === 'string' ? parseEnvironment(value) : undefined;
    if (!env) throw new ConfigError('environment', value, 'development, test, staging or production', source);
    return env;
  };
}

function parseRatio(source: ConfigSource) {
  return (value: unknown): number => {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1) return n;
    throw new ConfigError('samplingRatio', value, 'a number from 0 to 1', source);
  };
}

const TRACE_EXPORTERS: readonly TraceExporterKind[] = ['console', 'memory', 'otlp', 'zipkin', 'none'];

function parseTraceExporter(source: ConfigSource) {
  return (value: unknown): TraceExporterKind => {
    if (typeof value === 'string' && (TRACE_EXPORTERS as readonly string[]).includes(value.trim().toLowerCase())) {
      return value.trim().toLowerCase() as TraceExporterKind;
    }
    throw new ConfigError('traceExporter', value, TRACE_EXPORTERS.join(', '), source);
  };
}

function parseAccessLog(source: ConfigSource) {
  return (value: unknown): LogLevel | 'auto' | false => {
    if (value === false || value === 'auto') return value;
    if (typeof value === 'string') {
      if (/^(false|off|none)$/i.test(value.trim())) return false;
      if (/^auto$/i.test(value.trim())) return 'auto';
      const level = parseLogLevel(value);
      if (level) return level;
    }
    throw new ConfigError('accessLog', value, '"auto" (level by status), a log level, or false', source);
  };
}

function parsePathList(option: string, source: ConfigSource) {
  return (value: unknown): readonly string[] => {
    const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
      throw new ConfigError(option, value, 'a list of paths starting with "/"', source);
    }
    return Object.freeze(list.filter((p: string) => p.length > 0));
  };
}

function parseKeyList(option: string, source: ConfigSource) {
  return (value: unknown): readonly string[] => {
    const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
    if (!Array.isArray(list) || list.some((k) => typeof k !== 'string' || k.trim() === '')) {
      throw new ConfigError(option, value, 'a list of non-empty key names', source);
    }
    const merged = new Set(DEFAULT_REDACTED_KEYS);
    for (const k of list as string[]) if (k.trim() !== '') merged.add(k.trim().toLowerCase());
    return Object.freeze([...merged]);
  };
}

function parseAttributes(value: unknown): Record<string, ResourceAttributeValue> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('additionalAttributes', value, 'an object of string, number or boolean values');
  }
  const out: Record<string, ResourceAttributeValue> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ConfigError(`additionalAttributes.${k}`, v, 'a string, number or boolean');
    }
    out[k] = v;
  }
  return out;
}

/** Parses `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, values percent-encoded) per the OTel spec. */
export function parseResourceAttributesEnv(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      if (pair.trim() === '') continue;
      throw new ConfigError(
        'additionalAttributes',
        raw,
        'OTEL_RESOURCE_ATTRIBUTES as key=value pairs separated by commas',
        'env',
      );
    }
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new ConfigError('additionalAttributes', raw, 'percent-encoded values in OTEL_RESOURCE_ATTRIBUTES', 'env');
    }
    out[key] = value;
  }
  return out;
}

function fromDefaults<T>(value: T) {
  return { value, source: 'default' as ConfigSource };
}

const definitions: readonly OptionResolver<unknown>[] = [
  {
    option: 'serviceName',
    envVars: ['OTEL_SERVICE_NAME'],
    type: 'string',
    accepted: 'a non-empty string, `company.service` by convention',
    description: 'Name of the service on every signal (`service.name`).',
    defaultText: "the app's package.json name",
    fromOption: nonEmptyString('serviceName'),
    fallback: (ctx) => {
      const name = ctx.packageJson?.name?.trim();
      if (!name) {
        throw new ConfigError(
          'serviceName',
          undefined,
          'a non-empty string; pass serviceName, set OTEL_SERVICE_NAME, or give the app a package.json with a name',
        );
      }
      return { value: name, source: 'package.json' };
    },
  },
  {
    option: 'serviceVersion',
    envVars: ['AUTOTELEMETRY_SERVICE_VERSION'],
    type: 'string',
    accepted: 'a non-empty string',
    description: 'Version of the service (`service.version`).',
    defaultText: "the app's package.json version, else `0.0.0`",
    fromOption: nonEmptyString('serviceVersion'),
    fallback: (ctx) => {
      const version = ctx.packageJson?.version?.trim();
      return version ? { value: version, source: 'package.json' } : fromDefaults('0.0.0');
    },
  },
  {
    option: 'environment',
    envVars: ['AUTOTELEMETRY_ENVIRONMENT'],
    type: 'Environment',
    accepted: 'development, test, staging, production',
    description: 'Deployment environment; decides the defaults below. Else mapped from `NODE_ENV`.',
    defaultText: 'from `NODE_ENV`: production → production, test → test, staging → staging, else development',
    fromOption: parseEnvironmentOption('option'),
    fromEnv: parseEnvironmentOption('env'),
    fallback: (ctx) => {
      const nodeEnv = ctx.env.NODE_ENV;
      return { value: environmentFromNodeEnv(nodeEnv), source: nodeEnv ? 'env' : 'default' };
    },
  },
  {
    option: 'logLevel',
    envVars: ['AUTOTELEMETRY_LOG_LEVEL'],
    type: 'LogLevel',
    accepted: 'TRACE, DEBUG, INFO, WARN (WARNING), ERROR, FATAL (CRITICAL)',
    description: 'Lowest level written; lower levels cost nothing.',
    defaultText: PER_ENV('logLevel'),
    fromOption: parseLevelOption('logLevel', 'option'),
    fromEnv: parseLevelOption('logLevel', 'env'),
    fallback: (ctx) => fromDefaults(ENVIRONMENT_DEFAULTS[ctx.environment].logLevel),
  },
  {
    option: 'jsonLogs',
    envVars: ['AUTOTELEMETRY_JSON_LOGS'],
    type: 'boolean',
    accepted: 'true or false (always true in production)',
    description: 'JSON lines (true) or the readable text line (false).',
    defaultText: PER_ENV('jsonLogs'),
    fromOption: parseBoolean('jsonLogs'),
    fromEnv: parseBooleanEnv('jsonLogs'),
    fallback: (ctx) => fromDefaults(ENVIRONMENT_DEFAULTS[ctx.environment].jsonLogs),
  },
  {
    option: 'prometheusPort',
    envVars: ['AUTOTELEMETRY_PROMETHEUS_PORT'],
    type: 'number | false',
    accepted: 'an integer port from 1 to 65535, or false',
    description: 'Port of the Prometheus `/metrics` endpoint; false disables it.',
    defaultText: { development: '8000', test: 'false', staging: '8000', production: '8000' },
    fromOption: parsePort('prometheusPort', 'option'),
    fromEnv: parsePort('prometheusPort', 'env'),
    fallback: (ctx) => fromDefaults(ENVIRONMENT_DEFAULTS[ctx.environment].prometheus ? 8000 : false),
  },
  {
    option: 'prometheusHost',
    envVars: ['AUTOTELEMETRY_PROMETHEUS_HOST'],
    type: 'string',
    accepted: 'a host name or IP address',
    description: 'Address the `/metrics` endpoint listens on.',
    defaultText: '`0.0.0.0` (all interfaces)',
    fromOption: nonEmptyString('prometheusHost'),
    fallback: () => fromDefaults('0.0.0.0'),
  },
  {
    option: 'otlpProtocol',
    envVars: ['OTEL_EXPORTER_OTLP_PROTOCOL'],
    type: "'grpc' | 'http/protobuf'",
    accepted: 'grpc, http/protobuf',
    description: 'Wire protocol of the OTLP exporters (traces, metrics, logs).',
    defaultText: '`grpc`',
    fromOption: parseProtocol('option'),
    fromEnv: parseProtocol('env'),
    fallback: () => fromDefaults('grpc' as OtlpProtocol),
  },
  {
    option: 'otlpEndpoint',
    envVars: ['OTEL_EXPORTER_OTLP_ENDPOINT'],
    type: 'string',
    accepted: OTLP_ENDPOINT_ACCEPTED,
    description: 'Where OTLP goes (a collector, Jaeger, …).',
    defaultText: '`localhost:4317` for gRPC, `http://localhost:4318` for http/protobuf',
    fromOption: parseEndpoint('otlpEndpoint', 'option'),
    fromEnv: parseEndpoint('otlpEndpoint', 'env'),
    fallback: (ctx) =>
      fromDefaults(
        (ctx.options.otlpProtocol ?? ctx.env.OTEL_EXPORTER_OTLP_PROTOCOL) === 'http/protobuf'
          ? 'http://localhost:4318'
          : 'http://localhost:4317',
      ),
  },
  {
    option: 'additionalAttributes',
    envVars: ['OTEL_RESOURCE_ATTRIBUTES'],
    type: 'Record<string, string | number | boolean>',
    accepted: 'an object; the variable as `key=value,key2=value2`',
    description: 'Extra resource attributes on every signal (options win over the variable).',
    defaultText: '`{}`',
    fromOption: parseAttributes,
    fromEnv: parseResourceAttributesEnv,
    fallback: () => fromDefaults({}),
  },
  {
    option: 'samplingRatio',
    envVars: ['OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'],
    customEnv: true,
    type: 'number',
    accepted: 'a number from 0 to 1',
    description:
      'Head sampling ratio, parent-based. The variables take `always_on`, `always_off`, `traceidratio` and their `parentbased_` forms, with the ratio in `OTEL_TRACES_SAMPLER_ARG`.',
    defaultText: '`1` (every trace)',
    fromOption: parseRatio('option'),
    fallback: (ctx) => samplerFromEnv(ctx.env),
  },
  {
    option: 'enabled',
    envVars: ['OTEL_SDK_DISABLED'],
    customEnv: true,
    type: 'boolean',
    accepted: 'true or false',
    description: 'Master switch; `OTEL_SDK_DISABLED=true` turns telemetry off (logs still work).',
    defaultText: '`true`',
    fromOption: parseBoolean('enabled'),
    fallback: (ctx) => {
      const raw = ctx.env.OTEL_SDK_DISABLED;
      if (raw === undefined || raw.trim() === '') return fromDefaults(true);
      try {
        return { value: !parseBooleanEnv('enabled')(raw), source: 'env' };
      } catch {
        throw new ConfigError('enabled', raw, 'true or false', 'env', 'OTEL_SDK_DISABLED');
      }
    },
  },
  {
    option: 'traceExporter',
    envVars: ['OTEL_TRACES_EXPORTER'],
    type: "'console' | 'memory' | 'otlp' | 'zipkin' | 'none'",
    accepted: TRACE_EXPORTERS.join(', '),
    description: 'Where spans go.',
    defaultText: PER_ENV('traceExporter'),
    fromOption: parseTraceExporter('option'),
    fromEnv: parseTraceExporter('env'),
    fallback: (ctx) => fromDefaults(ENVIRONMENT_DEFAULTS[ctx.environment].traceExporter),
  },
  {
    option: 'zipkinEndpoint',
    envVars: ['OTEL_EXPORTER_ZIPKIN_ENDPOINT'],
    type: 'string',
    accepted: 'an http(s):// URL',
    description: 'Zipkin collector URL, used when `traceExporter` is `zipkin`.',
    defaultText: '`http://localhost:9411/api/v2/spans`',
    fromOption: parseEndpoint('zipkinEndpoint', 'option'),
    fromEnv: parseEndpoint('zipkinEndpoint', 'env'),
    fallback: () => fromDefaults('http://localhost:9411/api/v2/spans'),
  },
  {
    option: 'runtimeMetrics',
    envVars: ['AUTOTELEMETRY_RUNTIME_METRICS'],
    type: 'boolean',
    accepted: 'true or false',
    description: 'CPU, memory, event-loop delay and utilisation, GC and uptime metrics.',
    defaultText: PER_ENV('runtimeMetrics'),
    fromOption: parseBoolean('runtimeMetrics'),
    fromEnv: parseBooleanEnv('runtimeMetrics'),
    fallback: (ctx) => fromDefaults(ENVIRONMENT_DEFAULTS[ctx.environment].runtimeMetrics),
  },
  {
    option: 'anomalyDetection',
    envVars: ['AUTOTELEMETRY_ANOMALY_DETECTION'],
    type: 'boolean',
    accepted: 'true or false',
    description: 'In-process detection of latency and error-rate outliers per route and operation.',
    defaultText: PER_ENV('anomalyDetection'),
    fromOption: parseBoolean('anomalyDetection'),
    fromEnv: parseBooleanEnv('anomalyDetection'),
    fallback: (ctx) => fromDefaults(ENVIRONMENT_DEFAULTS[ctx.environment].anomalyDetection),
  },
  {
    option: 'strictNaming',
    envVars: ['AUTOTELEMETRY_STRICT_NAMING'],
    type: 'boolean',
    accepted: 'true or false',
    description: 'Throw on names that break the naming standard instead of warning once.',
    defaultText: '`false`',
    fromOption: parseBoolean('strictNaming'),
    fromEnv: parseBooleanEnv('strictNaming'),
    fallback: () => fromDefaults(false),
  },
  {
    option: 'accessLog',
    envVars: ['AUTOTELEMETRY_ACCESS_LOG'],
    type: "LogLevel | 'auto' | false",
    accepted: '"auto" (ERROR for 5xx, WARN for 4xx, else INFO), a log level, or false',
    description: 'Level of the one access log line per request.',
    defaultText: '`auto`',
    fromOption: parseAccessLog('option'),
    fromEnv: parseAccessLog('env'),
    fallback: () => fromDefaults('auto'),
  },
  {
    option: 'excludePaths',
    envVars: ['AUTOTELEMETRY_EXCLUDE_PATHS'],
    type: 'string[]',
    accepted: 'paths starting with "/"; the variable comma-separated',
    description: 'Request paths that get no span, metric or access log (exact match, query ignored).',
    defaultText: DEFAULT_EXCLUDED_PATHS.map((p) => `\`${p}\``).join(', '),
    fromOption: parsePathList('excludePaths', 'option'),
    fromEnv: parsePathList('excludePaths', 'env'),
    fallback: () => fromDefaults(DEFAULT_EXCLUDED_PATHS),
  },
  {
    option: 'redact',
    envVars: ['AUTOTELEMETRY_REDACT'],
    type: 'string[]',
    accepted: 'key names; the variable comma-separated',
    description: 'Extra keys whose values are replaced by `[REDACTED]`, added to the default list.',
    defaultText: DEFAULT_REDACTED_KEYS.map((k) => `\`${k}\``).join(', '),
    fromOption: parseKeyList('redact', 'option'),
    fromEnv: parseKeyList('redact', 'env'),
    fallback: () => fromDefaults(DEFAULT_REDACTED_KEYS),
  },
  {
    option: 'logDestination',
    envVars: [],
    type: 'number | string | { write(chunk: string): unknown }',
    accepted: 'a file descriptor, a file path, or a writable object',
    description: 'Where log lines are written.',
    defaultText: 'standard output',
    fromOption: (value) => {
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
      if (typeof value === 'string' && value.trim() !== '') return value;
      if (value !== null && typeof value === 'object' && typeof (value as { write?: unknown }).write === 'function') {
        return value;
      }
      throw new ConfigError('logDestination', value, 'a file descriptor, a file path, or an object with write()');
    },
    fallback: () => fromDefaults(1),
  },
  extensionList<ExtensionSpanProcessor>(
    'spanProcessors',
    'SpanProcessor[]',
    ['onStart', 'onEnd', 'forceFlush', 'shutdown'],
    'Extra OpenTelemetry span processors, run after attribute redaction (code only).',
  ),
  extensionList<ExtensionMetricReader>(
    'metricReaders',
    'MetricReader[]',
    ['setMetricProducer', 'forceFlush', 'shutdown'],
    'Extra OpenTelemetry metric readers, fed by the same meters as `/metrics` (code only).',
  ),
  extensionList<ExtensionLogRecordProcessor>(
    'logRecordProcessors',
    'LogRecordProcessor[]',
    ['onEmit', 'forceFlush', 'shutdown'],
    'Extra OpenTelemetry log record processors; log lines then also become log records (code only).',
  ),
];

/** Declares a code-only option holding SDK extension objects, checked by the methods they must have. */
function extensionList<T>(
  option: ConfigKey,
  type: string,
  methods: readonly string[],
  description: string,
): OptionResolver<readonly T[]> {
  const accepted = `an array of objects with ${methods.join(', ')}`;
  return {
    option,
    envVars: [],
    type,
    accepted,
    description,
    defaultText: '`[]`',
    fromOption: (value) => {
      if (!Array.isArray(value)) throw new ConfigError(option, value, accepted);
      value.forEach((item: unknown, index) => {
        const missing = methods.find(
          (method) =>
            item === null ||
            typeof item !== 'object' ||
            typeof (item as Record<string, unknown>)[method] !== 'function',
        );
        if (missing)
          throw new ConfigError(`${option}[${index}]`, item, `an object with a ${missing}() method (${accepted})`);
      });
      return Object.freeze([...value]) as readonly T[];
    },
    fallback: () => fromDefaults(Object.freeze([]) as readonly T[]),
  };
}

/** The declared options, in documentation order. */
export const CONFIG_OPTIONS: readonly OptionDefinition[] = Object.freeze(
  definitions.map(({ option, envVars, type, accepted, description, defaultText }) =>
    Object.freeze({ option, envVars, type, accepted, description, defaultText }),
  ),
);

function samplerFromEnv(env: NodeJS.ProcessEnv): { value: number; source: ConfigSource } {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (!sampler) return fromDefaults(1);
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  switch (sampler) {
    case 'always_on':
    case 'parentbased_always_on':
      return { value: 1, source: 'env' };
    case 'always_off':
    case 'parentbased_always_off':
      return { value: 0, source: 'env' };
    case 'traceidratio':
    case 'parentbased_traceidratio':
      if (arg === undefined || arg.trim() === '') return { value: 1, source: 'env' };
      try {
        return { value: parseRatio('env')(arg), source: 'env' };
      } catch {
        throw new ConfigError('samplingRatio', arg, 'a number from 0 to 1', 'env', 'OTEL_TRACES_SAMPLER_ARG');
      }
    default:
      throw new ConfigError(
        'samplingRatio',
        sampler,
        'always_on, always_off, traceidratio or their parentbased_ forms',
        'env',
        'OTEL_TRACES_SAMPLER',
      );
  }
}

const KNOWN_OPTIONS = new Set<string>(definitions.map((d) => d.option));

/** Finds the app's package.json: nearest to the entry script, else to the working directory. */
export function findAppPackageJson(
  start: string | undefined = process.argv[1],
): { name?: string; version?: string; path: string } | undefined {
  const starts = [start ? dirname(resolve(start)) : undefined, process.cwd()];
  for (const first of starts) {
    if (!first) continue;
    let dir = first;
    for (;;) {
      const candidate = join(dir, 'package.json');
      if (existsSync(candidate) && !dir.split(/[\\/]/).includes('node_modules')) {
        try {
          const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
          return {
            path: candidate,
            ...(typeof parsed.name === 'string' ? { name: parsed.name } : {}),
            ...(typeof parsed.version === 'string' ? { version: parsed.version } : {}),
          };
        } catch {
          return undefined;
        }
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

/**
 * Resolves options over environment variables over the environment's defaults, and validates every value.
 * Throws a {@link ConfigError} naming the first bad option. The result is frozen.
 */
export function resolveConfig(options: TelemetryOptions = {}, env: NodeJS.ProcessEnv = process.env): Config {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError('options', options, 'an object of AutoTelemetry options');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new ConfigError(
        key,
        (options as Record<string, unknown>)[key],
        `a known option (${[...KNOWN_OPTIONS].join(', ')})`,
      );
    }
  }
  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  const ctx: { -readonly [K in keyof ResolveContext]: ResolveContext[K] } = {
    options,
    env,
    environment: Environment.DEVELOPMENT,
    packageJson: undefined,
  };
  let packageJsonLoaded = false;
  const lazyCtx = new Proxy(ctx, {
    get(target, prop) {
      if (prop === 'packageJson' && !packageJsonLoaded) {
        packageJsonLoaded = true;
        target.packageJson = findAppPackageJson();
      }
      return target[prop as keyof ResolveContext];
    },
  });

  for (const def of definitions) {
    const optionValue = (options as Record<string, unknown>)[def.option];
    if (optionValue !== undefined) {
      values[def.option] = def.fromOption(optionValue);
      sources[def.option] = 'option';
    } else {
      const envVar = def.customEnv
        ? undefined
        : def.envVars.find((name) => env[name] !== undefined && env[name]?.trim() !== '');
      if (envVar) {
        // String-typed options parse a variable the same way as an option.
        const parse = def.fromEnv ?? def.fromOption;
        try {
          values[def.option] = parse(env[envVar] as string);
        } catch (error) {
          if (error instanceof ConfigError)
            throw new ConfigError(def.option, error.value, error.accepted, 'env', envVar);
          throw error;
        }
        sources[def.option] = 'env';
      } else {
        const { value, source } = def.fallback(lazyCtx);
        values[def.option] = value;
        sources[def.option] = source;
      }
    }
    if (def.option === 'environment') ctx.environment = values.environment as Environment;
  }

  // Options win over OTEL_RESOURCE_ATTRIBUTES, key by key.
  if (sources.additionalAttributes === 'option' && env.OTEL_RESOURCE_ATTRIBUTES) {
    values.additionalAttributes = {
      ...parseResourceAttributesEnv(env.OTEL_RESOURCE_ATTRIBUTES),
      ...(values.additionalAttributes as object),
    };
  }
  Object.freeze(values.additionalAttributes);

  const warnings: string[] = [];
  const environment = values.environment as Environment;
  if (environment === Environment.PRODUCTION && values.jsonLogs === false) {
    warnings.push(
      `jsonLogs: false is ignored in production: logs are always JSON there (set from ${sources.jsonLogs === 'env' ? 'AUTOTELEMETRY_JSON_LOGS' : 'options'}).`,
    );
    values.jsonLogs = true;
  }
  const traceExporter = values.traceExporter as TraceExporterKind;
  const otlpEnabled =
    values.enabled === true &&
    (ENVIRONMENT_DEFAULTS[environment].otlp || traceExporter === 'otlp' || sources.otlpEndpoint !== 'default');

  return Object.freeze({
    ...(values as Omit<Config, 'sources' | 'warnings' | 'otlpEnabled'>),
    otlpEnabled,
    sources: Object.freeze(sources) as Config['sources'],
    warnings: Object.freeze(warnings),
  });
}
