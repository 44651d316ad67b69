#!/usr/bin/env node
// Provisions the project's toolchain and runs a root script with it.
//
// `npm test` and `npm run demo` must work on a fresh machine that has only an old Node and npm. This file
// runs on any Node >= 18 with built-ins only. It:
//   1. uses the running Node if it is >= 22.15 (what the OpenTelemetry SDK line and vitest need), else a
//      project-local Node taken from the npm registry (`node-<platform>-<arch>`) into `.toolchain/`;
//   2. uses the pinned pnpm (root package.json `packageManager`) from PATH if it is that exact version,
//      else a project-local copy of the `pnpm` package;
//   3. runs `pnpm install` when the lockfile or a manifest changed since the last install;
//   4. runs the requested root script with that Node first on PATH.
// Second runs download nothing and skip the install.
//
// Usage: node scripts/toolchain.mjs run <script> [args...] | setup | env
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TOOLCHAIN_DIR = join(ROOT, '.toolchain');
const NODE_VERSION = '24.21.0';
const MIN_NODE = [22, 15, 0];
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const PNPM_VERSION = String(rootManifest.packageManager).replace(/^pnpm@/, '');

function log(message) {
  process.stderr.write(`[toolchain] ${message}\n`);
}

function versionAtLeast(version, minimum) {
  const parts = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < minimum.length; i++) {
    const a = parts[i] ?? 0;
    if (a !== minimum[i]) return a > minimum[i];
  }
  return true;
}

/** Downloads an npm package's tarball with the machine's npm and unpacks it into `target`. */
function unpackFromRegistry(spec, target) {
  const scratch = mkdtempSync(join(tmpdir(), 'autotelemetry-toolchain-'));
  try {
    log(`fetching ${spec} from the npm registry`);
    const out = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', scratch], {
      cwd: scratch,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tarball = join(scratch, out.trim().split('\n').pop());
    const unpacked = join(scratch, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked], { stdio: 'inherit' });
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { recursive: true, force: true });
    // Rename is atomic: a half-unpacked toolchain is never mistaken for a complete one.
    renameSync(join(unpacked, 'package'), target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function resolveNode() {
  if (versionAtLeast(process.versions.node, MIN_NODE)) return process.execPath;
  const home = join(TOOLCHAIN_DIR, `node-${NODE_VERSION}`);
  const binary = join(home, 'bin', 'node');
  if (!existsSync(binary)) {
    log(`Node ${process.versions.node} is older than ${MIN_NODE.join('.')}; installing Node ${NODE_VERSION} locally`);
    unpackFromRegistry(`node-${process.platform}-${process.arch}@${NODE_VERSION}`, home);
  }
  return binary;
}

function pnpmOnPathIsPinned() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false });
  return probe.status === 0 && probe.stdout.trim() === PNPM_VERSION;
}

/**
 * Returns the folder to put first on PATH so that `pnpm` (also when tools such as publint spawn it) is the
 * pinned version, or null when the machine's own pnpm already is.
 */
function resolvePnpmBin() {
  if (pnpmOnPathIsPinned()) return null;
  const home = join(TOOLCHAIN_DIR, `pnpm-${PNPM_VERSION}`);
  const entry = join(home, 'bin', 'pnpm.cjs');
  if (!existsSync(entry)) unpackFromRegistry(`pnpm@${PNPM_VERSION}`, home);
  const bin = join(TOOLCHAIN_DIR, 'bin');
  mkdirSync(bin, { recursive: true });
  // A shell shim, not a symlink: it runs pnpm with whichever `node` is first on PATH (the project's).
  writeFileSync(join(bin, 'pnpm'), `#!/bin/sh\nexec node "${entry}" "$@"\n`, { mode: 0o755 });
  return bin;
}

function installFingerprint(node) {
  const hash = createHash('sha256');
  hash.update(`${node}\n${PNPM_VERSION}\n`);
  const lockfile = join(ROOT, 'pnpm-lock.yaml');
  if (existsSync(lockfile)) hash.update(readFileSync(lockfile));
  hash.update(readFileSync(join(ROOT, 'package.json')));
  for (const group of ['packages', 'apps']) {
    const dir = join(ROOT, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const manifest = join(dir, name, 'package.json');
      if (existsSync(manifest)) hash.update(readFileSync(manifest));
    }
  }
  return hash.digest('hex');
}

function run(argv, env, stdio = 'inherit') {
  const [command, ...args] = argv;
  // `command` is looked up on env.PATH (the prepared one), as child_process does when env is given.
  const result = spawnSync(command, args, { cwd: ROOT, env, stdio });
  if (result.error) throw result.error;
  return result.status ?? (result.signal ? 128 : 1);
}

function prepare({ install = true } = {}) {
  const node = resolveNode();
  const nodeBin = dirname(node);
  const pnpmBin = resolvePnpmBin();
  const env = {
    ...process.env,
    PATH: [pnpmBin, nodeBin, process.env.PATH ?? ''].filter(Boolean).join(delimiter),
    // Native addons (if any) compile against the headers of the Node that runs them.
    npm_config_nodedir: dirname(nodeBin),
    COREPACK_ENABLE_STRICT: '0',
    // The machines here reach only the package registries: no telemetry pings from the build tools.
    TURBO_TELEMETRY_DISABLED: '1',
    DO_NOT_TRACK: '1',
  };
  const pnpm = ['pnpm'];
  const stamp = join(TOOLCHAIN_DIR, 'install.stamp');
  const fingerprint = installFingerprint(node);
  const installed = existsSync(join(ROOT, 'node_modules', '.modules.yaml')) && existsSync(stamp);
  if (install && (!installed || readFileSync(stamp, 'utf8') !== fingerprint)) {
    // CI installs exactly the lockfile; a developer's run may update it after a manifest change.
    const frozen = process.env.CI && existsSync(join(ROOT, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
    // Install chatter goes to stderr so that `env` mode's stdout stays a clean shell snippet.
    const status = run([...pnpm, 'install', ...frozen, '--reporter=append-only'], env, [0, 2, 2]);
    if (status !== 0) process.exit(status);
    mkdirSync(TOOLCHAIN_DIR, { recursive: true });
    writeFileSync(stamp, installFingerprint(node));
  }
  return { env, pnpm, node };
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'run' && rest.length > 0) {
  const { env, pnpm } = prepare();
  process.exit(run([...pnpm, 'run', '--silent', ...rest], env));
} else if (mode === 'setup') {
  prepare();
} else if (mode === 'env') {
  // Prints a shell snippet that puts the project's Node and pnpm first on PATH: eval "$(node scripts/toolchain.mjs env)"
  // Only the toolchain: installing is `setup`'s and `run`'s job.
  const { env } = prepare({ install: false });
  process.stdout.write(`export PATH="${env.PATH}"\n`);
} else {
  process.stderr.write('usage: node scripts/toolchain.mjs run <script> [args...] | setup | env\n');
  process.exit(2);
}
