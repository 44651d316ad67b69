/**
 * The build every published package shares: dual ESM + CJS with declarations, for Node 22+. A package's
 * tsdown.config.ts names its entries and adds only what is particular to it.
 */
import type { UserConfig } from 'tsdown';

/**
 * V8 keeps a module's source in memory for the life of the process, at one byte per character only when every
 * character is ASCII: a single '—' in a comment doubles it. JSDoc serves editors, which read the declarations.
 */
const OUTPUT = { charset: 'ascii', comments: { legal: true, annotation: true, jsdoc: false } } as const;

/** A package's additions; its output options are merged over the shared ones. */
type Overrides = Omit<UserConfig, 'outputOptions'> & {
  outputOptions?: Exclude<UserConfig['outputOptions'], (...args: never[]) => unknown>;
};

/** The shared build of a published package, for the given entry files. */
export function packageBuild(entry: string[], overrides: Overrides = {}): UserConfig {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    platform: 'node',
    target: 'node22',
    ...overrides,
    outputOptions: { ...OUTPUT, ...overrides.outputOptions },
  };
}
