/**
 * Conflicting installed copies: several `@opentelemetry/api` copies, or several `@autotelemetry/core`
 * versions, reachable from the service.
 *
 * @packageDocumentation
 */
import { findInstalledCopies, type InstalledCopy } from './installed-packages.js';
import type { ProjectInfo } from './project.js';
import type { DoctorCheck } from './types.js';

function describe(copies: readonly InstalledCopy[]): string {
  return copies.map((c) => `${c.version} at ${c.path} (via ${c.via})`).join('; ');
}

/** Duplicate copies of the OpenTelemetry API and of the core package. */
export function checkPackages(project: ProjectInfo): DoctorCheck[] {
  const copies = findInstalledCopies(project.dir, ['@opentelemetry/api', '@autotelemetry/core']);
  const api = copies.filter((c) => c.name === '@opentelemetry/api');
  const core = copies.filter((c) => c.name === '@autotelemetry/core');
  const checks: DoctorCheck[] = [];
  const apiVersions = [...new Set(api.map((c) => c.version))];
  if (api.length === 0) {
    checks.push({
      id: 'otel-api-copies',
      status: 'problem',
      title: '@opentelemetry/api is not installed where the service can load it',
      detail: 'It is a peer dependency of the AutoTelemetry packages: the application must install it.',
      fix: 'npm install @opentelemetry/api',
    });
  } else if (apiVersions.length > 1) {
    checks.push({
      id: 'otel-api-copies',
      status: 'problem',
      title: `${api.length} copies of @opentelemetry/api in conflict: ${apiVersions.join(', ')}`,
      detail: `The SDK registers itself through one copy; code using another copy of a different version may get no-op tracers and meters (no spans, no metrics). Copies: ${describe(api)}.`,
      fix: 'Dedupe to one version: align the dependency ranges, then `npm dedupe` (or an `overrides`/`pnpm.overrides` entry for @opentelemetry/api).',
      data: { copies: api },
    });
  } else if (api.length > 1) {
    checks.push({
      id: 'otel-api-copies',
      status: 'warn',
      title: `${api.length} copies of @opentelemetry/api, all ${apiVersions[0]}`,
      detail: `Same version, so they share one global registration; a dedupe saves space. Copies: ${describe(api)}.`,
      data: { copies: api },
    });
  } else {
    checks.push({
      id: 'otel-api-copies',
      status: 'ok',
      title: `One copy of @opentelemetry/api (${apiVersions[0]})`,
      data: { copies: api },
    });
  }
  const coreVersions = [...new Set(core.map((c) => c.version))];
  if (coreVersions.length > 1) {
    checks.push({
      id: 'autotelemetry-copies',
      status: 'problem',
      title: `@autotelemetry/core in several versions: ${coreVersions.join(', ')}`,
      detail: `Adapters built against different cores may disagree on the pipeline they share. Copies: ${describe(core)}.`,
      fix: 'Upgrade every @autotelemetry package to the same version.',
      data: { copies: core },
    });
  }
  return checks;
}
