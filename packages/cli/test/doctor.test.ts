/**
 * `autotelemetry doctor` on crafted projects: a healthy one gets no problem and no warning; each broken
 * one gets exactly the finding it was crafted for. Endpoints and ports are real sockets on 127.0.0.1, the
 * CLI is the built executable run as a child process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  type HeldPort,
  holdPort,
  killAllChildren,
  type OtlpReceiver,
  spawnNode,
  startOtlpReceiver,
} from '@autotelemetry/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorCheck, DoctorReport } from '../src/doctor/types.js';
import { runCli, tempDir } from './helpers/cli.js';
import { healthyExpressProject, manifest, type ProjectSpec, writeProject } from './helpers/projects.js';

const tmp = tempDir('doctor');
let receiver: OtlpReceiver;
let held: HeldPort | undefined;
let counter = 0;

beforeAll(async () => {
  receiver = await startOtlpReceiver({ protocol: 'grpc' });
});
afterEach(async () => {
  await held?.close();
  held = undefined;
});
afterAll(async () => {
  await killAllChildren();
  await receiver.close();
  tmp.remove();
});

function project(spec: ProjectSpec): string {
  return writeProject(join(tmp.dir, `p${++counter}`), spec);
}

/** The environment of a healthy production service: OTLP to a live receiver, a free Prometheus port. */
async function healthyEnv(): Promise<Record<string, string>> {
  return {
    AUTOTELEMETRY_ENVIRONMENT: 'production',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    AUTOTELEMETRY_PROMETHEUS_PORT: String(await freePort()),
    AUTOTELEMETRY_PROMETHEUS_HOST: '127.0.0.1',
  };
}

async function doctor(dir: string, env: Record<string, string | undefined>, extra: string[] = []) {
  const result = await runCli(['doctor', '--json', '--timeout', '500', ...extra], { cwd: dir, env });
  let report: DoctorReport;
  try {
    report = JSON.parse(result.stdout) as DoctorReport;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, report };
}

const findings = (report: DoctorReport, status: DoctorCheck['status']) =>
  report.checks.filter((c) => c.status === status).map((c) => `${c.id}: ${c.title}`);

function only(report: DoctorReport, id: DoctorCheck['id'], status: DoctorCheck['status']): DoctorCheck {
  const matching = report.checks.filter((c) => c.id === id && c.status === status);
  expect(matching, JSON.stringify(report.checks, null, 2)).toHaveLength(1);
  return matching[0] as DoctorCheck;
}

