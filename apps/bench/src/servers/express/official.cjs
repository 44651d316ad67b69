// Express 5 with the official OpenTelemetry setup: NodeSDK + HTTP + Express instrumentations, started first.
'use strict';
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
const { startOfficialSdk } = require('../official-sdk.cjs');

startOfficialSdk('bench.express', [new HttpInstrumentation(), new ExpressInstrumentation()]);

const { createServer } = require('node:http');
const express = require('express');
const { serveForBench } = require('../probe.cjs');
const { buildExpressApp } = require('./app.cjs');

serveForBench(createServer(buildExpressApp(express)));
