import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  platform: 'node',
  target: 'node22',
  // The plugin is both the default and a named export (Fastify plugins' convention); CJS users read either
  // `require('@autotelemetry/fastify').autotelemetry` or `.default`.
  outputOptions: { exports: 'named' },
});
