/**
 * `autotelemetry dashboards`: the files it writes are Grafana dashboards with the variables and panels the
 * standard promises, laid out without overlap, and every query in them is PromQL that Prometheus' own
 * parser accepts (each is run through `promtool check rules` as a recording rule).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardQueries, variableQueries } from '../src/dashboards.js';
import type { GrafanaDashboard, GrafanaPanel } from '../src/grafana-model.js';
import { ensurePrometheus, runCli, tempDir } from './helpers/cli.js';
import { ALL, instantiate } from './helpers/grafana-vars.js';
import { metricNames } from './helpers/promql-names.js';

// Grafana's own variable syntax, compared as a plain string.
const DATASOURCE_VARIABLE = ['$', '{datasource}'].join('');
const tmp = tempDir('dashboards');
let dashboards: GrafanaDashboard[] = [];
let cliOutput = '';

beforeAll(async () => {
  const result = await runCli(['dashboards', '--out', join(tmp.dir, 'out')]);
  expect(result.code, result.stderr).toBe(0);
  cliOutput = result.stdout;
  dashboards = readdirSync(join(tmp.dir, 'out'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(tmp.dir, 'out', f), 'utf8')) as GrafanaDashboard);
});
afterAll(() => tmp.remove());

const panels = (d: GrafanaDashboard) => d.panels.filter((p): p is GrafanaPanel => p.type === 'timeseries');
const byUid = (uid: string) => dashboards.find((d) => d.uid === uid) as GrafanaDashboard;

/** The panel titled `title` and the series its queries read. */
function panel(d: GrafanaDashboard, title: string): { panel: GrafanaPanel; reads: Set<string> } {
  const found = panels(d).find((p) => p.title === title);
  expect(found, `panel "${title}" in ${d.uid}`).toBeDefined();
  const reads = new Set((found as GrafanaPanel).targets.flatMap((t) => [...metricNames(t.expr)]));
  return { panel: found as GrafanaPanel, reads };
}

describe('autotelemetry dashboards', () => {
  it('writes the two dashboards and says where', () => {
    expect(dashboards.map((d) => d.uid)).toEqual(['autotelemetry-data-operations', 'autotelemetry-services']);
    expect(cliOutput).toContain('autotelemetry-services.json (AutoTelemetry / Services)');
    for (const d of dashboards) {
      expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(d.id).toBeNull();
      expect(d.tags).toContain('autotelemetry');
    }
  });

  it('has the service, environment and route (or operation) variables, fed from the data source variable', () => {
    expect(byUid('autotelemetry-services').templating.list.map((v) => v.name)).toEqual([
      'datasource',
      'service',
      'environment',
      'route',
    ]);
    expect(byUid('autotelemetry-data-operations').templating.list.map((v) => v.name)).toEqual([
      'datasource',
      'service',
      'environment',
      'operation',
    ]);
    for (const d of dashboards) {
      for (const v of d.templating.list) {
        if (v.type === 'query') {
          expect(v.datasource.uid).toBe(DATASOURCE_VARIABLE);
          expect(v.includeAll && v.multi).toBe(true);
        }
      }
      for (const p of panels(d)) {
        expect(p.datasource.uid).toBe(DATASOURCE_VARIABLE);
        for (const t of p.targets) {
          // Every panel query is scoped by the service and environment variables.
          expect(t.expr).toContain('service_name=~"$service"');
          expect(t.expr).toContain('deployment_environment_name=~"$environment"');
        }
      }
    }
  });

  it('has the panels of the standard: HTTP, runtime, data operations, anomalies', () => {
    const services = byUid('autotelemetry-services');
    expect(panel(services, 'Request rate').reads).toEqual(
      new Set(['http_server_request_duration_count', 'target_info']),
    );
    expect(panel(services, 'Error ratio (5xx)').panel.targets[0]?.expr).toContain('http_response_status_code=~"5.."');
    const latency = panel(services, 'Latency p50 / p95 / p99').panel;
    expect(latency.targets.map((t) => /histogram_quantile\(([\d.]+),/.exec(t.expr)?.[1])).toEqual([
      '0.5',
      '0.95',
      '0.99',
    ]);
    expect(panel(services, 'Active requests').reads).toContain('http_server_active_requests');
    expect(panel(services, 'CPU').reads).toContain('process_cpu_time_total');
    expect(panel(services, 'Memory (RSS)').reads).toContain('process_memory_usage');
    expect(panel(services, 'Heap used').reads).toContain('v8js_memory_heap_used');
    expect(panel(services, 'Event-loop delay').reads).toEqual(
      new Set([
        'nodejs_eventloop_delay_p50',
        'nodejs_eventloop_delay_p99',
        'nodejs_eventloop_delay_max',
        'target_info',
      ]),
    );
    expect(panel(services, 'Garbage collection').reads).toContain('v8js_gc_duration_sum');
    expect(panel(services, 'Anomalies detected').reads).toContain('autotelemetry_anomalies_total');
    const data = byUid('autotelemetry-data-operations');
    expect(panel(data, 'Duration p50 / p95 / p99').reads).toContain('data_operation_duration_bucket');
    expect(panel(data, 'Rows per second').reads).toContain('data_operation_rows_total');
    expect(panel(data, 'Throughput per run').reads).toContain('data_operation_throughput_sum');
    expect(panel(data, 'Anomalies detected').panel.targets[0]?.expr).toContain('anomaly_key=~"$operation"');
  });

  it('lays panels out on the 24-column grid without overlap, with unique ids', () => {
    for (const d of dashboards) {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Set<string>();
      for (const p of d.panels) {
        const { x, y, w, h } = p.gridPos;
        expect(x + w).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            const cell = `${i},${j}`;
            expect(cells.has(cell), `${d.uid} panel ${p.id} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
        }
      }
    }
  });

  it('only holds queries that Prometheus parses', async (ctx) => {
    const reason = ensurePrometheus();
    if (reason) ctx.skip(reason);
    const queries = dashboards.flatMap((d) => [...dashboardQueries(d), ...variableQueries(d)]);
    expect(queries.length).toBeGreaterThan(20);
    const rules = {
      groups: [
        {
          name: 'dashboard-queries',
          rules: queries.map((q, i) => ({ record: `dashboard_query_${i}`, expr: instantiate(q.expr, ALL) })),
        },
      ],
    };
    const path = join(tmp.dir, 'dashboard-queries.yml');
    writeFileSync(path, JSON.stringify(rules, null, 2));
    const check = spawnSync('promtool', ['check', 'rules', path], { encoding: 'utf8' });
    expect(check.status, `${check.stdout}\n${check.stderr}`).toBe(0);
    expect(check.stdout).toContain(`SUCCESS: ${queries.length} rules found`);
  });

  it('exits 2 without --out', async () => {
    const result = await runCli(['dashboards']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('dashboards needs --out <dir>');
  });
});
