import { defineConfig } from 'tsdown';

// Private, test-only package: ESM is all its consumers (vitest files and fixtures) need.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  platform: 'node',
  target: 'node22',
});
