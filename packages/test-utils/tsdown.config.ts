import { defineConfig } from 'tsdown';
import { packageBuild } from '../../tsdown.base.ts';

// Private, test-only package: ESM is all its consumers (vitest files and fixtures) need.
export default defineConfig(packageBuild(['src/index.ts'], { format: ['esm'] }));
