/**
 * The generated rule file, judged by Prometheus' own tool: `promtool check rules` accepts it, and
 * `promtool test rules` shows that each alert fires on a synthetic series that breaks its threshold and
 * stays quiet on a healthy one — with the default thresholds and with thresholds set by flags and config.
 *
 * Synthetic series use the labels a real scrape has (job/instance from Prometheus, identity on
 * target_info); the expected annotations are the rule file's own templates rendered for the expected
 * value, so the test checks the values the alerts report, not a copy of their prose.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePrometheus, runCli, tempDir } from './helpers/cli.js';

const tmp = tempDir('alerts');
let skipReason: string | undefined;

beforeAll(() => {
  skipReason = ensurePrometheus();
  if (skipReason) console.warn(`SKIPPED promtool tests: ${skipReason}`);
}, 300_000);
afterAll(() => tmp.remove());

const TARGET = { job: 'shop', instance: '10.0.0.1:8000' };
const IDENTITY = { service_name: 'shop.api', deployment_environment_name: 'production' };
const ROUTE = { http_route: '/orders/:id', http_request_method: 'GET' };

type Labels = Record<string, string>;
type Series = { series: string; values: string };

function series(name: string, labels: Labels, values: string): Series {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return { series: `${name}{${body}}`, values };
}

const targetInfo = (values = '1x40') =>
  series('target_info', { ...TARGET, ...IDENTITY, service_version: '1.2.3' }, values);

/** Requests per minute by status, as counters of http_server_request_duration_count. */
function requests(perMinuteByStatus: Record<string, number>): Series[] {
  return Object.entries(perMinuteByStatus).map(([status, perMinute]) =>
    series(
      'http_server_request_duration_count',
      { ...TARGET, ...ROUTE, http_response_status_code: status },
      `0+${perMinute}x40`,
    ),
  );
}

/** Latency buckets: how many requests per minute fall at or under each bound. */
function buckets(perMinuteAtOrBelow: Record<string, number>): Series[] {
  return Object.entries(perMinuteAtOrBelow).map(([le, perMinute]) =>
    series(
      'http_server_request_duration_bucket',
      { ...TARGET, ...ROUTE, http_response_status_code: '200', le },
      `0+${perMinute}x40`,
    ),
  );
}

const DB_OPERATION = {
  db_system_name: 'postgresql',
  db_operation_name: 'SELECT',
  db_collection_name: 'orders',
  db_namespace: 'shop',
};

/** Database calls per minute, failed ones with an error_type (one series each, as a scrape has them). */
function dbCalls(okPerMinute: number, failedPerMinute: number): Series[] {
  return [
    series('db_client_operation_duration_count', { ...TARGET, ...DB_OPERATION }, `0+${okPerMinute}x40`),
    series(
      'db_client_operation_duration_count',
      { ...TARGET, ...DB_OPERATION, error_type: '23505' },
      `0+${failedPerMinute}x40`,
    ),
  ];
}

const DESTINATION = {
  messaging_system: 'rabbitmq',
  messaging_operation_name: 'process',
  messaging_destination_name: 'orders',
};

/** Messages processed per minute from one queue, the rejected ones with error_type. */
function processed(okPerMinute: number, rejectedPerMinute: number): Series[] {
  return [
    series('messaging_process_duration_count', { ...TARGET, ...DESTINATION }, `0+${okPerMinute}x40`),
    series(
      'messaging_process_duration_count',
      { ...TARGET, ...DESTINATION, error_type: 'reject' },
      `0+${rejectedPerMinute}x40`,
    ),
  ];
}

interface Case {
  readonly name: string;
  readonly alert: string;
  readonly series: Series[];
  readonly evalTime: string;
  /** Labels of the expected alert (besides alertname and severity), or undefined when it must stay quiet. */
  readonly fires?: { labels: Labels; value: string };
}

// Go template functions used by the rules, applied to the expected value.
function renderTemplate(template: string, labels: Labels, value: string): string {
  return template
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '')
    .replace(/\{\{ \$value \| (humanizePercentage|humanizeDuration|printf "%\.0f") \}\}/g, () => value);
}

interface RuleShape {
  alert?: string;
  labels?: Labels;
  annotations?: Labels;
}

/** The alerting rules of a generated file: name, labels, annotation templates. */
function alertingRules(path: string): Map<string, RuleShape> {
  // The rule file is YAML with JSON-quoted scalars; the alert fields this test needs are single-line.
  const rules = new Map<string, RuleShape>();
  let current: RuleShape | undefined;
  let section: 'labels' | 'annotations' | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const alert = /^ {2}- alert: (".*")$/.exec(line);
    if (alert) {
      current = { alert: JSON.parse(alert[1] as string) as string, labels: {}, annotations: {} };
      rules.set(current.alert as string, current);
      section = undefined;
      continue;
    }
    if (/^ {2}- /.test(line)) current = undefined;
    if (!current) continue;
    const header = /^ {4}(labels|annotations):$/.exec(line);
    if (header) {
      section = header[1] as 'labels' | 'annotations';
      continue;
    }
    const entry = /^ {6}(\w+): (".*")$/.exec(line);
    if (entry && section) (current[section] as Labels)[entry[1] as string] = JSON.parse(entry[2] as string) as string;
    else if (/^ {4}\w/.test(line)) section = undefined;
  }
  return rules;
}

