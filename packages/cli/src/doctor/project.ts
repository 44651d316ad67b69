/**
 * What the doctor learns about a service from its files: its package.json, its entry file and how it is
 * started, whether that entry runs as ESM or CommonJS, and the imports of the entry in order.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';

/** The module system a file is loaded with. */
export type ModuleSystem = 'esm' | 'commonjs';

/** A service project as found on disk. */
export interface ProjectInfo {
  /** Directory of the package.json. */
  readonly dir: string;
  readonly packageJsonPath: string;
  readonly name?: string;
  readonly version?: string;
  /** `"type"` of the package.json. */
  readonly type: 'module' | 'commonjs';
  /** Every dependency name (dependencies, devDependencies, optional and peer). */
  readonly dependencies: ReadonlySet<string>;
  /** `engines.node`, if declared. */
  readonly enginesNode?: string;
  /** The start command (`scripts.start`), if any. */
  readonly startScript?: string;
  /** The entry file, absolute, if one was found. */
  readonly entry?: string;
  /** How the entry was found: `scripts.start`, `main`, or a conventional file name. */
  readonly entrySource?: string;
  /** Module system the entry runs with. */
  readonly entryModuleSystem?: ModuleSystem;
  /** Modules preloaded by the start command or NODE_OPTIONS (`--import x`, `--require x`, `-r x`). */
  readonly preloads: readonly string[];
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  type?: unknown;
  main?: unknown;
  scripts?: Record<string, unknown>;
  engines?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
  peerDependencies?: Record<string, unknown>;
}

/** The nearest package.json at or above `start`, outside node_modules. */
export function findPackageJson(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && !dir.split(/[\\/]/).includes('node_modules')) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readJson(path: string): PackageJson {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${path} is not an object`);
  return parsed as PackageJson;
}

const SCRIPT_FILE = /\.(?:[cm]?[jt]s|tsx?)$/;

/** Splits a shell command into words (quotes honoured, no expansion). */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const m of command.matchAll(/"((?:\\.|[^"])*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

/** Preloaded modules and the script of a `node …` command (`node --import x app.js`, `tsx app.ts`…). */
export function parseNodeCommand(command: string): { preloads: string[]; script?: string } {
  const words = shellWords(command.split(/&&|\|\||;/).at(-1) ?? command);
  const preloads: string[] = [];
  let i = words.findIndex((w) => /(^|\/)(node|tsx|ts-node|nodemon)$/.test(w));
  if (i === -1) return { preloads };
  for (i += 1; i < words.length; i++) {
    const w = words[i] as string;
    const withValue = /^(--import|--require|-r|--loader|--experimental-loader)$/.exec(w);
    if (withValue) {
      const value = words[++i];
      if (value !== undefined) preloads.push(value);
    } else if (/^(--import|--require|--loader|--experimental-loader)=/.test(w)) {
      preloads.push(w.slice(w.indexOf('=') + 1));
    } else if (w.startsWith('-')) {
      // Another flag (possibly `--env-file x`): skip its value when it has one in the next word.
      if (/^--(env-file|inspect-port|title|conditions|watch-path)$/.test(w)) i += 1;
    } else {
      return SCRIPT_FILE.test(w) || !w.includes('.') ? { preloads, script: w } : { preloads };
    }
  }
  return { preloads };
}

/** Preloads named in NODE_OPTIONS. */
export function nodeOptionPreloads(nodeOptions: string | undefined): string[] {
  return nodeOptions ? parseNodeCommand(`node ${nodeOptions}`).preloads : [];
}

function resolveScript(dir: string, script: string): string | undefined {
  const base = resolve(dir, script);
  for (const candidate of [base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, `${base}.ts`, join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** ESM or CommonJS for a file: by extension, else by the nearest package.json's `type`. */
export function moduleSystemOf(file: string): ModuleSystem {
  const ext = extname(file);
  if (ext === '.mjs' || ext === '.mts') return 'esm';
  if (ext === '.cjs' || ext === '.cts') return 'commonjs';
  const pkg = findPackageJson(dirname(file));
  if (!pkg) return 'commonjs';
  try {
    return readJson(pkg).type === 'module' ? 'esm' : 'commonjs';
  } catch {
    return 'commonjs';
  }
}

/** Reads the project at or above `dir`; undefined when there is no package.json. */
export function readProject(dir: string, env: Readonly<Record<string, string | undefined>>): ProjectInfo | undefined {
  const packageJsonPath = findPackageJson(dir);
  if (!packageJsonPath) return undefined;
  const root = dirname(packageJsonPath);
  const pkg = readJson(packageJsonPath);
  const dependencies = new Set<string>();
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const) {
    for (const name of Object.keys(pkg[field] ?? {})) dependencies.add(name);
  }
  const startScript = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start : undefined;
  const fromStart = startScript ? parseNodeCommand(startScript) : { preloads: [] as string[] };
  let entry: string | undefined;
  let entrySource: string | undefined;
  if (fromStart.script) {
    entry = resolveScript(root, fromStart.script);
    if (entry) entrySource = 'scripts.start';
  }
  if (!entry && typeof pkg.main === 'string') {
    entry = resolveScript(root, pkg.main);
    if (entry) entrySource = 'main';
  }
  if (!entry) {
    for (const name of [
      'index.js',
      'index.mjs',
      'index.cjs',
      'server.js',
      'app.js',
      'main.js',
      'src/index.ts',
      'src/main.ts',
    ]) {
      entry = resolveScript(root, name);
      if (entry) {
        entrySource = name;
        break;
      }
    }
  }
  return {
    dir: root,
    packageJsonPath,
    ...(typeof pkg.name === 'string' ? { name: pkg.name } : {}),
    ...(typeof pkg.version === 'string' ? { version: pkg.version } : {}),
    type: pkg.type === 'module' ? 'module' : 'commonjs',
    dependencies,
    ...(typeof pkg.engines?.node === 'string' ? { enginesNode: pkg.engines.node } : {}),
    ...(startScript ? { startScript } : {}),
    ...(entry ? { entry, entrySource, entryModuleSystem: moduleSystemOf(entry) } : {}),
    preloads: [...fromStart.preloads, ...nodeOptionPreloads(env.NODE_OPTIONS)],
  };
}
