/**
 * Builds the fixture Nest app (test/fixtures/nest-app, TypeScript with Nest's decorators) for one Nest
 * major into a temporary folder, the way an app is built and installed:
 *
 * - the sources are compiled by TypeScript with `experimentalDecorators` and `emitDecoratorMetadata` (one
 *   file at a time, as SWC or `isolatedModules` builds do), to ESM for Nest 12 (ESM-only) and CommonJS for
 *   Nest 11;
 * - `node_modules` links that major's Nest packages (Nest 12 from this package's dev dependencies, Nest 11
 *   from test/nest11), and holds a copy of this package's `package.json` + `dist`, so that its peer imports
 *   resolve to the app's Nest exactly as they would from an install.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The Nest majors the package supports and tests. */
export type NestMajor = 11 | 12;

const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = fileURLToPath(new URL('../fixtures/nest-app/', import.meta.url));

const NEST_PACKAGES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/platform-fastify',
  'reflect-metadata',
  'rxjs',
];

const SHARED_PACKAGES = [
  '@autotelemetry/core',
  '@autotelemetry/express',
  '@autotelemetry/fastify',
  '@opentelemetry/api',
  '@opentelemetry/instrumentation-http',
];

function link(nodeModules: string, name: string, from: string): void {
  const target = realpathSync(join(from, name));
  const path = join(nodeModules, name);
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path, 'dir');
}

/** A built fixture app: its folder and entry file. Call `remove()` when done. */
export interface FixtureApp {
  readonly major: NestMajor;
  readonly dir: string;
  readonly entry: string;
  remove(): void;
}

/** Builds the fixture app for Nest `major` (see the module documentation). */
export function buildFixtureApp(major: NestMajor): FixtureApp {
  const dir = mkdtempSync(join(tmpdir(), `autotelemetry-nest${major}-`));
  const esm = major === 12;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: esm ? 'module' : 'commonjs' }));

  const nodeModules = join(dir, 'node_modules');
  const nestFrom = major === 12 ? join(PACKAGE_DIR, 'node_modules') : join(PACKAGE_DIR, 'test/nest11/node_modules');
  for (const name of NEST_PACKAGES) link(nodeModules, name, nestFrom);
  for (const name of SHARED_PACKAGES) link(nodeModules, name, join(PACKAGE_DIR, 'node_modules'));
  const installed = join(nodeModules, '@autotelemetry/nestjs');
  mkdirSync(installed, { recursive: true });
  cpSync(join(PACKAGE_DIR, 'package.json'), join(installed, 'package.json'));
  cpSync(join(PACKAGE_DIR, 'dist'), join(installed, 'dist'), { recursive: true });

  const out = join(dir, 'app');
  mkdirSync(out);
  const compilerOptions: ts.CompilerOptions = {
    module: esm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
  };
  for (const file of readdirSync(SOURCES)) {
    if (!file.endsWith('.ts')) continue;
    const source = readFileSync(join(SOURCES, file), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: file });
    writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  return {
    major,
    dir,
    entry: join(out, 'main.js'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
