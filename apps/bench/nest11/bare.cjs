// Bare Nest 11 on platform-express: the baseline of the official Nest contender (same Nest major).
'use strict';
require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const { serveForBench } = require('../src/servers/probe.cjs');
const { buildNestApp } = require('../src/servers/nest/app.cjs');

buildNestApp({ common, core }).then((app) => serveForBench(app.getHttpServer()));
