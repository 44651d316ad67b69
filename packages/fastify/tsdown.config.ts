import { defineConfig } from 'tsdown';
import { packageBuild } from '../../tsdown.base.ts';

export default defineConfig(
  packageBuild(['src/index.ts'], {
    // The plugin is both the default and a named export (Fastify plugins' convention); CJS users read either
    // `require('@autotelemetry/fastify').autotelemetry` or `.default`.
    outputOptions: { exports: 'named' },
  }),
);
