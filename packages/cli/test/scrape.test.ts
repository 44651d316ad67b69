/**
 * The names behind the dashboards and rules, checked against a real scrape: a child process runs the
 * built pipeline and serves requests (fast, failing, slow), a measured data operation, calls to real Redis
 * and PostgreSQL servers, messages sent to and consumed from a real RabbitMQ, and enough traffic
 * for the anomaly detector to flag one; its `/metrics` is scraped and every standard series must be there
 * with its labels, and every series and label the generated PromQL reads must exist in that scrape.
 */
import { fileURLToPath } from 'node:url';
import { freePort, killAllChildren, spawnNode } from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRules, recordNames } from '../src/alerts.js';
import { dashboardQueries, generateDashboards, variableQueries } from '../src/dashboards.js';
import { labelNamesBySample, parseExposition, type Sample } from '../src/exposition.js';
import { STANDARD_SERIES, sampleNames, TARGET_LABELS } from '../src/standard-metrics.js';
import { startDatabases } from './e2e/harness.js';
import { labelNames, metricNames } from './helpers/promql-names.js';

const SERVICE = fileURLToPath(new URL('./fixtures/standard-service.mjs', import.meta.url));

let samples: Sample[] = [];
let scraped = new Map<string, Set<string>>();

async function get(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

let databases: Awaited<ReturnType<typeof startDatabases>> | undefined;

beforeAll(async () => {
  const metricsPort = await freePort();
  databases = await startDatabases();
  const child = spawnNode(SERVICE, {
    env: {
      ...databases.env,
      AUTOTELEMETRY_ENVIRONMENT: 'development',
      OTEL_TRACES_EXPORTER: 'none',
      AUTOTELEMETRY_ACCESS_LOG: 'false',
      AUTOTELEMETRY_PROMETHEUS_PORT: String(metricsPort),
      AUTOTELEMETRY_PROMETHEUS_HOST: '127.0.0.1',
    },
    killAfterMs: 30_000,
  });
  const line = await child.waitForLine((l) => l.includes('"listening"'), { timeoutMs: 15_000 });
  const base = `http://127.0.0.1:${(JSON.parse(line) as { listening: number }).listening}`;
  for (let i = 0; i < 20; i++) expect(await get(`${base}/orders/${i}`)).toBe(200);
  for (let i = 0; i < 3; i++) expect(await get(`${base}/fail`)).toBe(500);
  // The detector learns a key for 30 requests before judging; then a much slower one is an outlier.
  for (let i = 0; i < 35; i++) await get(`${base}/slow?ms=0`);
  for (let i = 0; i < 2; i++) await get(`${base}/slow?ms=150`);
  expect(await get(`${base}/import?rows=250`)).toBe(200);
  for (let i = 0; i < 3; i++) expect(await get(`${base}/cart/${i}`)).toBe(200);
  expect(await get(`${base}/cart-fail`)).toBe(500);
  for (let i = 0; i < 3; i++) expect(await get(`${base}/stock/${i}`)).toBe(200);
  for (let i = 0; i < 3; i++) expect(await get(`${base}/publish/${i}`)).toBe(202);
  expect(await get(`${base}/publish-reject`)).toBe(202);
  expect(await get(`${base}/publish-fail`)).toBe(500);

  // Runtime metrics start in the background and GC must have happened once: poll until complete.
  const deadline = Date.now() + 15_000;
  const wanted = Object.values(STANDARD_SERIES).flatMap(sampleNames);
  for (;;) {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    samples = parseExposition(text);
    scraped = labelNamesBySample(samples);
    if (wanted.every((n) => scraped.has(n)) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
}, 40_000);

afterAll(async () => {
  await killAllChildren();
  await databases?.stop();
});

describe('the standard series, as a real /metrics exposes them', () => {
  it.each(Object.values(STANDARD_SERIES).map((s) => [s.name, s] as const))('%s is exposed with its labels', (_, s) => {
    for (const name of sampleNames(s)) {
      expect(scraped.has(name), `${name} missing; the scrape has: ${[...scraped.keys()].sort().join(', ')}`).toBe(true);
      const labels = scraped.get(name) as Set<string>;
      for (const label of [...s.labels, ...(s.optionalLabels ?? [])]) {
        expect(labels.has(label), `${name} lacks label ${label}; it has ${[...labels].join(', ')}`).toBe(true);
      }
    }
  });

  it('target_info names the service, its environment and version', () => {
    const info = samples.find((s) => s.name === 'target_info');
    expect(info?.labels).toMatchObject({
      service_name: 'fixture.standard',
      deployment_environment_name: 'development',
      service_version: expect.any(String),
    });
  });

  it('the anomaly counter names the slow route', () => {
    const anomaly = samples.find((s) => s.name === 'autotelemetry_anomalies_total');
    expect(anomaly?.labels).toMatchObject({ anomaly_kind: 'latency', anomaly_key: 'GET /slow' });
  });
});

describe('every series and label the generated PromQL reads exists in the scrape', () => {
  const rules = generateRules();
  const records = new Set<string>(Object.values(recordNames('5m')));
  const queries = [
    ...generateDashboards().flatMap(({ dashboard }) => [...dashboardQueries(dashboard), ...variableQueries(dashboard)]),
    ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: 'record' in r ? r.record : r.alert, expr: r.expr }))),
  ];

  it.each(queries.map((q) => [q.where, q.expr] as const))('%s', (_, expr) => {
    const allLabels = new Set([...TARGET_LABELS, ...[...scraped.values()].flatMap((set) => [...set])]);
    for (const name of metricNames(expr)) {
      // `up` is written by Prometheus itself; record names come from the same rule file.
      if (name === 'up' || records.has(name)) continue;
      expect(scraped.has(name), `${name} (read by ${expr}) is not in the scrape`).toBe(true);
    }
    for (const label of labelNames(expr)) {
      expect(allLabels.has(label), `label ${label} (used by ${expr}) is on no scraped series`).toBe(true);
    }
  });
});
