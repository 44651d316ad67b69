/**
 * The core's layout rules, checked over its TypeScript imports (type-only ones included): no import circle,
 * no folder module reaching up into the root's composition, and folders that use each other one way only.
 * A failure names the modules to untangle. The map of the folders is in docs/concepts.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { folderCircles, importCircles, readImportGraph, upwardImports } from './import-graph.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

describe('packages/core/src', () => {
  const graph = readImportGraph(SRC);

  it('has no import circle', () => {
    expect(importCircles(graph)).toEqual([]);
  });

  it('has no folder module importing a root module that imports others (only root leaves are shared)', () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it('has folders that depend on each other one way only', () => {
    expect(folderCircles(graph)).toEqual([]);
  });

  it('keeps at its root only the entry points, the composition and the shared leaves', () => {
    const root = [...graph.keys()].filter((module) => !module.includes('/')).sort();
    expect(root).toEqual([
      'client.ts',
      'index.ts',
      'limited-attributes.ts',
      'local-server.ts',
      'notices.ts',
      'outside-context.ts',
      'sdk.ts',
      'span-failure.ts',
      'state-slot.ts',
      'state.ts',
      'testing.ts',
    ]);
  });

  it('reads the real tree: the lifecycle imports its contract, the pipeline composes the exporters', () => {
    expect(graph.get('http/lifecycle.ts')).toContain('http/adapter-contract.ts');
    expect(graph.get('pipeline/pipeline.ts')).toContain('export/exporters.ts');
    expect(graph.get('state-slot.ts')).toEqual([]);
  });
});

describe('the layout checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autotelemetry-layout-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('index.ts', "export * from './a/one.js';\n");
  write('leaf.ts', 'export const LEAF = 1;\n');
  write('compose.ts', "import { one } from './a/one.js';\nexport const composed = one;\n");
  // a/one -> b/two -> a/three (folder circle a <-> b); a/three -> a/one (file circle through b/two).
  write(
    'a/one.ts',
    "import { two } from '../b/two.js';\nimport { LEAF } from '../leaf.js';\nexport const one = two + LEAF;\n",
  );
  write('b/two.ts', "import type { Three } from '../a/three.js';\nexport const two = 2 as Three;\n");
  write('a/three.ts', "import { one } from './one.js';\nexport type Three = number;\nexport const x = one;\n");
  // An upward import: a folder module reaching the root's composition.
  write('b/up.ts', "export const up = await import('../compose.js');\n");

  const graph = readImportGraph(dir);

  it('finds a circle closed by a type-only import', () => {
    expect(importCircles(graph)).toEqual([['a/one.ts', 'a/three.ts', 'b/two.ts']]);
  });

  it('finds an import up into the root that is not a leaf, and allows a leaf', () => {
    expect(upwardImports(graph)).toEqual(['b/up.ts -> compose.ts']);
  });

  it('finds folders that import each other', () => {
    expect(folderCircles(graph)).toEqual([['a', 'b']]);
  });

  it('fails on an import that resolves to no source file', () => {
    write('broken/x.ts', "import { y } from './missing.js';\nexport const x = y;\n");
    expect(() => readImportGraph(dir)).toThrow("broken/x.ts: import './missing.js' resolves to no source file");
  });
});
