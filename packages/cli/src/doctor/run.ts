/**
 * `autotelemetry doctor`: runs every check on a service's folder and/or a running service's endpoint and
 * gathers one report.
 *
 * @packageDocumentation
 */
import { resolve } from 'node:path';
import { checkCode } from './check-code.js';
import { checkConfig } from './check-config.js';
import { checkLibraries } from './check-libraries.js';
import { checkExporterEndpoints, checkPrometheusPort } from './check-network.js';
import { checkNode } from './check-node.js';
import { checkPackages } from './check-packages.js';
import { checkRunningService, metricsUrl } from './check-running.js';
import { readProject } from './project.js';
import type { CheckStatus, DoctorCheck, DoctorOptions, DoctorReport, ResolvedValue } from './types.js';

/** Runs the checks. Never throws for what it finds; a finding is a check with status `problem`. */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const dir = resolve(options.dir ?? process.cwd());
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 1000;
  const checks: DoctorCheck[] = [];
  let config: readonly ResolvedValue[] | undefined;

  let project: ReturnType<typeof readProject>;
  try {
    project = readProject(dir, env);
  } catch (error) {
    checks.push({
      id: 'project',
      status: 'problem',
      title: `The package.json of ${dir} cannot be read`,
      detail: error instanceof Error ? error.message : String(error),
    });
  }

  if (project) {
    checks.push({
      id: 'project',
      status: 'ok',
      title: `Project ${project.name ?? '(unnamed)'} at ${project.dir}`,
      data: { dir: project.dir, name: project.name, version: project.version },
    });
    checks.push(...checkCode(project));
    checks.push(...checkPackages(project));
    checks.push(...checkLibraries(project));
  } else if (!options.url && checks.length === 0) {
    checks.push({
      id: 'project',
      status: 'problem',
      title: `No package.json at or above ${dir}`,
      fix: 'Run the doctor in the service’s folder (or pass --dir), or point it at a running service with --url.',
    });
  }

  checks.push(...checkNode(project, env));

  if (project || !options.url) {
    const found = checkConfig(project, env);
    checks.push(...found.checks);
    config = found.values;
    if (found.config) {
      checks.push(...(await checkExporterEndpoints(found.config, timeoutMs, found.unreadOptions)));
      // With --url the service is expected to hold its own port; the running-service check covers it.
      if (!options.url) checks.push(await checkPrometheusPort(found.config, timeoutMs, found.unreadOptions));
    }
  }

  if (options.url) checks.push(...(await checkRunningService(options.url, timeoutMs)));

  const counts: Record<CheckStatus, number> = { ok: 0, info: 0, warn: 0, problem: 0 };
  for (const c of checks) counts[c.status]++;
  return {
    ok: counts.problem === 0,
    ...(project ? { dir: project.dir } : {}),
    ...(options.url ? { url: metricsUrl(options.url) } : {}),
    ...(config ? { config } : {}),
    checks,
    counts,
  };
}
