import { defineConfig } from 'tsdown';

export default defineConfig([
  {
    // The library: what `import … from '@autotelemetry/cli'` gives, dual ESM + CJS with types.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    platform: 'node',
    target: 'node22',
  },
  {
    // The `autotelemetry` executable: ESM only, no types, never imported.
    entry: ['src/bin.ts'],
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    platform: 'node',
    target: 'node22',
  },
]);
