/**
 * The `autotelemetry` command: argument parsing and the three commands. Returns an exit code instead of
 * exiting, so it can be called from tests and other tools.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import {
  ALERT_FLAGS,
  AlertConfigError,
  type AlertThresholds,
  applyThresholds,
  DEFAULT_ALERT_THRESHOLDS,
  thresholdsFromFlags,
} from './alert-thresholds.js';
import { generateRules, renderRules } from './alerts.js';
import { generateDashboards } from './dashboards.js';

/** Where the command writes: standard output and error. */
export interface CliIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

function usage(): string {
  const flags = Object.entries(ALERT_FLAGS)
    .map(([flag, { help }]) => `      --${`${flag} <value>`.padEnd(26)}${help}`)
    .join('\n');
  return `Usage: autotelemetry <command> [options]

Commands:
  dashboards --out <dir>
      Write the Grafana dashboards (JSON) for the standard signals.
  alerts [--out <file>] [--config <file.json>] [threshold flags]
      Write the Prometheus rule file (to stdout without --out). Flags win over --config:
${flags}
  doctor [--dir <path>] [--url <http://host:port>] [--json] [--timeout <ms>] [--env-file <file>]
      Find out why telemetry might be missing. Exits 1 when a problem is found.

Options:
  -h, --help      Show this help.
  -v, --version   Show the version.
`;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function version(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@autotelemetry/cli' && pkg.version) return pkg.version;
    } catch {
      // Try the next layout (dist/ or src/).
    }
  }
  return '0.0.0';
}

async function dashboardsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string', short: 'o' } }, strict: true });
  if (!values.out) throw new UsageError('dashboards needs --out <dir>');
  const dir = resolve(values.out);
  await mkdir(dir, { recursive: true });
  for (const { fileName, dashboard } of generateDashboards()) {
    const path = join(dir, fileName);
    await writeFile(path, `${JSON.stringify(dashboard, null, 2)}\n`);
    io.stdout.write(`wrote ${path} (${dashboard.title})\n`);
  }
  return 0;
}

function loadThresholdsFile(path: string): AlertThresholds {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `cannot read the alert config ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return applyThresholds(DEFAULT_ALERT_THRESHOLDS, parsed, path);
}

async function alertsCommand(args: string[], io: CliIo): Promise<number> {
  const flagOptions = Object.fromEntries(Object.keys(ALERT_FLAGS).map((f) => [f, { type: 'string' as const }]));
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string', short: 'o' }, config: { type: 'string', short: 'c' }, ...flagOptions },
    strict: true,
  });
  const base =
    typeof values.config === 'string' ? loadThresholdsFile(resolve(values.config)) : DEFAULT_ALERT_THRESHOLDS;
  const thresholds = thresholdsFromFlags(base, values as Record<string, string | undefined>);
  const yaml = renderRules(generateRules(thresholds), thresholds);
  if (typeof values.out === 'string') {
    const path = resolve(values.out);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, yaml);
    io.stdout.write(`wrote ${path}\n`);
  } else {
    io.stdout.write(yaml);
  }
  return 0;
}

async function doctorCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: 'string', short: 'd' },
      url: { type: 'string', short: 'u' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      'env-file': { type: 'string' },
    },
    strict: true,
  });
  const timeoutMs = values.timeout === undefined ? 1000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout takes milliseconds, e.g. 1000');
  let env: Record<string, string | undefined> = process.env;
  if (values['env-file']) {
    let parsed: Record<string, string>;
    try {
      parsed = parseEnv(readFileSync(resolve(values['env-file']), 'utf8')) as Record<string, string>;
    } catch (error) {
      throw new UsageError(`cannot read --env-file: ${error instanceof Error ? error.message : String(error)}`);
    }
    // As with `node --env-file`, variables already set in the environment win over the file.
    env = { ...parsed, ...process.env };
  }
  // Loaded on demand: the doctor pulls in @autotelemetry/core, which the other commands do not need.
  const [{ runDoctor }, { renderDoctorReport }] = await Promise.all([
    import('./doctor/run.js'),
    import('./doctor/render.js'),
  ]);
  const report = await runDoctor({
    ...(values.dir ? { dir: values.dir } : {}),
    ...(values.url ? { url: values.url } : {}),
    env,
    timeoutMs,
  });
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctorReport(report));
  return report.ok ? 0 : 1;
}

/**
 * Runs `autotelemetry <args>` and resolves with the exit code: 0 success, 1 a problem found (doctor) or a
 * bad setting, 2 a usage error.
 */
export async function main(args: readonly string[], io: CliIo = process): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'dashboards':
        return await dashboardsCommand(rest, io);
      case 'alerts':
        return await alertsCommand(rest, io);
      case 'doctor':
        return await doctorCommand(rest, io);
      case '-v':
      case '--version':
        io.stdout.write(`${version()}\n`);
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(usage());
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof AlertConfigError) {
      io.stderr.write(`autotelemetry: ${error.message}\n`);
      return 1;
    }
    const code = (error as { code?: string }).code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`autotelemetry: ${(error as Error).message}\n\n${usage()}`);
      return 2;
    }
    throw error;
  }
}