function promtoolTest(rulesPath: string, cases: readonly Case[]): { status: number | null; output: string } {
  const rules = alertingRules(rulesPath);
  const tests = cases.map((c) => {
    const rule = rules.get(c.alert);
    if (!rule) throw new Error(`alert ${c.alert} not found in ${rulesPath}`);
    const expected = c.fires
      ? [
          {
            exp_labels: { ...rule.labels, ...c.fires.labels },
            exp_annotations: Object.fromEntries(
              Object.entries(rule.annotations ?? {}).map(([k, t]) => [
                k,
                renderTemplate(t, { ...rule.labels, ...c.fires?.labels } as Labels, c.fires?.value ?? ''),
              ]),
            ),
          },
        ]
      : [];
    return {
      name: c.name,
      interval: '1m',
      input_series: c.series,
      alert_rule_test: [{ eval_time: c.evalTime, alertname: c.alert, exp_alerts: expected }],
    };
  });
  const testFile = join(tmp.dir, `tests-${Math.random().toString(36).slice(2)}.yml`);
  // JSON is YAML: promtool reads this file as is.
  writeFileSync(testFile, JSON.stringify({ rule_files: [rulesPath], evaluation_interval: '1m', tests }, null, 2));
  const result = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

const SERVICE_ALERT_LABELS = { ...IDENTITY };

/** Cases where each alert breaks the default thresholds, and their healthy counterparts. */
function defaultCases(): Case[] {
  return [
    {
      name: 'error ratio 50% at 2 req/s fires',
      alert: 'AutoTelemetryHighErrorRatio',
      series: [targetInfo(), ...requests({ '200': 60, '500': 60 })],
      evalTime: '15m',
      fires: { labels: SERVICE_ALERT_LABELS, value: '50%' },
    },
    {
      name: 'no 5xx stays quiet',
      alert: 'AutoTelemetryHighErrorRatio',
      series: [targetInfo(), ...requests({ '200': 120, '404': 30 })],
      evalTime: '15m',
    },
    {
      name: '50% errors under the minimum request rate stays quiet',
      alert: 'AutoTelemetryHighErrorRatio',
      series: [targetInfo(), ...requests({ '200': 1, '500': 1 })],
      evalTime: '15m',
    },
    {
      name: 'p99 of 2.485 s (all requests between 1 s and 2.5 s) fires',
      alert: 'AutoTelemetryHighLatencyP99',
      series: [targetInfo(), ...requests({ '200': 60 }), ...buckets({ '0.5': 0, '1': 0, '2.5': 60, '+Inf': 60 })],
      evalTime: '20m',
      // histogram_quantile interpolates linearly inside the (1, 2.5] bucket: 1 + 1.5 × 0.99.
      fires: { labels: { ...SERVICE_ALERT_LABELS, http_route: ROUTE.http_route }, value: '2.485s' },
    },
    {
      name: 'fast requests stay quiet',
      alert: 'AutoTelemetryHighLatencyP99',
      series: [targetInfo(), ...requests({ '200': 60 }), ...buckets({ '0.5': 60, '1': 60, '2.5': 60, '+Inf': 60 })],
      evalTime: '20m',
    },
    {
      name: '10 anomalies in 5 minutes fire',
      alert: 'AutoTelemetryAnomalyBurst',
      series: [
        targetInfo(),
        series(
          'autotelemetry_anomalies_total',
          { ...TARGET, anomaly_kind: 'latency', anomaly_key: 'GET /orders/:id' },
          '0+2x40',
        ),
      ],
      evalTime: '10m',
      fires: { labels: SERVICE_ALERT_LABELS, value: '10' },
    },
    {
      name: 'one anomaly in 5 minutes stays quiet',
      alert: 'AutoTelemetryAnomalyBurst',
      series: [
        targetInfo(),
        series(
          'autotelemetry_anomalies_total',
          { ...TARGET, anomaly_kind: 'latency', anomaly_key: 'GET /orders/:id' },
          '0+0.2x40',
        ),
      ],
      evalTime: '10m',
    },
    {
      name: 'event-loop delay p99 of 300 ms fires',
      alert: 'AutoTelemetryEventLoopDelay',
      series: [targetInfo(), series('nodejs_eventloop_delay_p99', TARGET, '0.3x40')],
      evalTime: '15m',
      fires: { labels: { ...SERVICE_ALERT_LABELS, ...TARGET }, value: '300ms' },
    },
    {
      name: 'event-loop delay of 10 ms stays quiet',
      alert: 'AutoTelemetryEventLoopDelay',
      series: [targetInfo(), series('nodejs_eventloop_delay_p99', TARGET, '0.01x40')],
      evalTime: '15m',
    },
    {
      name: '25% of SELECT orders calls failing at 2 calls/s fires',
      alert: 'AutoTelemetryDatabaseErrorRatio',
      series: [targetInfo(), ...dbCalls(90, 30)],
      evalTime: '15m',
      fires: {
        labels: {
          ...SERVICE_ALERT_LABELS,
          db_system_name: 'postgresql',
          db_operation_name: 'SELECT',
          db_collection_name: 'orders',
        },
        value: '25%',
      },
    },
    {
      name: '1% of database calls failing stays quiet',
      alert: 'AutoTelemetryDatabaseErrorRatio',
      series: [targetInfo(), ...dbCalls(594, 6)],
      evalTime: '15m',
    },
    {
      name: 'half the messages of orders rejected at 2 msg/s fires',
      alert: 'AutoTelemetryMessageProcessingErrorRatio',
      series: [targetInfo(), ...processed(60, 60)],
      evalTime: '15m',
      fires: {
        labels: { ...SERVICE_ALERT_LABELS, messaging_system: 'rabbitmq', messaging_destination_name: 'orders' },
        value: '50%',
      },
    },
    {
      name: 'no rejected message stays quiet',
      alert: 'AutoTelemetryMessageProcessingErrorRatio',
      series: [targetInfo(), ...processed(120, 0)],
      evalTime: '15m',
    },
    {
      name: 'a target that stops answering fires, with the identity it had',
      alert: 'AutoTelemetryInstanceDown',
      // Once scrapes fail, target_info disappears with everything else (`_` = no sample).
      series: [series('up', TARGET, '1x3 0x37'), targetInfo('1x3 _x37')],
      evalTime: '10m',
      fires: { labels: { ...SERVICE_ALERT_LABELS, ...TARGET }, value: '0' },
    },
    {
      name: 'a target that answers stays quiet',
      alert: 'AutoTelemetryInstanceDown',
      series: [series('up', TARGET, '1x40'), targetInfo()],
      evalTime: '10m',
    },
  ];
}

describe('autotelemetry alerts', () => {
  it('writes a rule file that promtool check rules accepts', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const path = join(tmp.dir, 'rules.yml');
    const result = await runCli(['alerts', '--out', path]);
    expect(result.code, result.stderr).toBe(0);
    const check = spawnSync('promtool', ['check', 'rules', path], { encoding: 'utf8' });
    expect(check.status, `${check.stdout}\n${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS: 18 rules found/);
  });

  it('fires each alert on a series that breaks its threshold, and stays quiet on a healthy one', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const path = join(tmp.dir, 'default-rules.yml');
    expect((await runCli(['alerts', '--out', path])).code).toBe(0);
    const cases = defaultCases();
    // Every alert of the file has a firing and a quiet case.
    const alerts = [...alertingRules(path).keys()];
    for (const alert of alerts) {
      expect(
        cases.some((c) => c.alert === alert && c.fires),
        `${alert} firing case`,
      ).toBe(true);
      expect(
        cases.some((c) => c.alert === alert && !c.fires),
        `${alert} quiet case`,
      ).toBe(true);
    }
    const result = promtoolTest(path, cases);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS/);
  });

  it('takes its thresholds from flags and a config file: the same breaking series stay quiet above them', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const config = join(tmp.dir, 'alerts.json');
    writeFileSync(
      config,
      JSON.stringify({ anomalyBurst: { threshold: 20 }, eventLoopDelay: { threshold: '500ms', severity: 'critical' } }),
    );
    const path = join(tmp.dir, 'raised-rules.yml');
    const written = await runCli([
      'alerts',
      '--out',
      path,
      '--config',
      config,
      '--error-ratio',
      '60%',
      '--latency-p99',
      '3s',
      '--down-for',
      '15m',
      '--db-error-ratio',
      '30%',
      '--messaging-error-ratio',
      '0.6',
    ]);
    expect(written.code, written.stderr).toBe(0);
    const raised = defaultCases()
      .filter((c) => c.fires)
      .map(({ fires: _quietNow, ...rest }) => ({ ...rest, name: `${rest.name} — quiet with raised thresholds` }));
    const result = promtoolTest(path, raised);
    expect(result.status, result.output).toBe(0);
    // And the config file's severity made it into the rule.
    expect(alertingRules(path).get('AutoTelemetryEventLoopDelay')?.labels).toEqual({ severity: 'critical' });
  });

  it('rejects a bad threshold with the flag or file named, and writes nothing', async () => {
    const path = join(tmp.dir, 'never.yml');
    const bad = await runCli(['alerts', '--out', path, '--error-ratio', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid alert setting "errorRatio.threshold" (from --error-ratio): "lots"');
    const config = join(tmp.dir, 'typo.json');
    writeFileSync(config, JSON.stringify({ errorRatoi: { threshold: 0.1 } }));
    const typo = await runCli(['alerts', '--out', path, '--config', config]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(`Invalid alert setting "errorRatoi" (from ${config})`);
    expect(() => readFileSync(path)).toThrow();
  });
});
