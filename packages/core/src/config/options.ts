/**
 * The one option table: every option is declared once here — its name, environment variables, parser,
 * default per environment and documentation line. Resolution (resolve.ts), validation, the `doctor` report
 * and the generated configuration page all read this table.
 */

import { DEFAULT_EXCLUDED_PATHS, DEFAULT_REDACTED_KEYS } from './defaults.js';
import { ENVIRONMENT_DEFAULTS, Environment, environmentFromNodeEnv } from './environment.js';
import {
  fromDefaults,
  nonEmptyString,
  OTLP_ENDPOINT_ACCEPTED,
  parseAccessLog,
  parseAttributes,
  parseBoolean,
  parseBooleanEnv,
  parseBoundedCount,
  parseEndpoint,
  parseEnvironmentOption,
  parseKeyList,
  parseLevelOption,
  parseListenPort,
  parsePathList,
  parsePort,
  parseProtocol,
  parseRatio,
  parseResourceAttributesEnv,
  parseTraceExporter,
  samplerFromEnv,
  TRACE_EXPORTERS,
} from './parsers.js';
import {
  ConfigError,
  type ConfigKey,
  type ConfigSource,
  type ExtensionLogRecordProcessor,
  type ExtensionMetricReader,
  type ExtensionSpanProcessor,
  INSTRUMENTED_LIBRARIES,
  type InstrumentedLibrary,
  type OtlpProtocol,
  type TelemetryOptions,
} from './types.js';

