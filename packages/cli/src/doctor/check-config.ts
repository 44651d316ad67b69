/**
 * Resolves the service's configuration the way the service itself would (same `resolveConfig`, same
 * environment, same package.json), with the options its code passes (as far as reading it tells), and reports each value
 * with its source, plus the settings that silently send telemetry nowhere.
 *
 * @packageDocumentation
 */
import { join, relative } from 'node:path';
import { CONFIG_OPTIONS, type Config, ConfigError, resolveConfig, type TelemetryOptions } from '@autotelemetry/core';
import { findOptionsInCode } from './options-in-code.js';
import type { ProjectInfo } from './project.js';
import type { FoundOption, UnreadOption } from './source-scan.js';
import type { DoctorCheck, ResolvedValue } from './types.js';

/** What {@link checkConfig} found. */
export interface ConfigFindings {
  readonly config?: Config;
  /** Options the code sets from expressions: their resolved values here are not the service's. */
  readonly unreadOptions?: ReadonlySet<string>;
  readonly values?: readonly ResolvedValue[];
  readonly checks: DoctorCheck[];
}

const KNOWN_OPTIONS = new Set(CONFIG_OPTIONS.map((o) => o.option as string));

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && typeof value === 'object' && typeof (value as { write?: unknown }).write === 'function') {
    return '(a stream)';
  }
  return JSON.stringify(value);
}

/**
 * `resolveConfig` finds the app's package.json from the entry script (`process.argv[1]`), which in this
 * process is the CLI itself; point it at the service's entry (or folder) for the duration of the call.
 */
function resolveAsService(project: ProjectInfo | undefined, options: TelemetryOptions, env: NodeJS.ProcessEnv) {
  const saved = process.argv[1];
  process.argv[1] = project?.entry ?? join(project?.dir ?? process.cwd(), 'index.js');
  try {
    return resolveConfig(options, env);
  } finally {
    if (saved === undefined) process.argv.splice(1, 1);
    else process.argv[1] = saved;
  }
}

/** Resolves the configuration and reports its values, sources and the settings worth a warning. */
export function checkConfig(project: ProjectInfo | undefined, env: Readonly<Record<string, string | undefined>>) {
  const checks: DoctorCheck[] = [];
  let found = new Map<string, FoundOption>();
  let unread = new Map<string, UnreadOption>();
  if (project?.entry) ({ found, unread } = findOptionsInCode(project.entry, KNOWN_OPTIONS));
  const at = (o: { file?: string; line: number }) =>
    `${o.file && project ? relative(project.dir, o.file) : (project?.entry ?? '')}:${o.line}`;
  const options = Object.fromEntries([...found].map(([k, v]) => [k, v.value])) as TelemetryOptions;
  let config: Config;
  try {
    config = resolveAsService(project, options, env as NodeJS.ProcessEnv);
  } catch (error) {
    if (error instanceof ConfigError) {
      const where =
        error.source === 'env'
          ? `environment variable ${error.envVar ?? ''}`.trim()
          : found.has(error.option)
            ? `option in ${at(found.get(error.option) as FoundOption)}`
            : 'option';
      checks.push({
        id: 'config',
        status: 'problem',
        title: `Invalid configuration: ${error.option} (${where})`,
        detail: `${error.message} The service fails at start with this error.`,
        fix: `Correct ${error.source === 'env' && error.envVar ? error.envVar : error.option}. Accepted: ${error.accepted}.`,
        data: { option: error.option, value: show(error.value), source: error.source, envVar: error.envVar },
      });
      return { checks } satisfies ConfigFindings;
    }
    throw error;
  }

  const values: ResolvedValue[] = CONFIG_OPTIONS.map((def) => {
    const source = config.sources[def.option];
    const literal = found.get(def.option);
    let from: string | undefined;
    const inCode = unread.get(def.option);
    if (inCode) {
      // Set in code from an expression: the resolved value below is what the code would override.
      return { option: def.option, value: `(set in code: ${inCode.expression})`, source: 'option', from: at(inCode) };
    }
    if (source === 'option' && literal) from = at(literal);
    else if (source === 'env') {
      from = def.envVars.find((name) => env[name] !== undefined && env[name]?.trim() !== '');
      if (!from && def.option === 'environment') from = 'NODE_ENV';
    } else if (source === 'package.json' && project) from = project.packageJsonPath;
    return {
      option: def.option,
      value: show(config[def.option]),
      source,
      ...(from === undefined ? {} : { from }),
    };
  });

  checks.push({
    id: 'config',
    status: 'ok',
    title: `Configuration resolves: service ${config.serviceName} ${config.serviceVersion}, environment ${config.environment}`,
    data: { serviceName: config.serviceName, environment: config.environment },
  });
  if (unread.size > 0) {
    checks.push({
      id: 'config',
      status: 'info',
      title: `Set in code from expressions the doctor does not evaluate: ${[...unread.keys()].join(', ')}`,
      detail: [...unread].map(([k, o]) => `${k} = ${o.expression} (${at(o)})`).join('; '),
      fix: 'Their values are known only when the service runs: check them with doctor --url on the running service.',
      data: { unread: Object.fromEntries(unread) },
    });
  }
  if (config.warnings.length > 0) {
    checks.push({
      id: 'config-warnings',
      status: 'warn',
      title: 'The configuration resolves with warnings',
      detail: config.warnings.join(' '),
    });
  }
  if (!config.enabled) {
    checks.push({
      id: 'telemetry-enabled',
      status: 'warn',
      title: 'Telemetry is disabled (OTEL_SDK_DISABLED=true or enabled: false)',
      detail: 'No span, metric or log record is exported; logs are still written.',
      fix: 'Unset OTEL_SDK_DISABLED (or remove enabled: false) if this is not intended.',
    });
  }
  if (config.enabled) checks.push(...traceDestination(config));
  return { config, values, checks, unreadOptions: new Set(unread.keys()) } satisfies ConfigFindings;
}

