// Fastify 5 with `app.register(autotelemetry, options)`, every signal on (ours-options.cjs). ESM, no loader flag.
import { createRequire } from 'node:module';
import { autotelemetry } from '@autotelemetry/fastify';
import Fastify from 'fastify';

const require = createRequire(import.meta.url);
const { serveForBench } = require('../probe.cjs');
const { buildFastifyApp } = require('./app.cjs');
const { oursOptions } = require('../ours-options.cjs');

const app = await buildFastifyApp(Fastify, (app) => app.register(autotelemetry, oursOptions('bench.fastify')));
serveForBench(app.server);
