/**
 * Resolution: options over environment variables over the environment's defaults, each value validated by
 * its entry of the option table, resolved once into a frozen {@link Config}.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isLoopbackHost } from '../local-server.js';
import { ENVIRONMENT_DEFAULTS, Environment, type TraceExporterKind } from './environment.js';
import { OPTION_RESOLVERS, type ResolveContext, resolveGraphqlResolvers } from './options.js';
import { parseResourceAttributesEnv } from './parsers.js';
import { type Config, ConfigError, type ConfigSource, type TelemetryOptions } from './types.js';

const KNOWN_OPTIONS = new Set<string>(OPTION_RESOLVERS.map((d) => d.option));

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

  for (const def of OPTION_RESOLVERS) {
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
  const viewerHost = values.viewerHost as string;
  if (values.viewerPort !== false && !isLoopbackHost(viewerHost)) {
    warnings.push(
      `The telemetry viewer listens on ${viewerHost}: anyone who can reach this address reads the service's traces and logs. Keep viewerHost on loopback (127.0.0.1) unless this network is yours alone.`,
    );
  }
  const traceExporter = values.traceExporter as TraceExporterKind;
  const otlpEnabled =
    values.enabled === true &&
    (ENVIRONMENT_DEFAULTS[environment].otlp || traceExporter === 'otlp' || sources.otlpEndpoint !== 'default');

  const graphqlResolvers = resolveGraphqlResolvers(options, env);

  return Object.freeze({
    ...(values as Omit<Config, 'sources' | 'warnings' | 'otlpEnabled' | 'graphqlResolvers'>),
    otlpEnabled,
    graphqlResolvers,
    sources: Object.freeze(sources) as Config['sources'],
    warnings: Object.freeze(warnings),
  });
}
