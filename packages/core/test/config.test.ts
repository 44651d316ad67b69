import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_OPTIONS,
  ConfigError,
  DEFAULT_EXCLUDED_PATHS,
  DEFAULT_REDACTED_KEYS,
  ENVIRONMENT_DEFAULTS,
  Environment,
  environmentFromNodeEnv,
  findAppPackageJson,
  LogLevel,
  parseLogLevel,
  resolveConfig,
} from '../src/index.js';

const base = { serviceName: 'shop.api' } as const;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('resolveConfig precedence', () => {
  it('takes options over environment variables over environment defaults', () => {
    const env = { AUTOTELEMETRY_LOG_LEVEL: 'error', AUTOTELEMETRY_ENVIRONMENT: 'staging' };
    const fromEnv = resolveConfig(base, env);
    expect(fromEnv.environment).toBe(Environment.STAGING);
    expect(fromEnv.logLevel).toBe(LogLevel.ERROR);
    expect(fromEnv.sources.logLevel).toBe('env');

    const fromOption = resolveConfig({ ...base, logLevel: 'DEBUG' }, env);
    expect(fromOption.logLevel).toBe(LogLevel.DEBUG);
    expect(fromOption.sources.logLevel).toBe('option');

    const fromDefault = resolveConfig(base, { AUTOTELEMETRY_ENVIRONMENT: 'staging' });
    expect(fromDefault.logLevel).toBe(ENVIRONMENT_DEFAULTS.staging.logLevel);
    expect(fromDefault.sources.logLevel).toBe('default');
  });

  it('applies each environment default of the design table', () => {
    for (const environment of Object.values(Environment)) {
      const config = resolveConfig({ ...base, environment }, {});
      const defaults = ENVIRONMENT_DEFAULTS[environment];
      expect(config.environment).toBe(environment);
      expect(config.jsonLogs).toBe(defaults.jsonLogs);
      expect(config.logLevel).toBe(defaults.logLevel);
      expect(config.traceExporter).toBe(defaults.traceExporter);
      expect(config.prometheusPort).toBe(defaults.prometheus ? 8000 : false);
      expect(config.runtimeMetrics).toBe(defaults.runtimeMetrics);
      expect(config.anomalyDetection).toBe(defaults.anomalyDetection);
      expect(config.otlpEnabled).toBe(defaults.otlp);
      expect(config.captureConsole).toBe(defaults.captureConsole);
      expect(config.logCorrelation).toBe(true);
    }
    expect(Object.values(Environment).filter((env) => ENVIRONMENT_DEFAULTS[env].captureConsole)).toEqual([
      'production',
    ]);
    expect(ENVIRONMENT_DEFAULTS.development.jsonLogs).toBe(false);
    expect(ENVIRONMENT_DEFAULTS.test.traceExporter).toBe('memory');
  });

  it('maps NODE_ENV when no environment is named', () => {
    expect(resolveConfig(base, { NODE_ENV: 'production' }).environment).toBe('production');
    expect(resolveConfig(base, { NODE_ENV: 'test' }).environment).toBe('test');
    expect(resolveConfig(base, { NODE_ENV: 'staging' }).environment).toBe('staging');
    expect(resolveConfig(base, { NODE_ENV: 'qa' }).environment).toBe('development');
    expect(resolveConfig(base, {}).environment).toBe('development');
    expect(environmentFromNodeEnv(undefined)).toBe('development');
    // AUTOTELEMETRY_ENVIRONMENT wins over NODE_ENV.
    expect(resolveConfig(base, { NODE_ENV: 'production', AUTOTELEMETRY_ENVIRONMENT: 'test' }).environment).toBe('test');
  });

  it('forces JSON logs in production, with one warning that says so', () => {
    const config = resolveConfig({ ...base, environment: 'production', jsonLogs: false }, {});
    expect(config.jsonLogs).toBe(true);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/jsonLogs: false is ignored in production/);
    const viaEnv = resolveConfig(base, { NODE_ENV: 'production', AUTOTELEMETRY_JSON_LOGS: 'false' });
    expect(viaEnv.jsonLogs).toBe(true);
    expect(viaEnv.warnings[0]).toMatch(/AUTOTELEMETRY_JSON_LOGS/);
    expect(resolveConfig({ ...base, environment: 'staging', jsonLogs: false }, {}).jsonLogs).toBe(false);
  });

  it('returns a frozen object', () => {
    const config = resolveConfig(base, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.additionalAttributes)).toBe(true);
    expect(Object.isFrozen(config.excludePaths)).toBe(true);
    expect(() => {
      (config as { serviceName: string }).serviceName = 'other';
    }).toThrow(TypeError);
  });
});

