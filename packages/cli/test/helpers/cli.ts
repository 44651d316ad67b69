/**
 * Test helpers: run the built `autotelemetry` executable as a child process, and make sure promtool /
 * prometheus are installed (through the project's own script) or say why they cannot be.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built executable. Tests run what users run. */
export const BIN = fileURLToPath(new URL('../../dist/bin.mjs', import.meta.url));
/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** What a finished command printed and returned. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `autotelemetry <args>` with Node (the runner's own binary) and waits for it to end. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      k === 'NODE_ENV' ||
      k.startsWith('VITEST') ||
      k === 'NODE_OPTIONS' ||
      k.startsWith('OTEL_') ||
      k.startsWith('AUTOTELEMETRY_')
    )
      continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let ensured: string | undefined | null = null;

/**
 * Runs scripts/ensure-prometheus.sh once per test file. Resolves with undefined when promtool and
 * prometheus are available, or with the reason they are not (apt unusable here), for a visible skip.
 * An apt failure on a machine where apt should work is an error, not a skip.
 */
export function ensurePrometheus(): string | undefined {
  if (ensured !== null) return ensured;
  const result = spawnSync('sh', [join(ROOT, 'scripts/ensure-prometheus.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (result.status === 0) ensured = undefined;
  else if (result.status === 1) ensured = `promtool/prometheus unavailable: ${result.stderr.trim()}`;
  else throw new Error(`scripts/ensure-prometheus.sh failed (${result.status}): ${result.stderr}`);
  return ensured;
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `autotelemetry-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
