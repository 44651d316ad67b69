/**
 * Checks of the service's code and manifest: is AutoTelemetry installed, ESM or CommonJS, is telemetry set
 * up before the modules an official OpenTelemetry instrumentation has to patch, and is each framework
 * paired with its adapter.
 *
 * Load order matters only for monkey-patching instrumentations (`@opentelemetry/instrumentation-*`,
 * `@opentelemetry/auto-instrumentations-node`): they patch a module when it is loaded, so a framework
 * loaded first is never patched, and ESM modules can be patched only through a loader hook registered
 * with `--import` before the application is loaded. AutoTelemetry's own adapters do not patch anything and
 * work in any order.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { resolveCopy } from './installed-packages.js';
import type { ProjectInfo } from './project.js';
import { findImports, type ImportSite } from './source-scan.js';
import type { DoctorCheck } from './types.js';

/** Frameworks AutoTelemetry has an adapter for, and that adapter. */
export const FRAMEWORK_ADAPTERS: Readonly<Record<string, string>> = Object.freeze({
  express: '@autotelemetry/express',
  fastify: '@autotelemetry/fastify',
  '@nestjs/core': '@autotelemetry/nestjs',
});

/** Modules that official instrumentations patch on load. */
const PATCHED_MODULES = new Set([
  'express',
  'fastify',
  '@nestjs/core',
  'koa',
  '@hapi/hapi',
  'restify',
  'connect',
  'pg',
  'mysql',
  'mysql2',
  'mongodb',
  'mongoose',
  'ioredis',
  'redis',
  'graphql',
  'knex',
  'kafkajs',
  'amqplib',
  '@grpc/grpc-js',
  'pino',
  'winston',
]);

const TELEMETRY_PACKAGES = new Set([
  '@autotelemetry/node',
  '@autotelemetry/node/register',
  '@opentelemetry/sdk-node',
  '@opentelemetry/auto-instrumentations-node',
  '@opentelemetry/auto-instrumentations-node/register',
]);

/** Packages that start an OpenTelemetry SDK of their own. */
const OTHER_SDKS = new Set([
  '@opentelemetry/sdk-node',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/auto-instrumentations-node',
]);

const TELEMETRY_FILE =
  /^\.{1,2}\/(?:.*\/)?(?:telemetry|tracing|tracer|instrumentation|instrument|otel|opentelemetry|observability)(?:\.[cm]?[jt]s)?$/;

/** Whether a specifier starts the telemetry pipeline (a setup package or a local setup file). */
export function isTelemetrySetup(specifier: string): boolean {
  return TELEMETRY_PACKAGES.has(specifier) || TELEMETRY_FILE.test(specifier);
}

