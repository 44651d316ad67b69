/**
 * Node.js version checks. The OpenTelemetry SDK line AutoTelemetry builds on needs Node >= 22.15; what
 * matters is the Node that runs the service, which may not be the one running the doctor: the `node` first
 * on PATH (what `npm start` uses), and the version pinned by `.nvmrc` / `.node-version` / `engines.node`.
 *
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectInfo } from './project.js';
import type { DoctorCheck } from './types.js';

/** The oldest Node.js the packages support. */
export const MIN_NODE_VERSION = '22.15.0';

/** Compares dotted versions: negative, zero or positive like a sort comparator. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10) || 0);
  const pb = b
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The version of the `node` first on PATH, or undefined when there is none or it does not answer. */
export function pathNodeVersion(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const result = spawnSync('node', ['--version'], {
    env: env as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 5000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const out = result.stdout?.trim();
  return result.status === 0 && out && /^v?\d+\.\d+/.test(out) ? out.replace(/^v/, '') : undefined;
}

/** A pinned version from `.nvmrc` / `.node-version`, as written (e.g. `20`, `v22.15.0`, `lts/*`). */
function pinnedVersion(dir: string): { file: string; version: string } | undefined {
  for (const file of ['.nvmrc', '.node-version']) {
    const path = join(dir, file);
    if (existsSync(path)) {
      const version = readFileSync(path, 'utf8').trim().split(/\s+/)[0];
      if (version) return { file: path, version };
    }
  }
  return undefined;
}

/** The lowest version an `engines.node` range admits, for the simple forms (`>=20`, `^18.0.0`, `20.x`). */
function engineMinimum(range: string): string | undefined {
  const lows = range.split('||').map((part) => /(\d+(?:\.\d+){0,2})/.exec(part.trim())?.[1]);
  const defined = lows.filter((v): v is string => v !== undefined);
  return defined.sort(compareVersions)[0];
}

/** Checks the Node that will run the service. */
export function checkNode(
  project: ProjectInfo | undefined,
  env: Readonly<Record<string, string | undefined>>,
): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const onPath = pathNodeVersion(env);
  const runtime = process.versions.node;
  const fix = `Use Node.js ${MIN_NODE_VERSION} or newer (e.g. the current LTS).`;
  if (onPath && compareVersions(onPath, MIN_NODE_VERSION) < 0) {
    checks.push({
      id: 'node-version',
      status: 'problem',
      title: `The node on PATH is ${onPath}, older than ${MIN_NODE_VERSION}`,
      detail: 'The OpenTelemetry SDK line AutoTelemetry uses needs Node >= 22.15; `npm start` would run this one.',
      fix,
      data: { pathNode: onPath, minimum: MIN_NODE_VERSION },
    });
  }
  const pinned = project ? pinnedVersion(project.dir) : undefined;
  if (pinned && /^v?\d/.test(pinned.version)) {
    const major = pinned.version.replace(/^v/, '');
    // `22` pins the newest 22.x: compare with 22.x's best case.
    const bestCase =
      major.split('.').length === 1 ? `${major}.999.0` : major.split('.').length === 2 ? `${major}.999` : major;
    if (compareVersions(bestCase, MIN_NODE_VERSION) < 0) {
      checks.push({
        id: 'node-version',
        status: 'problem',
        title: `${pinned.file.split(/[\\/]/).pop()} pins Node ${pinned.version}, older than ${MIN_NODE_VERSION}`,
        detail: 'nvm, fnm, volta-style tools and CI images follow this file.',
        fix: `Pin ${MIN_NODE_VERSION} or newer in ${pinned.file}.`,
        data: { file: pinned.file, pinned: pinned.version },
      });
    }
  }
  const engines = project?.enginesNode;
  const engineLow = engines ? engineMinimum(engines) : undefined;
  if (engines && engineLow && compareVersions(engineLow, MIN_NODE_VERSION) < 0 && checks.length === 0) {
    checks.push({
      id: 'node-version',
      status: 'warn',
      title: `package.json engines.node "${engines}" admits Node older than ${MIN_NODE_VERSION}`,
      fix: `Set "engines": { "node": ">=${MIN_NODE_VERSION}" } so installs on older Node are flagged.`,
    });
  }
  if (checks.length === 0) {
    checks.push({
      id: 'node-version',
      status: 'ok',
      title: `Node.js ${onPath ?? runtime}${onPath && onPath !== runtime ? ` on PATH (doctor runs on ${runtime})` : ''} (>= ${MIN_NODE_VERSION})`,
      data: { pathNode: onPath, doctorNode: runtime },
    });
  }
  return checks;
}
