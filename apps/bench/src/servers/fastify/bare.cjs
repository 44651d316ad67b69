// Bare Fastify 5: the baseline.
'use strict';
const Fastify = require('fastify');
const { serveForBench } = require('../probe.cjs');
const { buildFastifyApp } = require('./app.cjs');

buildFastifyApp(Fastify).then((app) => serveForBench(app.server));
