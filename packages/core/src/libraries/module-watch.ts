/**
 * Finds the packages an app loads, however and whenever it loads them, so that an instrumentation can patch
 * them in place: no loader flag, no required import order, CommonJS and ESM alike.
 *
 * - Already loaded: the CommonJS module cache is shared by `require` and by `import` of a CommonJS package
 *   (Node loads those through the same loader), so a package loaded before `autotelemetry()` is found there.
 * - Loaded later: one wrapper of `Module._load`, installed once per process, sees `require('pg')` (the bare
 *   name) and `import 'pg'` of a CommonJS package (Node ≥ 22 passes the resolved main file's absolute path).
 *
 * A package is reported once per copy (its folder), with its exports object and version. Patching the shared
 * prototypes or exports objects a package hands out reaches every caller, including an ESM namespace made
 * before the patch, because the namespace and the app hold the same objects.
 *
 * The wrapper costs one `Map` lookup per `require` of a watched name, one string test per absolute-path load,
 * and nothing per call into a package.
 */
import Module, { createRequire } from 'node:module';
import { join, sep } from 'node:path';

export interface LoadedPackage {
  readonly name: string;
  /** The package's folder (`…/node_modules/<name>`). */
  readonly dir: string;
  readonly version: string;
  /** What the package's main file exports. */
  readonly exports: unknown;
  /** Loads (or returns the loaded) file `relativePath` of this package, e.g. `lib/client.js`. */
  requireFile(relativePath: string): unknown;
}

export type PackageListener = (loaded: LoadedPackage) => void;

interface ModuleInternals {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _cache: Record<string, { exports: unknown; loaded: boolean } | undefined>;
}

interface WatchState {
  readonly listeners: Map<string, Set<PackageListener>>;
  /** Package folders already reported to the listeners of their name. */
  readonly seen: Set<string>;
  installed: boolean;
}

// Registered: the ESM and CJS copies of the core share one wrapper and one set of listeners.
const SLOT = Symbol.for('autotelemetry.module-watch.v1');
type GlobalWithSlot = typeof globalThis & { [SLOT]?: WatchState };

const NODE_MODULES = `${sep}node_modules${sep}`;
const internals = Module as unknown as ModuleInternals;

function state(): WatchState {
  const global = globalThis as GlobalWithSlot;
  global[SLOT] ??= { listeners: new Map(), seen: new Set(), installed: false };
  return global[SLOT];
}

/** The package name a file under `node_modules` belongs to, e.g. `@redis/client`, or undefined. */
export function packageNameOf(file: string): { name: string; dir: string } | undefined {
  const at = file.lastIndexOf(NODE_MODULES);
  if (at === -1) return undefined;
  const start = at + NODE_MODULES.length;
  let end = file.indexOf(sep, start);
  if (end === -1) return undefined;
  if (file[start] === '@') {
    end = file.indexOf(sep, end + 1);
    if (end === -1) return undefined;
  }
  return { name: file.slice(start, end).split(sep).join('/'), dir: file.slice(0, end) };
}

const mainFiles = new Map<string, string | null>();

/** The file a package folder's main entry resolves to (its `main`, not its `exports` map), or null. */
function mainFileOf(dir: string): string | null {
  let main = mainFiles.get(dir);
  if (main === undefined) {
    try {
      main = createRequire(join(dir, 'package.json')).resolve(dir);
    } catch {
      main = null;
    }
    mainFiles.set(dir, main);
  }
  return main;
}

function versionOf(dir: string): string {
  try {
    const json = createRequire(join(dir, 'package.json'))(join(dir, 'package.json')) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function loadedPackage(name: string, dir: string, exports: unknown): LoadedPackage {
  const requireHere = createRequire(join(dir, 'package.json'));
  return {
    name,
    dir,
    version: versionOf(dir),
    exports,
    requireFile: (relativePath) => requireHere(join(dir, relativePath)),
  };
}

function notify(listener: PackageListener, loaded: LoadedPackage): void {
  try {
    listener(loaded);
  } catch {
    // An instrumentation that cannot patch this copy leaves it as it is; the app goes on.
  }
}

function report(name: string, dir: string, exports: unknown): void {
  const { listeners, seen } = state();
  const set = listeners.get(name);
  if (set === undefined || set.size === 0 || seen.has(dir)) return;
  seen.add(dir);
  const loaded = loadedPackage(name, dir, exports);
  for (const listener of set) notify(listener, loaded);
}

/** Reports a package whose main file is `file` if it is watched. */
function onFileLoaded(file: string, exports: unknown): void {
  const owner = packageNameOf(file);
  if (owner === undefined || !state().listeners.has(owner.name)) return;
  if (mainFileOf(owner.dir) === file) report(owner.name, owner.dir, exports);
}

function install(): void {
  const watch = state();
  if (watch.installed) return;
  watch.installed = true;
  const original = internals._load;
  internals._load = function watchedLoad(this: unknown, request: string, parent: unknown, isMain: boolean) {
    const exports = original.call(this, request, parent, isMain);
    if (typeof request === 'string') {
      try {
        if (watch.listeners.has(request)) {
          onFileLoaded(internals._resolveFilename(request, parent, isMain), exports);
        } else if (request.charCodeAt(0) === 47 /* '/' */ && request.includes(NODE_MODULES)) {
          onFileLoaded(request, exports);
        }
      } catch {
        // Never let watching change what a require returns or throws.
      }
    }
    return exports;
  };
}

/**
 * Calls `listener` for every copy of package `name` loaded so far and every copy loaded later. Returns the
 * function that stops calling it (patches already made stay: undoing them is the listener's business).
 */
export function watchPackage(name: string, listener: PackageListener): () => void {
  const watch = state();
  let set = watch.listeners.get(name);
  if (set === undefined) {
    set = new Set();
    watch.listeners.set(name, set);
  }
  set.add(listener);
  install();
  // Copies loaded before now: one call per folder whose main file is in the cache. Start-up runs this once per
  // watched name over every loaded file, so a file of another package is passed over without allocating.
  const marker = `${NODE_MODULES}${name.split('/').join(sep)}${sep}`;
  for (const file in internals._cache) {
    if (!file.includes(marker)) continue;
    const entry = internals._cache[file];
    if (entry === undefined || !entry.loaded) continue;
    const owner = packageNameOf(file);
    if (owner?.name !== name || mainFileOf(owner.dir) !== file) continue;
    notify(listener, loadedPackage(name, owner.dir, entry.exports));
    watch.seen.add(owner.dir);
  }
  return () => {
    set.delete(listener);
  };
}
