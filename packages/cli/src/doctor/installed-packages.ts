/**
 * Finds the installed copies of given packages that a project can load, by walking its dependency graph
 * the way Node resolves packages: from the project's folder, each dependency is looked up in the nearest
 * `node_modules` going up, then that package's own dependencies from its real folder, and so on. This sees
 * npm's nested copies, pnpm's `.pnpm` store (siblings of the real folder) and workspace hoisting alike, and
 * ignores copies that belong to other projects sharing the same store.
 *
 * Two copies of `@opentelemetry/api` at different versions are a classic cause of "no spans": the SDK
 * registers itself through one copy and the code asks another, which may refuse an incompatible global
 * and hand out no-op tracers.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One installed copy of a package. */
export interface InstalledCopy {
  readonly name: string;
  readonly version: string;
  /** Real path of the package folder (symlinks resolved). */
  readonly path: string;
  /** A chain of packages through which the project reaches this copy, e.g. `app > @autotelemetry/core`. */
  readonly via: string;
}

interface Manifest {
  name?: unknown;
  version?: unknown;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
  peerDependencies?: Record<string, unknown>;
}

const MAX_PACKAGES = 20_000;

function readManifest(dir: string): Manifest | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

/** The real folder of package `name` as Node would find it from `fromDir`, or undefined. */
export function findPackageDir(fromDir: string, name: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) {
      try {
        return realpathSync(candidate);
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The copy of `name` that code in `fromDir` would load, or undefined if none is installed. */
export function resolveCopy(fromDir: string, name: string): InstalledCopy | undefined {
  const dir = findPackageDir(fromDir, name);
  const manifest = dir ? readManifest(dir) : undefined;
  if (!dir || typeof manifest?.version !== 'string') return undefined;
  return { name, version: manifest.version, path: dir, via: '(direct)' };
}

/**
 * Every copy of the named packages reachable from the project in `projectDir` through dependencies,
 * optional and peer dependencies (and the project's own devDependencies). Each real folder once.
 */
export function findInstalledCopies(projectDir: string, names: readonly string[]): InstalledCopy[] {
  const wanted = new Set(names);
  const found = new Map<string, InstalledCopy>();
  const visited = new Set<string>();
  const root = readManifest(projectDir);
  const rootName = typeof root?.name === 'string' ? root.name : '(project)';
  const queue: { dir: string; manifest: Manifest; via: string; isRoot: boolean }[] = [];
  if (root) queue.push({ dir: projectDir, manifest: root, via: rootName, isRoot: true });

  while (queue.length > 0 && visited.size < MAX_PACKAGES) {
    const { dir, manifest, via, isRoot } = queue.shift() as (typeof queue)[number];
    const deps = new Set<string>([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...(isRoot ? Object.keys(manifest.devDependencies ?? {}) : []),
    ]);
    for (const dep of deps) {
      const depDir = findPackageDir(dir, dep);
      if (!depDir || visited.has(depDir)) continue;
      visited.add(depDir);
      const depManifest = readManifest(depDir);
      if (!depManifest) continue;
      const chain = `${via} > ${dep}`;
      if (wanted.has(dep) && typeof depManifest.version === 'string' && !found.has(depDir)) {
        found.set(depDir, { name: dep, version: depManifest.version, path: depDir, via: chain });
      }
      queue.push({ dir: depDir, manifest: depManifest, via: chain, isRoot: false });
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}
