// Express 5 with `app.use(autotelemetry())`, every signal on (ours-options.cjs). ESM, no loader flag.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { autotelemetry } from '@autotelemetry/express';
import express from 'express';

const require = createRequire(import.meta.url);
const { serveForBench } = require('../probe.cjs');
const { buildExpressApp } = require('./app.cjs');
const { oursOptions } = require('../ours-options.cjs');

serveForBench(createServer(buildExpressApp(express, (app) => app.use(autotelemetry(oursOptions('bench.express'))))));
