// The official setup plus what users add for logs: pino-http (one access line per request, to /dev/null) with
// the official pino instrumentation putting trace ids on the lines — the closest match to what ours does.
'use strict';
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino');
const { startOfficialSdk } = require('../official-sdk.cjs');

startOfficialSdk('bench.express', [new HttpInstrumentation(), new ExpressInstrumentation(), new PinoInstrumentation()]);

const { createServer } = require('node:http');
const express = require('express');
const pino = require('pino');
const pinoHttp = require('pino-http');
const { serveForBench } = require('../probe.cjs');
const { buildExpressApp } = require('./app.cjs');

const logger = pino(pino.destination({ dest: '/dev/null', sync: false }));
serveForBench(createServer(buildExpressApp(express, (app) => app.use(pinoHttp({ logger })))));
