// Nest 12 on platform-express with `TelemetryModule.forRoot(options)`, every signal on (ours-options.cjs).
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { TelemetryModule } from '@autotelemetry/nestjs';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

const require = createRequire(import.meta.url);
const { serveForBench } = require('../probe.cjs');
const { buildNestApp } = require('./app.cjs');
const { oursOptions } = require('../ours-options.cjs');

const app = await buildNestApp({ common, core, imports: [TelemetryModule.forRoot(oursOptions('bench.nest'))] });
serveForBench(app.getHttpServer());