describe('autotelemetry doctor', () => {
  it('finds nothing wrong with a healthy project, and shows each value with its source', async () => {
    const dir = project(healthyExpressProject());
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(findings(report, 'problem')).toEqual([]);
    expect(findings(report, 'warn')).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    const value = (option: string) => report.config?.find((v) => v.option === option);
    // The literal option in server.js (line 6), not the one in the comment on line 5.
    expect(value('serviceName')).toEqual({
      option: 'serviceName',
      value: 'shop.api',
      source: 'option',
      from: 'server.js:6',
    });
    expect(value('serviceVersion')).toMatchObject({ value: '1.4.2', source: 'package.json' });
    expect(value('environment')).toMatchObject({
      value: 'production',
      source: 'env',
      from: 'AUTOTELEMETRY_ENVIRONMENT',
    });
    expect(value('traceExporter')).toMatchObject({ value: 'otlp', source: 'default' });
    expect(only(report, 'otlp-endpoint', 'ok').title).toContain(receiver.endpoint);
    expect(only(report, 'module-system', 'info').data).toMatchObject({ moduleSystem: 'esm' });
  });

  it('prints a readable report and exits 0 without --json', async () => {
    const dir = project(healthyExpressProject());
    const result = await runCli(['doctor', '--timeout', '500'], { cwd: dir, env: await healthyEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/serviceName\s+shop\.api\s+option \(.*server\.js:6\)/);
    expect(result.stdout).toMatch(/environment\s+production\s+env \(AUTOTELEMETRY_ENVIRONMENT\)/);
    expect(result.stdout).toContain('✔ One copy of @opentelemetry/api (1.10.0)');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('No problem found.');
  });

  it('reads options from the local modules the entry loads, through constants, and names those it cannot read', async () => {
    const dir = project({
      files: {
        ...healthyExpressProject().files,
        'package.json': {
          name: 'billing-service',
          version: '3.0.0',
          type: 'module',
          scripts: { start: 'node src/main.js' },
          dependencies: { '@autotelemetry/express': '0.1.0', '@opentelemetry/api': '1.10.0', express: '5.1.0' },
        },
        'src/main.js': "import { buildApp } from './app.js';\nbuildApp().listen(3000);\n",
        'src/app.js': [
          "import express from 'express';",
          "import { autotelemetry } from '@autotelemetry/express';",
          "export const SERVICE_NAME = 'billing.api';",
          'const metricsPort = Number(process.env.METRICS_PORT ?? 9400);',
          'export function buildApp() {',
          '  const app = express();',
          '  app.use(autotelemetry({ serviceName: SERVICE_NAME, prometheusPort: metricsPort, jsonLogs: true }));',
          '  return app;',
          '}',
          '',
        ].join('\n'),
      },
    });
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(code).toBe(0);
    const value = (option: string) => report.config?.find((v) => v.option === option);
    expect(value('serviceName')).toEqual({
      option: 'serviceName',
      value: 'billing.api',
      source: 'option',
      from: 'src/app.js:7',
    });
    expect(value('jsonLogs')).toMatchObject({ value: 'true', source: 'option' });
    expect(value('prometheusPort')).toEqual({
      option: 'prometheusPort',
      value: '(set in code: metricsPort)',
      source: 'option',
      from: 'src/app.js:7',
    });
    expect(only(report, 'config', 'info').title).toBe(
      'Set in code from expressions the doctor does not evaluate: prometheusPort',
    );
    // The port the code chooses is unknown here, so it is not judged free or taken.
    expect(only(report, 'prometheus-port', 'info').title).toBe(
      'Prometheus port not checked: the code sets prometheusPort from an expression',
    );
  });

  it('reports an invalid configuration value, naming the variable, and exits 1', async () => {
    const dir = project(healthyExpressProject());
    const { code, report } = await doctor(dir, { ...(await healthyEnv()), AUTOTELEMETRY_PROMETHEUS_PORT: 'eighty' });
    expect(code).toBe(1);
    const check = only(report, 'config', 'problem');
    expect(check.title).toBe(
      'Invalid configuration: prometheusPort (environment variable AUTOTELEMETRY_PROMETHEUS_PORT)',
    );
    expect(check.detail).toContain('"eighty"');
    expect(findings(report, 'problem')).toHaveLength(1);
  });

  it('reports an OTLP endpoint nothing listens on', async () => {
    const dir = project(healthyExpressProject());
    const closed = await freePort();
    const { code, report } = await doctor(dir, {
      ...(await healthyEnv()),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`,
    });
    expect(code).toBe(1);
    expect(only(report, 'otlp-endpoint', 'problem').title).toBe(
      `OTLP endpoint (grpc) http://127.0.0.1:${closed} is not reachable (ECONNREFUSED)`,
    );
    expect(findings(report, 'problem')).toHaveLength(1);
  });

  it('warns when the OTLP protocol does not match the usual port of the endpoint', async () => {
    const dir = project(healthyExpressProject());
    const { code, report } = await doctor(dir, {
      ...(await healthyEnv()),
      // Nothing listens there either: both findings are reported.
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    });
    expect(code).toBe(1);
    expect(only(report, 'otlp-endpoint', 'warn').title).toBe(
      "OTLP protocol is grpc but the endpoint's port is 4318, the usual port of OTLP/HTTP",
    );
  });

  it('reports a Zipkin endpoint nothing listens on when spans go to Zipkin', async () => {
    const dir = project(healthyExpressProject());
    const closed = await freePort();
    const { code, report } = await doctor(dir, {
      ...(await healthyEnv()),
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `http://127.0.0.1:${closed}/api/v2/spans`,
    });
    expect(code).toBe(1);
    expect(only(report, 'zipkin-endpoint', 'problem').data).toMatchObject({ error: 'ECONNREFUSED' });
  });

  it('reports a Prometheus port held by another process', async () => {
    const dir = project(healthyExpressProject());
    held = await holdPort();
    const { code, report } = await doctor(dir, {
      ...(await healthyEnv()),
      AUTOTELEMETRY_PROMETHEUS_PORT: String(held.port),
    });
    expect(code).toBe(1);
    expect(only(report, 'prometheus-port', 'problem').title).toBe(
      `Prometheus port ${held.port} is taken by another process`,
    );
    expect(findings(report, 'problem')).toHaveLength(1);
  });

  it('reports a Node version pinned below 22.15 and an old node on PATH', async () => {
    const spec = healthyExpressProject();
    const dir = project({
      ...spec,
      files: {
        ...spec.files,
        '.nvmrc': 'v20.11.0\n',
        // What `npm start` would run: a node first on PATH that says it is 20.
        'fake-bin/node': '#!/bin/sh\necho v20.11.1\n',
      },
      executables: ['fake-bin/node'],
    });
    const { code, report } = await doctor(dir, {
      ...(await healthyEnv()),
      PATH: `${join(dir, 'fake-bin')}:${process.env.PATH}`,
    });
    expect(code).toBe(1);
    const titles = report.checks.filter((c) => c.id === 'node-version').map((c) => `${c.status} ${c.title}`);
    expect(titles).toEqual([
      'problem The node on PATH is 20.11.1, older than 22.15.0',
      'problem .nvmrc pins Node v20.11.0, older than 22.15.0',
    ]);
  });

  it('reports an ESM entry using official instrumentations without --import', async () => {
    const spec = healthyExpressProject();
    const pkg = spec.files['package.json'] as { dependencies: Record<string, string> };
    const dir = project({
      files: {
        ...spec.files,
        'package.json': {
          ...pkg,
          dependencies: { ...pkg.dependencies, '@opentelemetry/auto-instrumentations-node': '0.60.0' },
        },
        'server.js': `import './telemetry.js';\nimport express from 'express';\nexpress().listen(3000);\n`,
        ...manifest('@opentelemetry/auto-instrumentations-node', '0.60.0'),
      },
    });
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(code).toBe(1);
    expect(only(report, 'load-order', 'problem').title).toBe(
      'ESM entry with official instrumentations (@opentelemetry/auto-instrumentations-node) but no --import',
    );
    expect(only(report, 'load-order', 'problem').fix).toContain('node --import ./telemetry.js server.js');
  });

  it('accepts the same ESM project when the start script preloads telemetry with --import', async () => {
    const spec = healthyExpressProject();
    const pkg = spec.files['package.json'] as { dependencies: Record<string, string> };
    const dir = project({
      files: {
        ...spec.files,
        'package.json': {
          ...pkg,
          scripts: { start: 'node --import ./telemetry.js server.js' },
          dependencies: { ...pkg.dependencies, '@opentelemetry/auto-instrumentations-node': '0.60.0' },
        },
        ...manifest('@opentelemetry/auto-instrumentations-node', '0.60.0'),
      },
    });
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(findings(report, 'problem')).toEqual([]);
    expect(code).toBe(0);
    expect(only(report, 'load-order', 'ok').title).toBe(
      'Telemetry is preloaded (./telemetry.js) before the application',
    );
  });

  it('reports a CommonJS entry that requires the framework before the tracing file', async () => {
    const dir = project({
      files: {
        'package.json': {
          name: 'billing.worker',
          version: '2.0.0',
          main: 'index.js',
          dependencies: {
            '@autotelemetry/node': '0.1.0',
            '@opentelemetry/api': '1.10.0',
            '@opentelemetry/instrumentation-express': '0.50.0',
            express: '4.21.0',
          },
        },
        '.nvmrc': '22.15.0\n',
        'index.js': `'use strict';\nconst express = require('express');\nrequire('./tracing');\nexpress().listen(3000);\n`,
        ...manifest('@autotelemetry/node', '0.1.0', { dependencies: { '@autotelemetry/core': '0.1.0' } }),
        ...manifest('@autotelemetry/core', '0.1.0'),
        ...manifest('@opentelemetry/api', '1.10.0'),
        ...manifest('@opentelemetry/instrumentation-express', '0.50.0'),
        ...manifest('express', '4.21.0'),
      },
    });
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(code).toBe(1);
    expect(only(report, 'module-system', 'info').data).toMatchObject({ moduleSystem: 'commonjs' });
    const check = only(report, 'load-order', 'problem');
    expect(check.title).toBe('express is loaded (index.js:2) before telemetry starts (./tracing, line 3)');
    expect(check.fix).toContain('node --require ./tracing index.js');
  });

  it('lists the database and cache clients installed, each traced or not by its version', async () => {
    const spec = healthyExpressProject();
    const root = spec.files['package.json'] as { dependencies: Record<string, string> };
    const dir = project({
      files: {
        ...spec.files,
        'package.json': {
          ...root,
          dependencies: { ...root.dependencies, pg: '8.23.1', ioredis: '5.9.3', redis: '5.12.4' },
        },
        ...manifest('pg', '8.23.1'),
        ...manifest('ioredis', '5.9.3'),
        ...manifest('redis', '5.12.4', { dependencies: { '@redis/client': '5.12.4' } }),
        ...manifest('@redis/client', '5.12.4'),
      },
    });
    const { report } = await doctor(dir, await healthyEnv());
    const libraries = report.checks.filter((check) => check.id === 'libraries');
    expect(libraries.map((check) => [check.status, check.title]).sort()).toEqual([
      [
        'ok',
        '@redis/client 5.12.4: its calls get client spans (the node-redis:command and node-redis:batch tracing channels)',
      ],
      [
        'ok',
        'pg 8.23.1: its calls get client spans (@opentelemetry/instrumentation-pg, applied to the loaded package)',
      ],
      ['warn', 'ioredis 5.9.3: its calls get no spans (traced versions: >=5.11.0)'],
    ]);
    expect(libraries.find((check) => check.status === 'warn')?.fix).toBe('Upgrade ioredis to a version in >=5.11.0.');
  });

  it('lists grpc-js with client and server spans, or none for a version before 1', async () => {
    const spec = healthyExpressProject();
    const root = spec.files['package.json'] as { dependencies: Record<string, string> };
    const files = (version: string) => ({
      ...spec.files,
      'package.json': { ...root, dependencies: { ...root.dependencies, '@grpc/grpc-js': version } },
      ...manifest('@grpc/grpc-js', version),
    });
    const titles = async (version: string) =>
      (await doctor(project({ files: files(version) }), await healthyEnv())).report.checks
        .filter((check) => check.id === 'libraries')
        .map((check) => [check.status, check.title]);
    expect(await titles('1.14.7')).toEqual([
      [
        'ok',
        '@grpc/grpc-js 1.14.7: its calls get client and server spans (its Channel.prototype.createCall for clients and @opentelemetry/instrumentation-grpc for servers, applied to the loaded package)',
      ],
    ]);
    expect(await titles('0.6.18')).toEqual([
      ['warn', '@grpc/grpc-js 0.6.18: its calls get no spans (traced versions: >=1.0.0 <2)'],
    ]);
  });

  it("says nothing of the grpc-js that only AutoTelemetry's own OTLP exporter depends on", async () => {
    const spec = healthyExpressProject();
    const dir = project({
      files: {
        ...spec.files,
        ...manifest('@autotelemetry/core', '0.1.0', {
          dependencies: { '@grpc/grpc-js': '1.14.7' },
          peerDependencies: { '@opentelemetry/api': '^1.9.0' },
        }),
        ...manifest('@grpc/grpc-js', '1.14.7'),
      },
    });
    const { report } = await doctor(dir, await healthyEnv());
    expect(report.checks.filter((check) => check.id === 'libraries')).toEqual([]);
  });

  it('lists graphql: its operations traced in 15 and 16, a newer major untraced and said so', async () => {
    const spec = healthyExpressProject();
    const root = spec.files['package.json'] as { dependencies: Record<string, string> };
    const check = async (version: string) => {
      const dir = project({
        files: {
          ...spec.files,
          'package.json': { ...root, dependencies: { ...root.dependencies, graphql: version } },
          ...manifest('graphql', version),
        },
      });
      const { report } = await doctor(dir, await healthyEnv());
      return report.checks.filter((c) => c.id === 'libraries');
    };
    const [traced] = await check('16.15.0');
    expect([traced?.status, traced?.title]).toEqual([
      'ok',
      'graphql 16.15.0: its operations get parse, validate and execute spans (@opentelemetry/instrumentation-graphql, applied to the loaded package)',
    ]);
    const [newer] = await check('17.1.0');
    expect([newer?.status, newer?.title]).toEqual([
      'warn',
      'graphql 17.1.0: its calls get no spans (traced versions: >=15.0.0 <17)',
    ]);
    expect(newer?.fix).toBe('To get spans, use graphql in >=15.0.0 <17; this newer version runs as before, untraced.');
    const [older] = await check('14.7.0');
    expect(older?.fix).toBe('Upgrade graphql to a version in >=15.0.0 <17.');
  });

  it('says node-redis 4 is traced and node-redis 5 before 5.12 is not, naming the version to upgrade to', async () => {
    const spec = healthyExpressProject();
    const root = spec.files['package.json'] as { dependencies: Record<string, string> };
    const titles: Array<[string, string, string | undefined]> = [];
    for (const [redis, client] of [
      ['4.7.1', '1.6.1'],
      ['5.5.0', '5.5.0'],
    ] as const) {
      const dir = project({
        files: {
          ...spec.files,
          'package.json': { ...root, dependencies: { ...root.dependencies, redis } },
          ...manifest('redis', redis, { dependencies: { '@redis/client': client } }),
          ...manifest('@redis/client', client),
        },
      });
      const { report } = await doctor(dir, await healthyEnv());
      const check = only(report, 'libraries', client === '1.6.1' ? 'ok' : 'warn');
      titles.push([check.status, check.title, check.fix]);
    }
    expect(titles).toEqual([
      [
        'ok',
        '@redis/client 1.6.1: its calls get client spans (@opentelemetry/instrumentation-redis, applied to the loaded package)',
        undefined,
      ],
      [
        'warn',
        '@redis/client 5.5.0: its calls get no spans (traced versions: >=1.1.0 <2 || >=5.12.0)',
        'Upgrade @redis/client to a version in >=5.12.0.',
      ],
    ]);
  });

  it('says nothing of libraries a project does not have', async () => {
    const { report } = await doctor(project(healthyExpressProject()), await healthyEnv());
    expect(report.checks.filter((check) => check.id === 'libraries')).toEqual([]);
  });

  it('reports two copies of @opentelemetry/api in conflict (npm nesting)', async () => {
    const spec = healthyExpressProject();
    const dir = project({
      files: {
        ...spec.files,
        // The adapter's core got its own, older copy of the API.
        ...manifest('@autotelemetry/core/node_modules/@opentelemetry/api', '1.4.1'),
        ...manifest('@autotelemetry/core', '0.1.0', { dependencies: { '@opentelemetry/api': '1.4.1' } }),
      },
    });
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(code).toBe(1);
    const check = only(report, 'otel-api-copies', 'problem');
    expect(check.title).toBe('2 copies of @opentelemetry/api in conflict: 1.10.0, 1.4.1');
    expect(check.detail).toContain('shop.api > @autotelemetry/express > @autotelemetry/core > @opentelemetry/api');
  });

  it('follows pnpm’s .pnpm store: finds the conflicting sibling, ignores copies nothing depends on', async () => {
    const store = 'node_modules/.pnpm';
    const adapterId = '@autotelemetry+express@0.1.0_@opentelemetry+api@1.4.1';
    const spec = healthyExpressProject();
    const files: Record<string, string | object> = { ...spec.files };
    for (const key of Object.keys(files)) if (key.startsWith('node_modules/@autotelemetry/express')) delete files[key];
    const dir = project({
      files: {
        ...files,
        [`${store}/${adapterId}/node_modules/@autotelemetry/express/package.json`]: {
          name: '@autotelemetry/express',
          version: '0.1.0',
          peerDependencies: { '@opentelemetry/api': '^1.4.0' },
        },
        [`${store}/@opentelemetry+api@1.4.1/node_modules/@opentelemetry/api/package.json`]: {
          name: '@opentelemetry/api',
          version: '1.4.1',
        },
        // In the store, but no package of this project depends on it.
        [`${store}/@opentelemetry+api@1.3.0/node_modules/@opentelemetry/api/package.json`]: {
          name: '@opentelemetry/api',
          version: '1.3.0',
        },
      },
      symlinks: {
        'node_modules/@autotelemetry/express': `../.pnpm/${adapterId}/node_modules/@autotelemetry/express`,
        [`${store}/${adapterId}/node_modules/@opentelemetry/api`]:
          '../../../@opentelemetry+api@1.4.1/node_modules/@opentelemetry/api',
      },
    });
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(code).toBe(1);
    expect(only(report, 'otel-api-copies', 'problem').title).toBe(
      '2 copies of @opentelemetry/api in conflict: 1.10.0, 1.4.1',
    );
  });

  it('reports a project without AutoTelemetry, and warns about a framework without its adapter', async () => {
    const dir = project({
      files: {
        'package.json': {
          name: 'plain.api',
          version: '1.0.0',
          type: 'module',
          scripts: { start: 'node app.mjs' },
          dependencies: { express: '5.1.0', '@opentelemetry/api': '1.10.0' },
        },
        'app.mjs': "import express from 'express';\nexpress().listen(3000);\n",
        ...manifest('express', '5.1.0'),
        ...manifest('@opentelemetry/api', '1.10.0'),
      },
    });
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(code).toBe(1);
    expect(only(report, 'autotelemetry-installed', 'problem').title).toBe(
      'No @autotelemetry package among the dependencies',
    );
    expect(only(report, 'adapter', 'warn').title).toBe(
      'app.mjs uses express but @autotelemetry/express is not installed',
    );
  });

  it('warns when the app also starts an OpenTelemetry SDK of its own', async () => {
    const spec = healthyExpressProject();
    const pkg = spec.files['package.json'] as { dependencies: Record<string, string> };
    const dir = project({
      files: {
        ...spec.files,
        'package.json': { ...pkg, dependencies: { ...pkg.dependencies, '@opentelemetry/sdk-node': '0.301.0' } },
        ...manifest('@opentelemetry/sdk-node', '0.301.0'),
      },
    });
    const { code, report } = await doctor(dir, await healthyEnv());
    expect(code).toBe(0);
    expect(only(report, 'second-sdk', 'warn').title).toBe(
      'The app also uses another OpenTelemetry SDK setup: @opentelemetry/sdk-node',
    );
  });

  it('warns when NODE_ENV=test keeps spans in memory, without calling it a problem', async () => {
    const dir = project(healthyExpressProject());
    const { code, report } = await doctor(dir, { NODE_ENV: 'test' });
    expect(code).toBe(0);
    expect(only(report, 'traces-destination', 'warn').title).toBe('Spans are kept in memory only (the test default)');
    expect(only(report, 'prometheus-port', 'info').title).toBe('The Prometheus endpoint is off (the test default)');
  });

  it('reads an --env-file the way node --env-file does (the real environment wins)', async () => {
    const dir = project(healthyExpressProject());
    const env = await healthyEnv();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'prod.env'),
      'OTEL_SERVICE_NAME=from.file\nAUTOTELEMETRY_LOG_LEVEL=ERROR\nAUTOTELEMETRY_STRICT_NAMING=true\n',
    );
    const { report } = await doctor(dir, { ...env, AUTOTELEMETRY_LOG_LEVEL: 'WARN' }, [
      '--env-file',
      'config/prod.env',
    ]);
    const value = (option: string) => report.config?.find((v) => v.option === option);
    expect(value('logLevel')).toMatchObject({ value: 'WARN', source: 'env' });
    expect(value('strictNaming')).toMatchObject({ value: 'true', source: 'env', from: 'AUTOTELEMETRY_STRICT_NAMING' });
    // serviceName comes from the code's option, which wins over OTEL_SERVICE_NAME from the file.
    expect(value('serviceName')).toMatchObject({ value: 'shop.api', source: 'option' });
  });

  it('reports a --url where no service answers', async () => {
    const port = await freePort();
    const { code, report } = await doctor(tmp.dir, {}, ['--url', `http://127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(only(report, 'running-service', 'problem').title).toBe(
      `http://127.0.0.1:${port}/metrics does not answer (ECONNREFUSED)`,
    );
  });

  describe('with the service running', () => {
    let metricsPort = 0;

    beforeAll(async () => {
      metricsPort = await freePort();
      const child = spawnNode(fileURLToPath(new URL('./fixtures/standard-service.mjs', import.meta.url)), {
        env: {
          FIXTURE_SERVICE_NAME: 'shop.api',
          AUTOTELEMETRY_ENVIRONMENT: 'development',
          OTEL_TRACES_EXPORTER: 'none',
          AUTOTELEMETRY_ACCESS_LOG: 'false',
          AUTOTELEMETRY_PROMETHEUS_PORT: String(metricsPort),
          AUTOTELEMETRY_PROMETHEUS_HOST: '127.0.0.1',
        },
      });
      const line = await child.waitForLine((l) => l.includes('"listening"'));
      const port = (JSON.parse(line) as { listening: number }).listening;
      await (await fetch(`http://127.0.0.1:${port}/orders/1`)).text();
      // Runtime metrics start in the background: wait for them, as a scrape some seconds later would.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        if (text.includes('nodejs_eventloop_delay_p99') && text.includes('process_memory_usage')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    });

    it('--url reads who the service is and finds its standard series', async () => {
      const { code, report } = await doctor(tmp.dir, {}, ['--url', `127.0.0.1:${metricsPort}`]);
      expect(findings(report, 'problem')).toEqual([]);
      expect(findings(report, 'warn')).toEqual([]);
      expect(code).toBe(0);
      const check = only(report, 'running-service', 'ok');
      expect(check.title).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${metricsPort}/metrics is shop\\.api `));
      expect(check.data).toMatchObject({
        resource: { service_name: 'shop.api', deployment_environment_name: 'development' },
      });
    });

    it('in the folder, a port held by this very service is not a problem', async () => {
      const dir = project(healthyExpressProject());
      const { code, report } = await doctor(dir, {
        ...(await healthyEnv()),
        AUTOTELEMETRY_PROMETHEUS_PORT: String(metricsPort),
      });
      expect(code).toBe(0);
      expect(only(report, 'prometheus-port', 'ok').title).toBe(
        `Prometheus port ${metricsPort} is in use by shop.api itself, running (its /metrics answers)`,
      );
    });
  });

  it('exits 2 with the usage on an unknown flag', async () => {
    const result = await runCli(['doctor', '--jsn']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--jsn'");
    expect(result.stderr).toContain('Usage: autotelemetry <command>');
  });
});
