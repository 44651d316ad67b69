// Bare Express 5: the baseline.
'use strict';
const { createServer } = require('node:http');
const express = require('express');
const { serveForBench } = require('../probe.cjs');
const { buildExpressApp } = require('./app.cjs');

serveForBench(createServer(buildExpressApp(express)));
