// Fastify 5 with the official pair: @fastify/otel (request, hook and handler spans) + the HTTP instrumentation,
// under NodeSDK started first.
'use strict';
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const FastifyOtelInstrumentation = require('@fastify/otel');
const { startOfficialSdk } = require('../official-sdk.cjs');

const fastifyOtel = new FastifyOtelInstrumentation();
startOfficialSdk('bench.fastify', [new HttpInstrumentation(), fastifyOtel]);

const Fastify = require('fastify');
const { serveForBench } = require('../probe.cjs');
const { buildFastifyApp } = require('./app.cjs');

buildFastifyApp(Fastify, (app) => app.register(fastifyOtel.plugin())).then((app) => serveForBench(app.server));
