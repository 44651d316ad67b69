/**
 * Checks of a running service through its Prometheus endpoint: does it answer, who is it (from
 * `target_info`), and which of the standard series does it expose.
 *
 * @packageDocumentation
 */
import { labelNamesBySample, parseExposition } from '../exposition.js';
import { STANDARD_SERIES, type StandardSeries, sampleNames } from '../standard-metrics.js';
import { httpGet } from './network.js';
import type { DoctorCheck } from './types.js';

/** `http://host:port` → `http://host:port/metrics`; a URL with a path is kept as given. */
export function metricsUrl(url: string): string {
  const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/metrics';
  return u.href;
}

function present(names: ReadonlyMap<string, unknown>, entry: StandardSeries): boolean {
  return sampleNames(entry).some((n) => names.has(n));
}

/** Scrapes the endpoint and reports what a running service exposes. */
export async function checkRunningService(url: string, timeoutMs: number): Promise<DoctorCheck[]> {
  const target = metricsUrl(url);
  const probe = await httpGet(target, timeoutMs);
  if (!probe.ok) {
    return [
      {
        id: 'running-service',
        status: 'problem',
        title: `${target} does not answer (${probe.error})`,
        detail: 'The service is not running, listens elsewhere, or its Prometheus endpoint is off or failed to bind.',
        fix: 'Check AUTOTELEMETRY_PROMETHEUS_PORT and the service’s first log lines (a port in use is warned once).',
        data: { url: target, error: probe.error },
      },
    ];
  }
  if (probe.status !== 200) {
    return [
      {
        id: 'running-service',
        status: 'problem',
        title: `${target} answered HTTP ${probe.status}`,
        fix: 'Point --url at the Prometheus endpoint (AutoTelemetry serves it on /metrics).',
        data: { url: target, status: probe.status },
      },
    ];
  }
  const samples = parseExposition(probe.body);
  const names = labelNamesBySample(samples);
  const info = samples.find((s) => s.name === STANDARD_SERIES.targetInfo.name);
  if (!info) {
    return [
      {
        id: 'running-service',
        status: 'problem',
        title: `${target} answers, but without target_info: not an OpenTelemetry Prometheus endpoint`,
        data: { url: target, families: names.size },
      },
    ];
  }
  const service = info.labels.service_name ?? '(no service_name)';
  const checks: DoctorCheck[] = [
    {
      id: 'running-service',
      status: 'ok',
      title: `${target} is ${service} ${info.labels.service_version ?? ''} (${info.labels.deployment_environment_name ?? 'no environment'}), ${names.size} series names`,
      data: { url: target, resource: info.labels },
    },
  ];
  const groups = new Map<string, StandardSeries[]>();
  for (const entry of Object.values(STANDARD_SERIES)) {
    if (entry.group === 'identity') continue;
    const list = groups.get(entry.group) ?? [];
    list.push(entry);
    groups.set(entry.group, list);
  }
  const missing = (group: string) => (groups.get(group) ?? []).filter((e) => !present(names, e)).map((e) => e.name);
  const missingHttp = missing('http');
  if (missingHttp.length > 0) {
    checks.push({
      id: 'running-service',
      status: 'warn',
      title: `No HTTP metrics yet (${missingHttp.join(', ')})`,
      detail: 'Either no request was served since start, or no adapter (or zero-code start) handles the requests.',
      fix: 'Send a request and check again; otherwise install the framework adapter.',
    });
  }
  // GC metrics appear only after a first collection, which an idle service may not have had yet.
  const missingRuntime = missing('runtime').filter((name) => name !== STANDARD_SERIES.gcDuration.name);
  if (missingRuntime.length > 0) {
    checks.push({
      id: 'running-service',
      status: 'warn',
      title: `Runtime metrics missing: ${missingRuntime.join(', ')}`,
      detail:
        'Runtime metrics are off (runtimeMetrics / AUTOTELEMETRY_RUNTIME_METRICS, or the TEST environment), or were still starting.',
    });
  }
  return checks;
}
