/**
 * The import graph of a TypeScript source tree, and the layout rules `packages/core/src` keeps (layout.test.ts).
 *
 * Imports are read with TypeScript's own pre-processor (static imports, `import type`, re-exports, dynamic
 * `import()` with a literal), so a type-only import counts like any other: a circle closed by types is still a
 * circle a reader has to untangle. Only relative specifiers are followed; packages are outside the graph.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** Module path (relative to the root, `/`-separated, with `.ts`) → the modules it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function toModule(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/** Reads every `.ts` file under `root` and the relative imports of each. */
export function readImportGraph(root: string): ImportGraph {
  const graph = new Map<string, string[]>();
  const files = sourceFiles(root);
  const known = new Set(files.map((file) => toModule(root, file)));
  for (const file of files) {
    const from = toModule(root, file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(from), fileName)).replace(/\.js$/, '.ts');
      if (!known.has(target)) throw new Error(`${from}: import '${fileName}' resolves to no source file`);
      targets.add(target);
    }
    graph.set(from, [...targets].sort());
  }
  return graph;
}

/** The import circles of the graph: each a list of modules where every one imports the next (Tarjan's SCC). */
export function importCircles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) as number, index.get(target) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfImport = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfImport) circles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return circles;
}

/** The folder of a module (`.` for the root). */
export function folderOf(module: string): string {
  return posix.dirname(module);
}

/**
 * Imports that run back up: a module inside a folder importing a root module that is not a leaf (a leaf
 * imports nothing of the package). The root's other modules compose the folders; a folder reaching up into
 * them would make the composition depend on itself.
 */
export function upwardImports(graph: ImportGraph): string[] {
  const leaf = (module: string): boolean => (graph.get(module) ?? []).length === 0;
  const found: string[] = [];
  for (const [from, targets] of graph) {
    if (folderOf(from) === '.') continue;
    for (const target of targets) {
      if (folderOf(target) === '.' && !leaf(target)) found.push(`${from} -> ${target}`);
    }
  }
  return found.sort();
}

/**
 * The folder graph's circles: folder A has a module importing folder B while B has one importing A. Folders
 * are the layers of the architecture; each may use the ones below it, never one that uses it.
 */
export function folderCircles(graph: ImportGraph): string[][] {
  const folders = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const source = folderOf(from);
    const edges = folders.get(source) ?? new Set<string>();
    folders.set(source, edges);
    for (const target of targets) {
      const folder = folderOf(target);
      if (folder !== source && folder !== '.') edges.add(folder);
    }
  }
  const folderGraph = new Map([...folders].map(([folder, edges]) => [folder, [...edges].sort()]));
  return importCircles(folderGraph);
}
