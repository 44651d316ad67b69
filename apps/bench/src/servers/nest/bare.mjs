// Bare Nest 12 on platform-express: the baseline.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

const require = createRequire(import.meta.url);
const { serveForBench } = require('../probe.cjs');
const { buildNestApp } = require('./app.cjs');

const app = await buildNestApp({ common, core });
serveForBench(app.getHttpServer());
