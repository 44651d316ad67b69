// Express 5 with the official OpenTelemetry setup for a service that uses PostgreSQL and Redis: NodeSDK +
// HTTP + Express + pg + ioredis instrumentations, started first, as their docs ask.
'use strict';
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg');
const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis');
const { startOfficialSdk } = require('../official-sdk.cjs');

startOfficialSdk('bench.express', [
  new HttpInstrumentation(),
  new ExpressInstrumentation(),
  new PgInstrumentation(),
  new IORedisInstrumentation(),
]);

const { createServer } = require('node:http');
const express = require('express');
const { serveForBench } = require('../probe.cjs');
const { buildExpressApp } = require('./app.cjs');

serveForBench(createServer(buildExpressApp(express)));