function traceDestination(config: Config): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const fromEnvironment = config.sources.traceExporter === 'default' ? ` (the ${config.environment} default)` : '';
  switch (config.traceExporter) {
    case 'memory':
      out.push({
        id: 'traces-destination',
        status: 'warn',
        title: `Spans are kept in memory only${fromEnvironment}`,
        detail:
          config.environment === 'test'
            ? 'The TEST environment (often NODE_ENV=test) keeps spans in memory for assertions: nothing leaves the process, and /metrics is off.'
            : 'traceExporter is "memory": nothing leaves the process.',
        fix: 'Set AUTOTELEMETRY_ENVIRONMENT (or NODE_ENV) to the real environment, or OTEL_TRACES_EXPORTER=otlp.',
      });
      break;
    case 'none':
      out.push({
        id: 'traces-destination',
        status: 'warn',
        title: 'Spans are not exported (traceExporter "none")',
        fix: 'Set OTEL_TRACES_EXPORTER=otlp (or zipkin, console) to see spans.',
      });
      break;
    case 'console':
      out.push({
        id: 'traces-destination',
        status: 'info',
        title: `Spans are printed to the console${fromEnvironment}, not sent to a collector`,
        fix: 'For Jaeger or a collector: OTEL_TRACES_EXPORTER=otlp and OTEL_EXPORTER_OTLP_ENDPOINT.',
      });
      break;
    default:
      out.push({
        id: 'traces-destination',
        status: 'ok',
        title: `Spans go to ${config.traceExporter === 'zipkin' ? `Zipkin at ${config.zipkinEndpoint}` : `OTLP (${config.otlpProtocol}) at ${config.otlpEndpoint}`}`,
      });
  }
  if (config.samplingRatio === 0) {
    out.push({
      id: 'traces-destination',
      status: 'warn',
      title: 'The sampling ratio is 0: no new trace is recorded',
      detail: 'Only requests arriving with a sampled traceparent are traced.',
      fix: 'Raise OTEL_TRACES_SAMPLER_ARG / samplingRatio above 0.',
    });
  }
  return out;
}