function packageOf(specifier: string): string {
  const bare = specifier.replace(/^node:/, '');
  const parts = bare.split('/');
  return bare.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/** Whether the app itself uses official, monkey-patching OpenTelemetry instrumentations. */
export function officialInstrumentations(project: ProjectInfo): string[] {
  return [...project.dependencies].filter(
    (d) => d.startsWith('@opentelemetry/instrumentation-') || d === '@opentelemetry/auto-instrumentations-node',
  );
}

/** Installation, module system, load order and adapters. */
export function checkCode(project: ProjectInfo): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const ours = [...project.dependencies].filter((d) => d.startsWith('@autotelemetry/'));
  const missing = ours.filter((d) => !resolveCopy(project.dir, d));
  if (ours.length === 0) {
    checks.push({
      id: 'autotelemetry-installed',
      status: 'problem',
      title: 'No @autotelemetry package among the dependencies',
      fix: 'Install the adapter of your framework (e.g. npm install @autotelemetry/express) or @autotelemetry/node.',
    });
  } else if (missing.length > 0) {
    checks.push({
      id: 'autotelemetry-installed',
      status: 'problem',
      title: `Declared but not installed: ${missing.join(', ')}`,
      fix: 'Run your package manager’s install.',
    });
  } else {
    checks.push({ id: 'autotelemetry-installed', status: 'ok', title: `Installed: ${ours.join(', ')}` });
  }

  const entryName = project.entry ? relative(project.dir, project.entry) : undefined;
  if (!project.entry || !entryName) {
    checks.push({
      id: 'module-system',
      status: 'info',
      title: `No entry file found (no scripts.start "node <file>", no main); package.json "type" is ${project.type}`,
    });
    return checks;
  }
  const esm = project.entryModuleSystem === 'esm';
  checks.push({
    id: 'module-system',
    status: 'info',
    title: `Entry ${entryName} (from ${project.entrySource}) runs as ${esm ? 'ESM' : 'CommonJS'}`,
    data: { entry: project.entry, moduleSystem: project.entryModuleSystem, type: project.type },
  });

  let imports: ImportSite[] = [];
  try {
    imports = findImports(readFileSync(project.entry, 'utf8'));
  } catch {
    // Unreadable entry: no load-order verdict.
  }
  const preloaded = project.preloads.filter(isTelemetrySetup);
  const official = officialInstrumentations(project);
  const setup = imports.find((i) => isTelemetrySetup(i.specifier));
  const patched = imports.filter((i) => PATCHED_MODULES.has(packageOf(i.specifier)));
  const firstPatched = patched[0];

  if (official.length > 0 && preloaded.length === 0) {
    const preloadFlag = esm ? '--import' : '--require';
    const fixCommand = `node ${preloadFlag} ${setup?.specifier ?? './telemetry.js'} ${entryName}`;
    if (esm) {
      checks.push({
        id: 'load-order',
        status: 'problem',
        title: `ESM entry with official instrumentations (${official.join(', ')}) but no --import`,
        detail:
          'In ESM every static import is loaded before any code runs, and ESM modules can be patched only by a loader hook registered before the application is loaded: these instrumentations will see nothing.',
        fix: `Start with ${fixCommand} (or node --import @autotelemetry/node/register ${entryName}), or rely on the AutoTelemetry adapters, which need no patching.`,
        data: { official, preloads: project.preloads },
      });
    } else if (firstPatched && (!setup || firstPatched.line < setup.line)) {
      checks.push({
        id: 'load-order',
        status: 'problem',
        title: setup
          ? `${packageOf(firstPatched.specifier)} is loaded (${entryName}:${firstPatched.line}) before telemetry starts (${setup.specifier}, line ${setup.line})`
          : `${packageOf(firstPatched.specifier)} is loaded (${entryName}:${firstPatched.line}) and no telemetry setup is loaded before it`,
        detail: `Official instrumentations (${official.join(', ')}) patch a module when it is loaded: ${packageOf(firstPatched.specifier)} will not be instrumented.`,
        fix: `Load telemetry first: move the import to the top, or start with ${fixCommand}.`,
        data: { official, first: firstPatched, setup },
      });
    } else {
      checks.push({
        id: 'load-order',
        status: 'ok',
        title: `Official instrumentations (${official.join(', ')}) are set up before the modules they patch load`,
      });
    }
  } else if (preloaded.length > 0) {
    checks.push({
      id: 'load-order',
      status: 'ok',
      title: `Telemetry is preloaded (${preloaded.join(', ')}) before the application`,
    });
  } else {
    checks.push({
      id: 'load-order',
      status: 'ok',
      title: 'No monkey-patching instrumentation in use: AutoTelemetry adapters work in any load order',
    });
  }

  const otherSdk = [
    ...[...project.dependencies].filter((d) => OTHER_SDKS.has(d)),
    ...project.preloads.filter((p) => p.startsWith('@opentelemetry/auto-instrumentations-node')),
  ];
  if (otherSdk.length > 0 && ours.length > 0) {
    checks.push({
      id: 'second-sdk',
      status: 'warn',
      title: `The app also uses another OpenTelemetry SDK setup: ${[...new Set(otherSdk)].join(', ')}`,
      detail:
        'If it starts its own SDK, two pipelines run: spans exported twice, or libraries reporting to one and AutoTelemetry to the other (the service then logs "Another OpenTelemetry SDK is already registered").',
      fix: 'Keep one SDK: AutoTelemetry starts the OpenTelemetry SDK itself; remove the other start (NodeSDK, the register preload).',
    });
  }

  for (const [framework, adapter] of Object.entries(FRAMEWORK_ADAPTERS)) {
    const usesFramework = imports.some((i) => packageOf(i.specifier) === framework);
    if (!usesFramework) continue;
    const hasAdapter = project.dependencies.has(adapter) || imports.some((i) => packageOf(i.specifier) === adapter);
    const zeroCode = preloaded.some((p) => p.startsWith('@autotelemetry/node'));
    if (!hasAdapter && !zeroCode && official.length === 0) {
      checks.push({
        id: 'adapter',
        status: 'warn',
        title: `${entryName} uses ${framework} but ${adapter} is not installed`,
        detail: 'Without the adapter (or zero-code start), requests get no server span, no route and no HTTP metrics.',
        fix: `npm install ${adapter}, then add its one line (see its README).`,
      });
    }
  }
  return checks;
}