describe('service identity', () => {
  it('falls back to OTEL_SERVICE_NAME, then to the package.json nearest to the entry script', () => {
    expect(resolveConfig({}, { OTEL_SERVICE_NAME: 'billing.worker' }).serviceName).toBe('billing.worker');
    const dir = mkdtempSync(join(tmpdir(), 'autotelemetry-pkg-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'acme.orders', version: '2.3.4' }));
    const found = findAppPackageJson(join(dir, 'src', 'main.js'));
    expect(found).toMatchObject({ name: 'acme.orders', version: '2.3.4' });
  });

  it('uses the package.json version, else 0.0.0, and the env var over both', () => {
    const config = resolveConfig(base, {});
    // The vitest entry script resolves to this repo's own package.json, which has no version.
    expect(typeof config.serviceVersion).toBe('string');
    expect(resolveConfig(base, { AUTOTELEMETRY_SERVICE_VERSION: '9.9.9' }).serviceVersion).toBe('9.9.9');
    expect(resolveConfig({ ...base, serviceVersion: '1.0.0' }, {}).serviceVersion).toBe('1.0.0');
  });
});

describe('OTLP and resource settings', () => {
  it('normalises host:port and URLs, with the protocol-dependent default', () => {
    expect(resolveConfig(base, {}).otlpEndpoint).toBe('http://localhost:4317');
    expect(resolveConfig({ ...base, otlpProtocol: 'http/protobuf' }, {}).otlpEndpoint).toBe('http://localhost:4318');
    expect(resolveConfig({ ...base, otlpEndpoint: 'collector:4317' }, {}).otlpEndpoint).toBe('http://collector:4317');
    expect(resolveConfig(base, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example:443/' }).otlpEndpoint).toBe(
      'https://otel.example',
    );
    expect(resolveConfig(base, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).otlpProtocol).toBe('http/protobuf');
  });

  it('merges OTEL_RESOURCE_ATTRIBUTES under additionalAttributes, options winning per key', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'team=data,region=eu%2Dwest,tier=gold' };
    expect(resolveConfig(base, env).additionalAttributes).toEqual({ team: 'data', region: 'eu-west', tier: 'gold' });
    expect(
      resolveConfig({ ...base, additionalAttributes: { team: 'core', shard: 3 } }, env).additionalAttributes,
    ).toEqual({ team: 'core', region: 'eu-west', tier: 'gold', shard: 3 });
  });

  it('reads the standard sampler variables and OTEL_SDK_DISABLED', () => {
    expect(resolveConfig(base, {}).samplingRatio).toBe(1);
    expect(
      resolveConfig(base, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })
        .samplingRatio,
    ).toBe(0.25);
    expect(resolveConfig(base, { OTEL_TRACES_SAMPLER: 'always_off' }).samplingRatio).toBe(0);
    expect(resolveConfig(base, { OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(resolveConfig(base, { OTEL_SDK_DISABLED: 'true' }).otlpEnabled).toBe(false);
    expect(resolveConfig(base, { OTEL_SDK_DISABLED: 'false' }).enabled).toBe(true);
  });

  it('disables Prometheus with false, from an option or the variable', () => {
    expect(resolveConfig({ ...base, prometheusPort: false }, {}).prometheusPort).toBe(false);
    expect(resolveConfig(base, { AUTOTELEMETRY_PROMETHEUS_PORT: 'off' }).prometheusPort).toBe(false);
    expect(resolveConfig(base, { AUTOTELEMETRY_PROMETHEUS_PORT: '9464' }).prometheusPort).toBe(9464);
  });

  it('turns console capture and log correlation off or on, from an option or the variable', () => {
    const production = { ...base, environment: 'production' } as const;
    expect(resolveConfig({ ...production, captureConsole: false }, {}).captureConsole).toBe(false);
    expect(resolveConfig(production, { AUTOTELEMETRY_CAPTURE_CONSOLE: 'off' }).captureConsole).toBe(false);
    expect(resolveConfig(base, { AUTOTELEMETRY_CAPTURE_CONSOLE: 'yes' }).captureConsole).toBe(true);
    expect(resolveConfig({ ...base, logCorrelation: false }, {}).logCorrelation).toBe(false);
    const fromEnv = resolveConfig(base, { AUTOTELEMETRY_LOG_CORRELATION: '0' });
    expect([fromEnv.logCorrelation, fromEnv.sources.logCorrelation]).toEqual([false, 'env']);
  });

  it('adds configured keys to the default redaction list and keeps default exclusions', () => {
    const config = resolveConfig({ ...base, redact: ['X-Session'] }, {});
    expect(config.redact).toEqual([...DEFAULT_REDACTED_KEYS, 'x-session']);
    expect(resolveConfig(base, {}).excludePaths).toEqual(DEFAULT_EXCLUDED_PATHS);
    expect(resolveConfig(base, { AUTOTELEMETRY_EXCLUDE_PATHS: '/ping, /status' }).excludePaths).toEqual([
      '/ping',
      '/status',
    ]);
  });
});

describe('bad configuration fails fast, naming the option, the value and what is accepted', () => {
  const cases: Array<[string, () => unknown, string, RegExp]> = [
    [
      'unknown environment',
      () => resolveConfig({ ...base, environment: 'prdo' }, {}),
      'environment',
      /development, test, staging or production/,
    ],
    [
      'unknown environment from env',
      () => resolveConfig(base, { AUTOTELEMETRY_ENVIRONMENT: 'qa' }),
      'environment',
      /AUTOTELEMETRY_ENVIRONMENT/,
    ],
    ['unknown level', () => resolveConfig({ ...base, logLevel: 'LOUD' }, {}), 'logLevel', /TRACE, DEBUG, INFO/],
    [
      'console capture not a boolean',
      () => resolveConfig({ ...base, captureConsole: 'yes' as never }, {}),
      'captureConsole',
      /true or false/,
    ],
    [
      'log correlation from env',
      () => resolveConfig(base, { AUTOTELEMETRY_LOG_CORRELATION: 'maybe' }),
      'logCorrelation',
      /true\/false/,
    ],
    [
      'unknown level from env',
      () => resolveConfig(base, { AUTOTELEMETRY_LOG_LEVEL: 'verbose' }),
      'logLevel',
      /AUTOTELEMETRY_LOG_LEVEL/,
    ],
    ['port 0', () => resolveConfig({ ...base, prometheusPort: 0 }, {}), 'prometheusPort', /1 to 65535/],
    ['port 65536', () => resolveConfig({ ...base, prometheusPort: 65536 }, {}), 'prometheusPort', /1 to 65535/],
    ['port not an integer', () => resolveConfig({ ...base, prometheusPort: 80.5 }, {}), 'prometheusPort', /integer/],
    [
      'port from env',
      () => resolveConfig(base, { AUTOTELEMETRY_PROMETHEUS_PORT: '99999' }),
      'prometheusPort',
      /AUTOTELEMETRY_PROMETHEUS_PORT/,
    ],
    ['malformed endpoint', () => resolveConfig({ ...base, otlpEndpoint: 'http://' }, {}), 'otlpEndpoint', /host:port/],
    [
      'endpoint with a space',
      () => resolveConfig({ ...base, otlpEndpoint: 'local host:4317' }, {}),
      'otlpEndpoint',
      /host:port/,
    ],
    [
      'endpoint without a port',
      () => resolveConfig({ ...base, otlpEndpoint: 'collector' }, {}),
      'otlpEndpoint',
      /host:port/,
    ],
    [
      'endpoint with another scheme',
      () => resolveConfig({ ...base, otlpEndpoint: 'ftp://collector:21' }, {}),
      'otlpEndpoint',
      /http/,
    ],
    [
      'endpoint from env',
      () => resolveConfig(base, { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:notaport' }),
      'otlpEndpoint',
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    ],
    [
      'unknown protocol',
      () => resolveConfig(base, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      'otlpProtocol',
      /grpc/,
    ],
    ['empty service name', () => resolveConfig({ serviceName: '  ' }, {}), 'serviceName', /non-empty string/],
    [
      'service name of the wrong type',
      () => resolveConfig({ serviceName: 42 as unknown as string }, {}),
      'serviceName',
      /non-empty string/,
    ],
    [
      'jsonLogs of the wrong type',
      () => resolveConfig({ ...base, jsonLogs: 'yes' as unknown as boolean }, {}),
      'jsonLogs',
      /true or false/,
    ],
    [
      'bad boolean from env',
      () => resolveConfig(base, { AUTOTELEMETRY_JSON_LOGS: 'maybe' }),
      'jsonLogs',
      /AUTOTELEMETRY_JSON_LOGS/,
    ],
    [
      'attributes of the wrong type',
      () => resolveConfig({ ...base, additionalAttributes: { a: {} as unknown as string } }, {}),
      'additionalAttributes.a',
      /string, number or boolean/,
    ],
    [
      'malformed OTEL_RESOURCE_ATTRIBUTES',
      () => resolveConfig(base, { OTEL_RESOURCE_ATTRIBUTES: 'novalue' }),
      'additionalAttributes',
      /key=value/,
    ],
    ['sampling ratio above 1', () => resolveConfig({ ...base, samplingRatio: 1.5 }, {}), 'samplingRatio', /0 to 1/],
    [
      'bad sampler arg',
      () => resolveConfig(base, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'x' }),
      'samplingRatio',
      /OTEL_TRACES_SAMPLER_ARG/,
    ],
    [
      'unknown sampler',
      () => resolveConfig(base, { OTEL_TRACES_SAMPLER: 'jaeger_remote' }),
      'samplingRatio',
      /OTEL_TRACES_SAMPLER/,
    ],
    [
      'unknown trace exporter',
      () => resolveConfig(base, { OTEL_TRACES_EXPORTER: 'jaeger' }),
      'traceExporter',
      /console, memory, otlp, zipkin, none/,
    ],
    [
      'exclude path without a slash',
      () => resolveConfig({ ...base, excludePaths: ['health'] }, {}),
      'excludePaths',
      /starting with "\/"/,
    ],
    [
      'unknown option (a typo)',
      () => resolveConfig({ ...base, serviceNmae: 'x' } as never, {}),
      'serviceNmae',
      /known option/,
    ],
    ['options not an object', () => resolveConfig('shop.api' as never, {}), 'options', /object/],
  ];

  for (const [title, fn, option, accepted] of cases) {
    it(title, () => {
      const error = configError(fn);
      expect(error.option).toBe(option);
      expect(error.message).toContain(`"${option}"`);
      expect(error.message).toMatch(accepted);
      expect(error.message).toMatch(/Accepted: /);
    });
  }

  it('says the bad value in the message', () => {
    expect(configError(() => resolveConfig({ ...base, prometheusPort: 70000 }, {})).message).toContain('70000');
    expect(configError(() => resolveConfig({ ...base, environment: 'prdo' }, {})).message).toContain('"prdo"');
  });
});

describe('levels and the option table', () => {
  it('accepts WARNING and CRITICAL as aliases, case-insensitively', () => {
    expect(parseLogLevel('warning')).toBe(LogLevel.WARN);
    expect(parseLogLevel('CRITICAL')).toBe(LogLevel.FATAL);
    expect(parseLogLevel('Info')).toBe(LogLevel.INFO);
    expect(parseLogLevel('loud')).toBeUndefined();
    expect(resolveConfig({ ...base, logLevel: 'WARNING' }, {}).logLevel).toBe('WARN');
  });

  it('declares every resolved option once, with docs', () => {
    const config = resolveConfig(base, {});
    const declared = CONFIG_OPTIONS.map((o) => o.option).sort();
    expect(declared).toEqual(Object.keys(config.sources).sort());
    expect(new Set(declared).size).toBe(declared.length);
    for (const option of CONFIG_OPTIONS) {
      expect(option.description.length).toBeGreaterThan(10);
      expect(option.accepted.length).toBeGreaterThan(3);
    }
  });
});

describe('instrumentations', () => {
  const base = { serviceName: 'shop.api' };
  const all = { pg: true, mysql2: true, ioredis: true, redis: true, amqplib: true, graphql: true, grpc: true };

  it('traces every supported client by default; an option turns single ones off', () => {
    expect(resolveConfig(base, {}).instrumentations).toEqual(all);
    expect(resolveConfig({ ...base, instrumentations: { pg: false } }, {}).instrumentations).toEqual({
      ...all,
      pg: false,
    });
  });

  it('reads the disabled list, or the only enabled ones, from the environment', () => {
    const disabled = resolveConfig(base, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg, redis' });
    expect(disabled.instrumentations).toEqual({ ...all, pg: false, redis: false });
    expect(disabled.sources.instrumentations).toBe('env');
    const only = resolveConfig(base, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'mysql2' });
    expect(only.instrumentations).toEqual({
      pg: false,
      mysql2: true,
      ioredis: false,
      redis: false,
      amqplib: false,
      graphql: false,
      grpc: false,
    });
    expect(resolveConfig(base, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'grpc' }).instrumentations).toEqual({
      ...all,
      grpc: false,
    });
    expect(resolveConfig(base, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'grpc' }).instrumentations).toEqual({
      pg: false,
      mysql2: false,
      ioredis: false,
      redis: false,
      amqplib: false,
      graphql: false,
      grpc: true,
    });
  });

  it('turns gRPC off by its key', () => {
    expect(resolveConfig({ ...base, instrumentations: { grpc: false } }, {}).instrumentations).toEqual({
      ...all,
      grpc: false,
    });
  });

  it('fails at start naming the option for an unknown library or a non-boolean', () => {
    expect(() => resolveConfig({ ...base, instrumentations: { postgres: false } as never }, {})).toThrow(
      'Invalid AutoTelemetry option "instrumentations.postgres"',
    );
    expect(() => resolveConfig({ ...base, instrumentations: { pg: 'no' } as never }, {})).toThrow(
      'Invalid AutoTelemetry option "instrumentations.pg"',
    );
    expect(() => resolveConfig(base, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg,mongoose' })).toThrow(
      'Invalid AutoTelemetry option "instrumentations" (from OTEL_NODE_DISABLED_INSTRUMENTATIONS)',
    );
  });

  it('takes graphql as a switch or as { resolvers }; resolver spans are off by default', () => {
    const plain = resolveConfig(base, {});
    expect(plain.instrumentations.graphql).toBe(true);
    expect(plain.graphqlResolvers).toBe(false);
    const off = resolveConfig({ ...base, instrumentations: { graphql: false } }, {});
    expect(off.instrumentations).toEqual({ ...all, graphql: false });
    expect(off.graphqlResolvers).toBe(false);
    const resolvers = resolveConfig({ ...base, instrumentations: { graphql: { resolvers: true } } }, {});
    expect(resolvers.instrumentations).toEqual(all);
    expect(resolvers.graphqlResolvers).toBe(true);
    expect(resolvers.sources.instrumentations).toBe('option');
    const empty = resolveConfig({ ...base, instrumentations: { pg: false, graphql: {} } }, {});
    expect(empty.instrumentations).toEqual({ ...all, pg: false });
    expect(empty.graphqlResolvers).toBe(false);
  });

  it('reads resolver spans from AUTOTELEMETRY_GRAPHQL_RESOLVERS; the option wins over it', () => {
    expect(resolveConfig(base, { AUTOTELEMETRY_GRAPHQL_RESOLVERS: 'true' }).graphqlResolvers).toBe(true);
    expect(resolveConfig(base, { AUTOTELEMETRY_GRAPHQL_RESOLVERS: 'off' }).graphqlResolvers).toBe(false);
    expect(resolveConfig(base, { AUTOTELEMETRY_GRAPHQL_RESOLVERS: ' ' }).graphqlResolvers).toBe(false);
    // Another library's switch in code leaves the variable in charge of resolvers.
    expect(
      resolveConfig({ ...base, instrumentations: { pg: false } }, { AUTOTELEMETRY_GRAPHQL_RESOLVERS: '1' })
        .graphqlResolvers,
    ).toBe(true);
    expect(
      resolveConfig(
        { ...base, instrumentations: { graphql: { resolvers: false } } },
        { AUTOTELEMETRY_GRAPHQL_RESOLVERS: 'true' },
      ).graphqlResolvers,
    ).toBe(false);
    const disabled = resolveConfig(base, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'graphql' });
    expect(disabled.instrumentations).toEqual({ ...all, graphql: false });
  });

  it('fails at start naming the exact path of a bad graphql value', () => {
    const bad = (graphql: unknown) => () => resolveConfig({ ...base, instrumentations: { graphql } as never }, {});
    expect(bad({ resolvers: 'yes' })).toThrow(
      'Invalid AutoTelemetry option "instrumentations.graphql.resolvers": "yes". Accepted: true or false.',
    );
    expect(bad({ resolvers: 1 })).toThrow(ConfigError);
    expect(bad({ resolver: true })).toThrow(
      'Invalid AutoTelemetry option "instrumentations.graphql.resolver": true. Accepted: a key among resolvers.',
    );
    expect(bad('on')).toThrow(
      'Invalid AutoTelemetry option "instrumentations.graphql": "on". Accepted: true, false or { resolvers?: boolean }.',
    );
    expect(bad(null)).toThrow('Invalid AutoTelemetry option "instrumentations.graphql"');
    expect(bad([true])).toThrow('Invalid AutoTelemetry option "instrumentations.graphql"');
    // Another library takes no options object.
    expect(() => resolveConfig({ ...base, instrumentations: { pg: { resolvers: true } } as never }, {})).toThrow(
      'Invalid AutoTelemetry option "instrumentations.pg": {"resolvers":true}. Accepted: true or false.',
    );
    try {
      resolveConfig(base, { AUTOTELEMETRY_GRAPHQL_RESOLVERS: 'maybe' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe('instrumentations.graphql.resolvers');
      expect((error as ConfigError).envVar).toBe('AUTOTELEMETRY_GRAPHQL_RESOLVERS');
      expect((error as ConfigError).message).toContain('(from AUTOTELEMETRY_GRAPHQL_RESOLVERS)');
    }
  });

  it('documents the graphql form and its variable in the option table', () => {
    const option = CONFIG_OPTIONS.find((o) => o.option === 'instrumentations');
    expect(option?.type).toContain('graphql?: boolean | { resolvers?: boolean }');
    expect(option?.envVars).toContain('AUTOTELEMETRY_GRAPHQL_RESOLVERS');
    expect(option?.description).toContain('resolvers: true');
  });
});
