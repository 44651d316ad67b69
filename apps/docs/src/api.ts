/**
 * Builds the API reference with TypeDoc from the TSDoc comments of every public export of every published
 * package, warnings as errors: an undocumented export or a broken `{@link}` fails the build.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Application, LogLevel as TypeDocLogLevel } from 'typedoc';

/** A published package and the source files behind its export entries. */
export interface PackageEntryPoints {
  readonly name: string;
  readonly dir: string;
  readonly entryPoints: readonly string[];
}

/** The non-private packages under `packages/` and the `src/*.ts` file of each export subpath. */
export function findPublicEntryPoints(root: string): PackageEntryPoints[] {
  const out: PackageEntryPoints[] = [];
  const dir = join(root, 'packages');
  for (const name of readdirSync(dir).sort()) {
    const manifestPath = join(dir, name, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      name: string;
      private?: boolean;
      exports?: Record<string, unknown>;
    };
    if (manifest.private || !manifest.exports) continue;
    const entryPoints: string[] = [];
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === './package.json') continue;
      const built = JSON.stringify(target).match(/\.\/dist\/([\w./-]+?)\.(?:mjs|cjs|js)"/)?.[1];
      if (!built) continue;
      const source = join(dir, name, 'src', `${built}.ts`);
      if (existsSync(source) && !entryPoints.includes(source)) entryPoints.push(source);
    }
    out.push({ name: manifest.name, dir: join(dir, name), entryPoints });
  }
  return out;
}

/** The outcome of a TypeDoc run. */
export interface ApiReport {
  readonly ok: boolean;
  readonly errors: number;
  readonly warnings: number;
  readonly messages: readonly string[];
}

/**
 * Runs TypeDoc over the given packages (sources mapped with `paths`, so cross-package references resolve to
 * documented declarations). Writes HTML to `outDir` when given, else only validates.
 */
export async function buildApiReference(
  root: string,
  packages: readonly PackageEntryPoints[],
  outDir?: string,
  workDir: string = join(root, 'apps', 'docs'),
): Promise<ApiReport> {
  const paths: Record<string, string[]> = {};
  for (const pkg of packages) {
    for (const entry of pkg.entryPoints) {
      const base = entry.endsWith('/index.ts')
        ? pkg.name
        : `${pkg.name}/${entry.split('/src/')[1]?.replace(/\.ts$/, '')}`;
      // Without baseUrl (deprecated in TypeScript 6), paths are relative to the tsconfig's folder.
      paths[base] = [`./${relative(workDir, entry)}`];
    }
  }
  const tsconfigPath = join(workDir, '.typedoc.tsconfig.json');
  writeFileSync(
    tsconfigPath,
    JSON.stringify({
      extends: relative(workDir, join(root, 'tsconfig.base.json')),
      compilerOptions: {
        noEmit: true,
        paths,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      },
      include: packages.map((pkg) => relative(workDir, join(pkg.dir, 'src'))),
    }),
  );
  const messages: string[] = [];
  const app = await Application.bootstrapWithPlugins({
    entryPoints: packages.flatMap((pkg) => pkg.entryPoints),
    entryPointStrategy: 'resolve',
    tsconfig: tsconfigPath,
    treatWarningsAsErrors: true,
    treatValidationWarningsAsErrors: true,
    excludePrivate: true,
    excludeInternal: true,
    excludeExternals: true,
    skipErrorChecking: false,
    validation: { notExported: true, invalidLink: true, notDocumented: true, rewrittenLink: true },
    // Every export, and the methods of exported classes; interface fields are documented where they
    // need words, which TypeDoc cannot judge.
    requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'Method', 'Accessor', 'TypeAlias'],
    logLevel: TypeDocLogLevel.Warn,
    name: 'AutoTelemetry for Node.js',
    readme: 'none',
    // The repository has no remote to link sources to.
    disableSources: true,
  });
  const logger = app.logger;
  const original = logger.log.bind(logger);
  logger.log = (message, level) => {
    // Only what fails the build is reported; TypeDoc's debug and info chatter is not.
    if (level >= TypeDocLogLevel.Warn) messages.push(String(message));
    original(message, level);
  };
  const project = await app.convert();
  if (project) {
    app.validate(project);
    if (outDir && !logger.hasErrors() && !logger.hasWarnings()) await app.generateDocs(project, outDir);
  }
  const errors = logger.errorCount;
  const warnings = logger.warningCount;
  return { ok: Boolean(project) && errors === 0 && warnings === 0, errors, warnings, messages };
}
