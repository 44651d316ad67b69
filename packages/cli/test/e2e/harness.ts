/**
 * The real end-to-end run behind `e2e-prometheus.test.ts` and `scripts/e2e-prometheus.ts`: start the demo
 * services and a real Prometheus (Debian's package) that scrapes them every second and loads the
 * generated rule file, drive traffic, then ask Prometheus' HTTP API whether every query of the generated
 * dashboards and every recording rule returns data for each service, and whether every rule evaluates
 * without error. Everything listens on 127.0.0.1, every process is killed at the end.
 *
 * Imports use `.ts` and the built `@autotelemetry/cli`, so Node runs this file directly (type stripping)
 * as well as vitest.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  dashboardQueries,
  generateDashboards,
  generateRules,
  recordNames,
  renderRules,
  type SignalGroup,
  STANDARD_SERIES,
  variableQueries,
} from '@autotelemetry/cli';
import {
  ensureServer,
  freePort,
  killAllChildren,
  type NodeProcess,
  type RealServer,
  spawnNode,
  startPostgres,
  startRabbitmq,
  startRedis,
} from '@autotelemetry/test-utils';
import { instantiate, regexLiteral } from '../helpers/grafana-vars.ts';
import { metricNames } from '../helpers/promql-names.ts';

/** The real servers a service's database and messaging series come from. */
export interface Databases {
  readonly redis: RealServer;
  readonly pg: RealServer;
  readonly rabbit: RealServer;
  /** Their URLs as the standard service reads them. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** Real Redis, PostgreSQL and RabbitMQ servers (scripts/ensure-*.sh install them), on free loopback ports. */
export async function startDatabases(): Promise<Databases> {
  const unavailable = ensureServer('redis') ?? ensureServer('postgresql') ?? ensureServer('rabbitmq');
  if (unavailable !== undefined)
    throw new Error(`Redis, PostgreSQL and RabbitMQ are needed and cannot be had here: ${unavailable}`);
  const [redis, pg, rabbit] = await Promise.all([startRedis(), startPostgres(), startRabbitmq()]);
  return {
    redis,
    pg,
    rabbit,
    env: { REDIS_URL: redis.url, PG_URL: pg.url, AMQP_URL: rabbit.url },
    async stop() {
      await Promise.all([redis.stop(), pg.stop(), rabbit.stop()]);
    },
  };
}

/** A service the run starts and Prometheus scrapes. */
export interface E2ETarget {
  /** Short name for reports. */
  readonly name: string;
  /** The Node script to run (built code). */
  readonly script: string;
  /** Extra environment. The app port is given as PORT, the metrics port as AUTOTELEMETRY_PROMETHEUS_PORT. */
  readonly env?: Readonly<Record<string, string>>;
  /** A line that says the service is ready… */
  readonly ready: RegExp;
  /** …on this stream. Default stdout. */
  readonly readyStream?: 'stdout' | 'stderr';
  /** Drives traffic, given the app's base URL (`http://127.0.0.1:PORT`). */
  traffic(base: string): Promise<void>;
  /** The signal groups this service must show data for. */
  readonly expects: readonly SignalGroup[];
  /** Real Redis, PostgreSQL and RabbitMQ servers the service talks to, started before it (REDIS_URL, PG_URL, AMQP_URL). */
  readonly databases?: true;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const repo = (path: string) => here(`../../../../${path}`);

async function get(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Fast requests, some failures, then slow ones once the anomaly detector has learnt the route. */
async function httpTraffic(base: string, paths: { fast: string; fail?: string; slow?: (ms: number) => string }) {
  for (let i = 0; i < 20; i++) await get(`${base}${paths.fast.replace(':n', String(i))}`);
  if (paths.fail) for (let i = 0; i < 3; i++) await get(`${base}${paths.fail}`);
  if (paths.slow) {
    const slow = paths.slow;
    for (let i = 0; i < 35; i++) await get(`${base}${slow(0)}`);
    for (let i = 0; i < 2; i++) await get(`${base}${slow(150)}`);
  }
}

/**
 * The services of the run. Adding a demo is one entry here: its script, readiness line, traffic and the
 * signals it must show.
 */
export const TARGETS: readonly E2ETarget[] = [
  {
    name: 'standard-service',
    script: here('../fixtures/standard-service.mjs'),
    env: { FIXTURE_SERVICE_NAME: 'e2e.reference' },
    ready: /"listening"/,
    databases: true,
    async traffic(base) {
      await httpTraffic(base, { fast: '/orders/:n', fail: '/fail', slow: (ms) => `/slow?ms=${ms}` });
      await get(`${base}/import?rows=300`);
      for (let i = 0; i < 10; i++) await get(`${base}/cart/${i}`);
      for (let i = 0; i < 2; i++) await get(`${base}/cart-fail`);
      for (let i = 0; i < 10; i++) await get(`${base}/stock/${i}`);
      for (let i = 0; i < 10; i++) await get(`${base}/publish/${i}`);
      for (let i = 0; i < 2; i++) await get(`${base}/publish-reject`);
      for (let i = 0; i < 2; i++) await get(`${base}/publish-fail`);
    },
    expects: ['identity', 'http', 'runtime', 'data', 'database', 'messaging', 'anomaly'],
  },
  {
    name: 'express-demo',
    script: repo('apps/express-demo/src/main.ts'),
    ready: /listening on/,
    readyStream: 'stderr',
    async traffic(base) {
      await httpTraffic(base, { fast: '/api/catalog/products/kb-01', fail: '/api/orders/1000/invoice' });
      await post(`${base}/api/orders`, { sku: 'ms-02', quantity: 3 });
    },
    expects: ['identity', 'http', 'runtime'],
  },
  {
    // The script demo's own pipeline and autoInstrument() line, kept serving (its main.ts exits after one run).
    name: 'script-demo',
    script: here('../fixtures/script-demo-serving.ts'),
    ready: /script-demo serving/,
    readyStream: 'stderr',
    async traffic() {
      // It works by itself, every 200 ms.
    },
    expects: ['identity', 'runtime', 'data'],
  },
  {
    // Built by the repository's build (Nest needs decorator metadata, which Node's type stripping lacks).
    name: 'nest-demo',
    script: repo('apps/nest-demo/dist/main.js'),
    ready: /listening on http/,
    async traffic(base) {
      await httpTraffic(base, { fast: '/api/v1/orders/1000', fail: '/api/v1/orders/1000/invoice' });
      const key = { 'x-api-key': 'demo-key' };
      await post(`${base}/api/v1/orders`, { sku: 'CAT-FOOD', quantity: 2 }, key);
      // reprice runs measure(): the data-operation series.
      for (let i = 0; i < 3; i++) await post(`${base}/api/v1/orders/reprice`, {}, key);
    },
    expects: ['identity', 'http', 'runtime', 'data'],
  },
  {
    name: 'fastify-demo',
    script: repo('apps/fastify-demo/src/main.ts'),
    ready: /Server listening at/,
    async traffic(base) {
      await httpTraffic(base, { fast: '/api/catalog/products/kb-01', fail: '/api/orders/1000/invoice' });
      await post(`${base}/api/orders`, { sku: 'ms-02', quantity: 3 });
    },
    expects: ['identity', 'http', 'runtime'],
  },
];

/** One query's outcome for one service. */
export interface QueryOutcome {
  readonly where: string;
  readonly group: SignalGroup;
  readonly expr: string;
  readonly service: string;
  /** Series returned. */
  readonly series: number;
  /** Series whose value is a number (not NaN): what a panel can draw. */
  readonly finite: number;
  readonly error?: string;
}

/** The outcome of a run. */
export interface E2EReport {
  /** service_name of each target, as Prometheus saw it on target_info. */
  readonly services: Readonly<Record<string, string>>;
  readonly outcomes: readonly QueryOutcome[];
  /** Rules whose evaluation failed in Prometheus. */
  readonly ruleErrors: readonly string[];
  /** Targets Prometheus did not see up. */
  readonly downTargets: readonly string[];
  readonly prometheusUrl: string;
  readonly seconds: number;
}

/** The group a query belongs to, from the series it reads (the most specific wins). */
export function groupOf(expr: string): SignalGroup {
  const names = [...metricNames(expr)];
  const groups = new Set<SignalGroup>();
  for (const series of Object.values(STANDARD_SERIES)) {
    const family = series.name;
    if (names.some((n) => n === family || n.startsWith(`${family}_`))) groups.add(series.group);
  }
  for (const g of ['anomaly', 'data', 'database', 'messaging', 'http', 'runtime'] as const) if (groups.has(g)) return g;
  return 'identity';
}

interface PromResult {
  status: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  error?: string;
}

function finiteCount(r: PromResult): number {
  return (r.data?.result ?? []).filter((x) => Number.isFinite(Number(x.value[1]))).length;
}

async function query(base: string, expr: string): Promise<PromResult> {
  const url = `${base}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as PromResult;
}

async function waitFor(what: string, deadline: number, test: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await test().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Options of {@link runE2E}. */
export interface E2EOptions {
  readonly targets?: readonly E2ETarget[];
  /** Total time budget in ms. Default 55 000. */
  readonly budgetMs?: number;
  /** Leave Prometheus and the services running until this promise settles (the by-hand script's --keep). */
  readonly keepUntil?: Promise<unknown>;
  readonly log?: (line: string) => void;
}

/** Runs the whole scenario; always stops what it started. */
export async function runE2E(options: E2EOptions = {}): Promise<E2EReport> {
  const started = Date.now();
  const deadline = started + (options.budgetMs ?? 55_000);
  const log = options.log ?? (() => {});
  const targets = options.targets ?? TARGETS;
  const work = mkdtempSync(join(tmpdir(), 'autotelemetry-e2e-'));
  let prometheus: ChildProcess | undefined;
  const prometheusLog: string[] = [];
  const children: NodeProcess[] = [];
  let databases: Databases | undefined;
  try {
    if (targets.some((target) => target.databases)) databases = await startDatabases();
    // 1. The services, each with its own app and metrics port.
    const ports: { target: E2ETarget; app: number; metrics: number; child: NodeProcess }[] = [];
    for (const target of targets) {
      if (!existsSync(target.script)) {
        throw new Error(`${target.name}: ${target.script} does not exist (build the repository first: pnpm build)`);
      }
      const app = await freePort();
      const metrics = await freePort();
      const child = spawnNode(target.script, {
        env: {
          PORT: String(app),
          HOST: '127.0.0.1',
          AUTOTELEMETRY_ENVIRONMENT: 'staging',
          OTEL_TRACES_EXPORTER: 'none',
          // OTLP is on by default in staging; with no collector here, send it to a closed port quietly.
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
          AUTOTELEMETRY_ACCESS_LOG: 'false',
          AUTOTELEMETRY_PROMETHEUS_PORT: String(metrics),
          AUTOTELEMETRY_PROMETHEUS_HOST: '127.0.0.1',
          ...(target.databases && databases ? databases.env : {}),
          ...target.env,
        },
        killAfterMs: options.keepUntil ? 24 * 3600_000 : Math.max(5000, deadline - Date.now() + 5000),
      });
      children.push(child);
      ports.push({ target, app, metrics, child });
    }
    for (const p of ports) {
      // A service that dies at start must fail the run at once, not after the whole budget.
      const line = await Promise.race([
        p.child.waitForLine(p.target.ready, {
          stream: p.target.readyStream ?? 'stdout',
          timeoutMs: Math.max(1000, deadline - Date.now()),
        }),
        p.child.exited.then((exit) => {
          throw new Error(`${p.target.name} exited at start (${JSON.stringify(exit)})`);
        }),
      ]);
      // A service that picks its own port says which in its ready line.
      const announced = /"listening"\s*:\s*(\d+)/.exec(line)?.[1];
      if (announced) p.app = Number(announced);
      log(`${p.target.name} ready: app :${p.app}, /metrics :${p.metrics}`);
    }

    // 2. Prometheus, scraping every service every second and evaluating the generated rules every second.
    const rulesPath = join(work, 'autotelemetry-rules.yml');
    writeFileSync(rulesPath, renderRules(generateRules()));
    const configPath = join(work, 'prometheus.yml');
    writeFileSync(
      configPath,
      JSON.stringify({
        global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
        rule_files: [rulesPath],
        // One job for all: the dashboards must tell services apart by target_info, not by job.
        scrape_configs: [
          { job_name: 'autotelemetry', static_configs: [{ targets: ports.map((p) => `127.0.0.1:${p.metrics}`) }] },
        ],
      }),
    );
    const promPort = await freePort();
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${configPath}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        `--storage.tsdb.path=${join(work, 'data')}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.setEncoding('utf8').on('data', (c: string) => prometheusLog.push(c));
    prometheus.stderr?.setEncoding('utf8').on('data', (c: string) => prometheusLog.push(c));
    await waitFor('Prometheus to be ready', deadline, async () => (await get(`${prometheusUrl}/-/ready`)) === 200);
    log(`prometheus ready at ${prometheusUrl}`);

    // 3. Which service is which, from target_info as scraped. Traffic waits for this first scrape: a rate
    // only counts increases between samples, so requests served before it would never show.
    const services: Record<string, string> = {};
    await waitFor('every target to be up with its target_info', deadline, async () => {
      const info = await query(prometheusUrl, 'target_info');
      for (const r of info.data?.result ?? []) {
        const p = ports.find((x) => r.metric.instance === `127.0.0.1:${x.metrics}`);
        if (p && r.metric.service_name) services[p.target.name] = r.metric.service_name;
      }
      return Object.keys(services).length === ports.length;
    });

    // 4. Traffic, all services at once, in two rounds a few scrapes apart: a series first appears with its
    //    count so far, and only the increases after that first sample make a rate (as with any new
    //    counter in Prometheus), so the second round is what the queries see.
    for (let round = 1; round <= 2; round++) {
      await Promise.all(ports.map((p) => p.target.traffic(`http://127.0.0.1:${p.app}`)));
      log(`traffic round ${round} driven`);
      await new Promise((r) => setTimeout(r, 2500));
    }

    // 5. Every query, per service, until all have data or time runs out (scrapes and rule evaluations lag).
    const dashboards = generateDashboards();
    const queries = [
      ...dashboards.flatMap(({ dashboard }) => [...dashboardQueries(dashboard), ...variableQueries(dashboard)]),
    ];
    const records = generateRules().groups.flatMap((g) => g.rules.filter((r) => 'record' in r)) as {
      record: string;
      expr: string;
    }[];
    const recordGroup: Record<string, SignalGroup> = Object.fromEntries(
      records.map((r) => [r.record, groupOf(r.expr)]),
    );
    const names = recordNames('5m');
    recordGroup[names.up] = 'identity';

    let outcomes: QueryOutcome[] = [];
    const evaluate = async (): Promise<QueryOutcome[]> => {
      const out: QueryOutcome[] = [];
      for (const p of ports) {
        const service = services[p.target.name] as string;
        const values = {
          service: regexLiteral(service),
          environment: '.*',
          route: '.*',
          operation: '.*',
          rateInterval: '30s',
        };
        for (const q of queries) {
          const group = groupOf(q.expr);
          if (!p.target.expects.includes(group)) continue;
          let expr = instantiate(q.expr, values);
          // The service variable's query lists every service: keep this one's line.
          if (q.where.endsWith('$service')) {
            expr = `${expr} and on (service_name) group by (service_name) (target_info{service_name="${service}"})`;
          }
          const r = await query(prometheusUrl, expr);
          out.push({
            where: q.where,
            group,
            expr,
            service,
            series: r.data?.result.length ?? 0,
            finite: finiteCount(r),
            ...(r.status === 'success' ? {} : { error: r.error ?? r.status }),
          });
        }
        for (const record of Object.keys(recordGroup)) {
          const group = recordGroup[record] as SignalGroup;
          if (!p.target.expects.includes(group)) continue;
          const expr = `${record}{service_name="${service}"}`;
          const r = await query(prometheusUrl, expr);
          out.push({
            where: `rule ${record}`,
            group,
            expr,
            service,
            series: r.data?.result.length ?? 0,
            finite: finiteCount(r),
            ...(r.status === 'success' ? {} : { error: r.error ?? r.status }),
          });
        }
      }
      return out;
    };
    await waitFor('every query to return data for each service', deadline, async () => {
      outcomes = await evaluate();
      return outcomes.every((o) => o.finite > 0 && !o.error);
    }).catch(() => {
      // Reported below, query by query.
    });

    // 6. Rule health and target health, as Prometheus reports them.
    const rules = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const ruleErrors = rules.data.groups
      .flatMap((g) => g.rules)
      .filter((r) => r.health !== 'ok')
      .map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`.trim());
    const targetsApi = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as {
      data: { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] };
    };
    const downTargets = targetsApi.data.activeTargets
      .filter((t) => t.health !== 'up')
      .map((t) => `${t.scrapeUrl}: ${t.health} ${t.lastError}`);

    if (options.keepUntil) {
      log(`kept running: Prometheus at ${prometheusUrl} (Ctrl-C to stop)`);
      await options.keepUntil;
    }
    return { services, outcomes, ruleErrors, downTargets, prometheusUrl, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    const tail = prometheusLog.join('').split('\n').slice(-20).join('\n');
    const outputs = children
      .map((c) => `--- pid ${c.pid}\n${[...c.stdout.slice(-10), ...c.stderr.slice(-10)].join('\n')}`)
      .join('\n');
    throw new Error(`${(error as Error).message}\n--- prometheus\n${tail}\n${outputs}`);
  } finally {
    prometheus?.kill('SIGKILL');
    for (const c of children) c.kill('SIGKILL');
    await killAllChildren();
    await databases?.stop();
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      await new Promise((r) => prometheus?.once('close', r));
    }
    rmSync(work, { recursive: true, force: true });
  }
}

/** Whether `prometheus` is on PATH (the caller runs scripts/ensure-prometheus.sh first). */
export function havePrometheus(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
}
