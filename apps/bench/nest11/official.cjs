// Nest 11 on platform-express with the official setup: NodeSDK + HTTP + Express + NestJS-core instrumentations
// (the NestJS-core instrumentation patches Nest < 12 only, hence Nest 11 here).
'use strict';
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
const { NestInstrumentation } = require('@opentelemetry/instrumentation-nestjs-core');
const { startOfficialSdk } = require('../src/servers/official-sdk.cjs');

startOfficialSdk('bench.nest', [new HttpInstrumentation(), new ExpressInstrumentation(), new NestInstrumentation()]);

require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const { serveForBench } = require('../src/servers/probe.cjs');
const { buildNestApp } = require('../src/servers/nest/app.cjs');

buildNestApp({ common, core }).then((app) => serveForBench(app.getHttpServer()));
