/**
 * The build every published package shares: dual ESM + CJS with declarations, for Node 22+. A package's
 * tsdown.config.ts names its entries and adds only what is particular to it.
 */
import type { UserConfig } from 'tsdown';

/** The shared build of a published package, for the given entry files. */
export function packageBuild(entry: string[], overrides: UserConfig = {}): UserConfig {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    platform: 'node',
    target: 'node22',
    ...overrides,
  };
}
