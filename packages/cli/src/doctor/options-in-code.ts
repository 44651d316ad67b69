/**
 * The options a service passes to AutoTelemetry in its code: its entry file and the local modules it
 * imports (an `app.ts` that builds the app, a `telemetry.ts`), read without running them.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { findImports, findOptionsInSource, type OptionsInCode } from './source-scan.js';

/** Local modules read at most, so a large app costs the doctor little. */
const MAX_FILES = 25;

/** The file a relative specifier names: as written, or its TypeScript source (`./app.js` → `./app.ts`). */
function resolveLocal(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base, base.replace(/\.([cm]?)js$/, '.$1ts')];
  for (const ext of ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']) candidates.push(`${base}${ext}`);
  for (const ext of ['/index.ts', '/index.js']) candidates.push(`${base}${ext}`);
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** Reads the entry and, breadth first, the local modules it loads; the first file to set an option wins. */
export function findOptionsInCode(entry: string, knownOptions: ReadonlySet<string>): OptionsInCode {
  const found: OptionsInCode['found'] = new Map();
  const unread: OptionsInCode['unread'] = new Map();
  const queue = [entry];
  const seen = new Set(queue);
  while (queue.length > 0 && seen.size <= MAX_FILES) {
    const file = queue.shift() as string;
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const inFile = findOptionsInSource(source, knownOptions, file);
    for (const [key, option] of inFile.found) if (!found.has(key) && !unread.has(key)) found.set(key, option);
    for (const [key, option] of inFile.unread) if (!found.has(key) && !unread.has(key)) unread.set(key, option);
    for (const site of findImports(source)) {
      if (!site.specifier.startsWith('.')) continue;
      const local = resolveLocal(file, site.specifier);
      if (local && !seen.has(local) && !local.includes('/node_modules/')) {
        seen.add(local);
        queue.push(local);
      }
    }
  }
  return { found, unread };
}
