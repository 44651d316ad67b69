import { defineConfig } from 'tsdown';
import { packageBuild } from '../../tsdown.base.ts';

export default defineConfig([
  // The library: what `import … from '@autotelemetry/cli'` gives, dual ESM + CJS with types.
  packageBuild(['src/index.ts']),
  // The `autotelemetry` executable: ESM only, no types, never imported.
  packageBuild(['src/bin.ts'], { format: ['esm'], dts: false, clean: false }),
]);