export interface ResolveContext {
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

export interface OptionResolver<T> extends OptionDefinition {
  fromOption(value: unknown): T;
  /** True when `fallback` reads the variables itself (several variables make one value). */
  customEnv?: boolean;
  /** Parses the environment variable; string-typed options omit it and reuse fromOption. */
  fromEnv?(raw: string): T;
  fallback(ctx: ResolveContext): { value: T; source: ConfigSource };
}

/** The variable that turns graphql resolver spans on (`instrumentations.graphql.resolvers`). */
export const GRAPHQL_RESOLVERS_ENV = 'AUTOTELEMETRY_GRAPHQL_RESOLVERS';

/** What `instrumentations` accepts, in words. */
const INSTRUMENTATIONS_ACCEPTED = `an object whose keys are among ${INSTRUMENTED_LIBRARIES.join(', ')} and whose values are true or false; graphql also takes { resolvers: true or false }`;

/** The viewer's port in development, next to the Prometheus endpoint's 8000. */
export const DEFAULT_VIEWER_PORT = 8001;

/** The largest viewer buffer accepted: the buffers are held in memory. */
const VIEWER_MAX_BUFFER = 100_000;

const PER_ENV = <K extends keyof (typeof ENVIRONMENT_DEFAULTS)[Environment]>(key: K) =>
  Object.fromEntries(Object.values(Environment).map((env) => [env, String(ENVIRONMENT_DEFAULTS[env][key])])) as Record<
    Environment,
    string
  >;

export const OPTION_RESOLVERS: readonly OptionResolver<unknown>[] = [
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
  {
    option: 'logCorrelation',
    envVars: ['AUTOTELEMETRY_LOG_CORRELATION'],
    type: 'boolean',
    accepted: 'true or false',
    description:
      "Adds the active span's `trace_id` and `span_id` to every line of the app's own pino and winston loggers, created before or after the start; their level, format and output stay the app's.",
    defaultText: '`true`',
    fromOption: parseBoolean('logCorrelation'),
    fromEnv: parseBooleanEnv('logCorrelation'),
    fallback: () => fromDefaults(true),
  },
  {
    option: 'captureConsole',
    envVars: ['AUTOTELEMETRY_CAPTURE_CONSOLE'],
    type: 'boolean',
    accepted: 'true or false',
    description:
      "Writes each `console.log`, `info`, `debug`, `warn`, `error`, `trace` and `dir` call (the app's and its libraries') as one log line — logger `console`, level from the method, the trace ids — to the log destination, instead of plain text.",
    defaultText: PER_ENV('captureConsole'),
    fromOption: parseBoolean('captureConsole'),
    fromEnv: parseBooleanEnv('captureConsole'),
    fallback: (ctx) => fromDefaults(ENVIRONMENT_DEFAULTS[ctx.environment].captureConsole),
  },
  {
    option: 'viewerPort',
    envVars: ['AUTOTELEMETRY_VIEWER_PORT'],
    type: 'number | false',
    accepted: 'an integer port from 0 (any free port) to 65535, or false',
    description:
      'Port of the local telemetry viewer (`/_telemetry/`: traces, their logs, live metrics); false disables it.',
    defaultText: { development: '8001', test: 'false', staging: 'false', production: 'false' },
    fromOption: parseListenPort('viewerPort', 'option'),
    fromEnv: parseListenPort('viewerPort', 'env'),
    fallback: (ctx) => fromDefaults(ENVIRONMENT_DEFAULTS[ctx.environment].viewer ? DEFAULT_VIEWER_PORT : false),
  },
  {
    option: 'viewerHost',
    envVars: ['AUTOTELEMETRY_VIEWER_HOST'],
    type: 'string',
    accepted: 'a host name or IP address',
    description: 'Address the viewer listens on. Its pages show the telemetry of the service: keep it on loopback.',
    defaultText: '`127.0.0.1` (this machine only)',
    fromOption: nonEmptyString('viewerHost'),
    fallback: () => fromDefaults('127.0.0.1'),
  },
  viewerBuffer('viewerMaxTraces', 'AUTOTELEMETRY_VIEWER_MAX_TRACES', 'traces', 200),
  viewerBuffer('viewerMaxLogLines', 'AUTOTELEMETRY_VIEWER_MAX_LOG_LINES', 'log lines', 2000),
  {
    option: 'instrumentations',
    envVars: ['OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', GRAPHQL_RESOLVERS_ENV],
    customEnv: true,
    type: `{ ${INSTRUMENTED_LIBRARIES.map((name) => `${name}?: ${name === 'graphql' ? 'boolean | { resolvers?: boolean }' : 'boolean'}`).join('; ')} }`,
    accepted: INSTRUMENTATIONS_ACCEPTED,
    description: `Which libraries get spans and duration metrics (\`db.client.operation.duration\` for pg, mysql2, ioredis and redis; \`messaging.client.operation.duration\` and \`messaging.process.duration\` for amqplib; for gRPC, client and server spans and \`rpc.client.call.duration\` / \`rpc.server.call.duration\`): all found ones unless turned off. The list variables take comma-separated names: disabled ones, or the only enabled ones. \`graphql: { resolvers: true }\` (or \`${GRAPHQL_RESOLVERS_ENV}=true\`) adds one span per resolver call.`,
    defaultText: 'every library on; graphql resolvers off',
    fromOption: parseInstrumentations,
    fallback: instrumentationsFromEnv,
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

const ALL_INSTRUMENTATIONS = (on: boolean): Record<InstrumentedLibrary, boolean> =>
  Object.fromEntries(INSTRUMENTED_LIBRARIES.map((name) => [name, on])) as Record<InstrumentedLibrary, boolean>;

const isInstrumentedLibrary = (name: string): name is InstrumentedLibrary =>
  (INSTRUMENTED_LIBRARIES as readonly string[]).includes(name);

/** `{ pg: false }` over every library on; graphql also takes `{ resolvers?: boolean }` (on). */
function parseInstrumentations(value: unknown): Readonly<Record<InstrumentedLibrary, boolean>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('instrumentations', value, INSTRUMENTATIONS_ACCEPTED);
  }
  const out = ALL_INSTRUMENTATIONS(true);
  for (const [name, on] of Object.entries(value)) {
    if (!isInstrumentedLibrary(name))
      throw new ConfigError(`instrumentations.${name}`, on, `a key among ${INSTRUMENTED_LIBRARIES.join(', ')}`);
    if (name === 'graphql' && on !== null && typeof on === 'object' && !Array.isArray(on)) {
      graphqlOptions(on);
      out.graphql = true;
      continue;
    }
    if (typeof on !== 'boolean')
      throw new ConfigError(
        `instrumentations.${name}`,
        on,
        name === 'graphql' ? 'true, false or { resolvers?: boolean }' : 'true or false',
      );
    out[name] = on;
  }
  return Object.freeze(out);
}

/** Checks `instrumentations.graphql` given as an object; answers its resolvers switch when set. */
function graphqlOptions(value: object): boolean | undefined {
  let resolvers: boolean | undefined;
  for (const [key, setting] of Object.entries(value)) {
    if (key !== 'resolvers') throw new ConfigError(`instrumentations.graphql.${key}`, setting, 'a key among resolvers');
    if (setting === undefined) continue;
    if (typeof setting !== 'boolean')
      throw new ConfigError('instrumentations.graphql.resolvers', setting, 'true or false');
    resolvers = setting;
  }
  return resolvers;
}

/**
 * Whether graphql resolver calls get spans: `instrumentations.graphql.resolvers` when set in code, else
 * {@link GRAPHQL_RESOLVERS_ENV}, else off. Run after `instrumentations` validated the option.
 */
export function resolveGraphqlResolvers(options: TelemetryOptions, env: NodeJS.ProcessEnv): boolean {
  const graphql = (options.instrumentations as Record<string, unknown> | undefined)?.graphql;
  if (graphql !== null && typeof graphql === 'object') {
    const set = graphqlOptions(graphql);
    if (set !== undefined) return set;
  }
  const raw = env[GRAPHQL_RESOLVERS_ENV];
  if (raw === undefined || raw.trim() === '') return false;
  try {
    return parseBooleanEnv('instrumentations.graphql.resolvers')(raw);
  } catch {
    throw new ConfigError(
      'instrumentations.graphql.resolvers',
      raw,
      'true/false, 1/0, yes/no, on/off',
      'env',
      GRAPHQL_RESOLVERS_ENV,
    );
  }
}

/** The two variables: disabled names (over every library on), or the only enabled names. */
function instrumentationsFromEnv(ctx: ResolveContext): {
  value: Readonly<Record<InstrumentedLibrary, boolean>>;
  source: ConfigSource;
} {
  const read = (envVar: string): string[] | undefined => {
    const raw = ctx.env[envVar];
    if (raw === undefined || raw.trim() === '') return undefined;
    const names = raw
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const unknown = names.find((name) => !isInstrumentedLibrary(name));
    if (unknown !== undefined) {
      throw new ConfigError(
        'instrumentations',
        raw,
        `comma-separated names among ${INSTRUMENTED_LIBRARIES.join(', ')}`,
        'env',
        envVar,
      );
    }
    return names;
  };
  const enabled = read('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = read('OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  if (enabled === undefined && disabled === undefined) return fromDefaults(Object.freeze(ALL_INSTRUMENTATIONS(true)));
  const out = ALL_INSTRUMENTATIONS(enabled === undefined);
  for (const name of enabled ?? []) out[name as InstrumentedLibrary] = true;
  for (const name of disabled ?? []) out[name as InstrumentedLibrary] = false;
  return { value: Object.freeze(out), source: 'env' };
}

/** Declares the size of one of the viewer's buffers. */
function viewerBuffer(option: ConfigKey, envVar: string, what: string, size: number): OptionResolver<number> {
  return {
    option,
    envVars: [envVar],
    type: 'number',
    accepted: `an integer from 1 to ${VIEWER_MAX_BUFFER}`,
    description: `How many recent ${what} the viewer keeps; older ones are dropped.`,
    defaultText: `\`${size}\``,
    fromOption: parseBoundedCount(option, 'option', VIEWER_MAX_BUFFER),
    fromEnv: parseBoundedCount(option, 'env', VIEWER_MAX_BUFFER),
    fallback: () => fromDefaults(size),
  };
}

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
  OPTION_RESOLVERS.map(({ option, envVars, type, accepted, description, defaultText }) =>
    Object.freeze({ option, envVars, type, accepted, description, defaultText }),
  ),
);
