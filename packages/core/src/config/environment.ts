/**
 * The deployment environments AutoTelemetry knows, and what each one turns on by default.
 *
 * @packageDocumentation
 */

/** Where the service runs. Decides the defaults of the {@link ENVIRONMENT_DEFAULTS} table. */
export const Environment = {
  DEVELOPMENT: 'development',
  TEST: 'test',
  STAGING: 'staging',
  PRODUCTION: 'production',
} as const;
/** One of the values of {@link Environment}. */
export type Environment = (typeof Environment)[keyof typeof Environment];

/** Log severities, lowest first. `WARNING` and `CRITICAL` are accepted as aliases of `WARN` and `FATAL`. */
export const LogLevel = {
  TRACE: 'TRACE',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARN: 'WARN',
  ERROR: 'ERROR',
  FATAL: 'FATAL',
} as const;
/** One of the values of {@link LogLevel}. */
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** Numeric severity of each {@link LogLevel}, as pino numbers them. */
export const LOG_LEVEL_VALUES: Readonly<Record<LogLevel, number>> = Object.freeze({
  TRACE: 10,
  DEBUG: 20,
  INFO: 30,
  WARN: 40,
  ERROR: 50,
  FATAL: 60,
});

const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = Object.freeze({
  WARNING: LogLevel.WARN,
  CRITICAL: LogLevel.FATAL,
});

/** Returns the {@link LogLevel} a case-insensitive name stands for (aliases included), or undefined. */
export function parseLogLevel(name: string): LogLevel | undefined {
  const upper = name.trim().toUpperCase();
  if (Object.hasOwn(LOG_LEVEL_VALUES, upper)) return upper as LogLevel;
  return LEVEL_ALIASES[upper];
}

/** Returns the {@link Environment} a case-insensitive name stands for (`prod`, `dev`, `stage` included), or undefined. */
export function parseEnvironment(name: string): Environment | undefined {
  const lower = name.trim().toLowerCase();
  switch (lower) {
    case 'development':
    case 'dev':
      return Environment.DEVELOPMENT;
    case 'test':
    case 'testing':
      return Environment.TEST;
    case 'staging':
    case 'stage':
      return Environment.STAGING;
    case 'production':
    case 'prod':
      return Environment.PRODUCTION;
    default:
      return undefined;
  }
}

/**
 * Maps `NODE_ENV` to an environment: production → PRODUCTION, test → TEST, staging → STAGING,
 * anything else (or unset) → DEVELOPMENT.
 */
export function environmentFromNodeEnv(nodeEnv: string | undefined): Environment {
  switch (nodeEnv?.trim().toLowerCase()) {
    case 'production':
      return Environment.PRODUCTION;
    case 'test':
      return Environment.TEST;
    case 'staging':
      return Environment.STAGING;
    default:
      return Environment.DEVELOPMENT;
  }
}

/** Where finished spans go by default. */
export type TraceExporterKind = 'console' | 'memory' | 'otlp' | 'zipkin' | 'none';

/** What an environment turns on when no option or environment variable says otherwise. */
export interface EnvironmentDefaults {
  /** JSON lines (true) or the readable text line (false). Always true in PRODUCTION. */
  readonly jsonLogs: boolean;
  /** Lowest level written. */
  readonly logLevel: LogLevel;
  /** Where spans go. */
  readonly traceExporter: TraceExporterKind;
  /** Whether metrics and logs are also exported over OTLP. */
  readonly otlp: boolean;
  /** Whether `/metrics` is served for Prometheus. */
  readonly prometheus: boolean;
  /** Whether CPU, memory, event-loop and GC metrics are collected. */
  readonly runtimeMetrics: boolean;
  /** Whether the in-process anomaly detector judges latencies and error rates. */
  readonly anomalyDetection: boolean;
  /** Whether the local telemetry viewer is served (on loopback). */
  readonly viewer: boolean;
  /** Whether `console.*` output is written as log lines (the logger's schema) instead of plain text. */
  readonly captureConsole: boolean;
}

/** The per-environment defaults table of the design. */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<Environment, EnvironmentDefaults>> = Object.freeze({
  development: Object.freeze({
    jsonLogs: false,
    logLevel: LogLevel.DEBUG,
    traceExporter: 'console',
    otlp: false,
    prometheus: true,
    runtimeMetrics: true,
    anomalyDetection: true,
    viewer: true,
    captureConsole: false,
  }),
  test: Object.freeze({
    jsonLogs: true,
    logLevel: LogLevel.WARN,
    traceExporter: 'memory',
    otlp: false,
    prometheus: false,
    runtimeMetrics: false,
    anomalyDetection: false,
    viewer: false,
    captureConsole: false,
  }),
  staging: Object.freeze({
    jsonLogs: true,
    logLevel: LogLevel.INFO,
    traceExporter: 'otlp',
    otlp: true,
    prometheus: true,
    runtimeMetrics: true,
    anomalyDetection: true,
    viewer: false,
    captureConsole: false,
  }),
  production: Object.freeze({
    jsonLogs: true,
    logLevel: LogLevel.INFO,
    traceExporter: 'otlp',
    otlp: true,
    prometheus: true,
    runtimeMetrics: true,
    anomalyDetection: true,
    viewer: false,
    captureConsole: true,
  }),
});
