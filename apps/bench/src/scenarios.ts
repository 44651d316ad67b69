/**
 * What the suite measures: the HTTP groups (framework × workload, and the growth groups), the cold starts.
 * Scripts are relative to src/. The official Nest contender runs on Nest 11 (the official NestJS
 * instrumentation does not patch Nest 12), so it is compared with bare Nest 11 of the same run.
 */
import type { ColdStartSpec } from './cold-start.ts';
import type { GroupSpec, LoadSpec, ServerSpec } from './http.ts';

/** A contender of a framework: its server script and how it is labelled. */
interface Contender {
  readonly key: string;
  readonly label: string;
  readonly script: string;
  /** Key of the contender it is compared with; absent for the framework's bare baseline. */
  readonly baseline?: string;
}

/** The frameworks and their contenders. */
export const FRAMEWORKS: readonly { key: string; title: string; contenders: readonly Contender[] }[] = [
  {
    key: 'express',
    title: 'Express 5',
    contenders: [
      { key: 'bare', label: 'bare Express 5', script: 'servers/express/bare.cjs' },
      { key: 'ours', label: 'autotelemetry()', script: 'servers/express/ours.mjs', baseline: 'bare' },
      {
        key: 'official',
        label: 'official (sdk-node + http + express)',
        script: 'servers/express/official.cjs',
        baseline: 'bare',
      },
      {
        key: 'official-pino-http',
        label: 'official + pino-http (+ pino instrumentation)',
        script: 'servers/express/official-pino-http.cjs',
        baseline: 'bare',
      },
    ],
  },
  {
    key: 'fastify',
    title: 'Fastify 5',
    contenders: [
      { key: 'bare', label: 'bare Fastify 5', script: 'servers/fastify/bare.cjs' },
      { key: 'ours', label: 'register(autotelemetry)', script: 'servers/fastify/ours.mjs', baseline: 'bare' },
      {
        key: 'official',
        label: 'official (@fastify/otel + http)',
        script: 'servers/fastify/official.cjs',
        baseline: 'bare',
      },
    ],
  },
  {
    key: 'nest',
    title: 'NestJS (platform-express)',
    contenders: [
      { key: 'bare', label: 'bare Nest 12', script: 'servers/nest/bare.mjs' },
      { key: 'ours', label: 'TelemetryModule.forRoot() (Nest 12)', script: 'servers/nest/ours.mjs', baseline: 'bare' },
      { key: 'bare11', label: 'bare Nest 11', script: '../nest11/bare.cjs' },
      {
        key: 'official',
        label: 'official (sdk-node + http + express + nestjs-core), Nest 11',
        script: '../nest11/official.cjs',
        baseline: 'bare11',
      },
    ],
  },
];

/** The workloads of workload.cjs and the path each is loaded on. */
export const WORKLOADS = [
  { key: 'hello', title: 'hello world', path: '/' },
  { key: 'realistic', title: 'realistic handler (~1 ms I/O wait, ~2 KB JSON)', path: '/orders/42' },
] as const;

/** Route-table size of the growth groups. */
export const MANY_ROUTES = 200;
/** Distinct URLs (one route template) of the growth groups. */
export const DISTINCT_URLS = 10_000;

function frameworkGroups(): GroupSpec[] {
  return FRAMEWORKS.flatMap((framework) =>
    WORKLOADS.map((workload) => {
      const servers: ServerSpec[] = framework.contenders.map((c) => ({
        key: c.key,
        script: c.script,
        env: { BENCH_WORKLOAD: workload.key },
      }));
      const loads: LoadSpec[] = framework.contenders.map((c) => ({
        key: c.key,
        label: c.label,
        server: c.key,
        path: workload.path,
        ...(c.baseline !== undefined ? { baseline: c.baseline } : {}),
      }));
      return {
        key: `${framework.key}-${workload.key}`,
        title: `${framework.title} · ${workload.title}`,
        servers,
        loads,
      };
    }),
  );
}

/**
 * Growth, per framework (bare and ours): 1 route vs {@link MANY_ROUTES} routes (the hot one declared last),
 * and {@link DISTINCT_URLS} distinct URLs on one `/items/:id` template. Each "ours" load is compared with the
 * bare server under the same load, so the framework's own routing cost is taken out.
 */
function growthGroups(): GroupSpec[] {
  return FRAMEWORKS.filter((f) => f.key !== 'nest').map((framework) => {
    const bare = framework.contenders.find((c) => c.key === 'bare') as Contender;
    const ours = framework.contenders.find((c) => c.key === 'ours') as Contender;
    const server = (key: string, script: string, routes: number): ServerSpec => ({
      key,
      script,
      env: { BENCH_WORKLOAD: 'param', BENCH_ROUTES: String(routes) },
    });
    return {
      key: `${framework.key}-growth`,
      title: `${framework.title} · growth (GET /items/:id, hello-world handler)`,
      servers: [
        server('bare-1', bare.script, 1),
        server('ours-1', ours.script, 1),
        server(`bare-${MANY_ROUTES}`, bare.script, MANY_ROUTES),
        server(`ours-${MANY_ROUTES}`, ours.script, MANY_ROUTES),
      ],
      loads: [
        { key: 'bare-1', label: `bare, 1 route, 1 URL`, server: 'bare-1', path: '/items/7' },
        { key: 'ours-1', label: `ours, 1 route, 1 URL`, server: 'ours-1', path: '/items/7', baseline: 'bare-1' },
        {
          key: `bare-${MANY_ROUTES}`,
          label: `bare, ${MANY_ROUTES} routes, 1 URL`,
          server: `bare-${MANY_ROUTES}`,
          path: '/items/7',
        },
        {
          key: `ours-${MANY_ROUTES}`,
          label: `ours, ${MANY_ROUTES} routes, 1 URL`,
          server: `ours-${MANY_ROUTES}`,
          path: '/items/7',
          baseline: `bare-${MANY_ROUTES}`,
        },
        {
          key: 'bare-urls',
          label: `bare, 1 route, ${DISTINCT_URLS.toLocaleString('en-US')} URLs`,
          server: 'bare-1',
          path: '/items/',
          distinct: DISTINCT_URLS,
        },
        {
          key: 'ours-urls',
          label: `ours, 1 route, ${DISTINCT_URLS.toLocaleString('en-US')} URLs`,
          server: 'ours-1',
          path: '/items/',
          distinct: DISTINCT_URLS,
          baseline: 'bare-urls',
        },
      ],
    };
  });
}

/**
 * A handler that does real I/O against real servers: one PostgreSQL query and one Redis GET per request
 * (servers/database.cjs), Express 5 bare vs ours vs the official setup with its pg and ioredis
 * instrumentations. The runner starts the servers and sets PG_URL and REDIS_URL.
 *
 * Each contender is loaded twice: as fast as it answers, and at {@link DATABASE_FIXED_RATE} requests per
 * second, below every contender's capacity. The database servers share the load generator's CPU, so the
 * server is not always the bottleneck of the first; its CPU per request then moves with how busy it was kept.
 * At a fixed rate every contender does the same work, and the CPU added per request is its own cost.
 */
export const DATABASE_GROUP = 'express-database';

/** Requests per second of the database group's equal-load windows. */
export const DATABASE_FIXED_RATE = 1500;

function databaseGroup(): GroupSpec {
  const express = FRAMEWORKS.find((f) => f.key === 'express')?.contenders ?? [];
  const contenders: Contender[] = [
    ...express.filter((c) => c.key === 'bare' || c.key === 'ours'),
    {
      key: 'official',
      label: 'official (sdk-node + http + express + pg + ioredis)',
      script: 'servers/express/official-database.cjs',
      baseline: 'bare',
    },
  ];
  return {
    key: DATABASE_GROUP,
    title: 'Express 5 · database handler (one pg query + one Redis GET, real servers)',
    servers: contenders.map((c) => ({ key: c.key, script: c.script, env: { BENCH_WORKLOAD: 'database' } })),
    loads: [
      ...contenders.map((c) => ({
        key: c.key,
        label: c.label,
        server: c.key,
        path: '/stock/7',
        ...(c.baseline !== undefined ? { baseline: c.baseline } : {}),
      })),
      ...contenders.map((c) => ({
        key: `${c.key}-fixed`,
        label: `${c.label}, at ${DATABASE_FIXED_RATE.toLocaleString('en-US')} rps`,
        server: c.key,
        path: '/stock/7',
        rate: DATABASE_FIXED_RATE,
        ...(c.baseline !== undefined ? { baseline: `${c.baseline}-fixed` } : {}),
      })),
    ],
  };
}

/** Every HTTP group of a run, in the order they are run. */
export function httpGroups(): GroupSpec[] {
  return [...frameworkGroups(), databaseGroup(), ...growthGroups()];
}

/** The cold-start contenders: bare / ours / official of each framework. */
export function coldStartSpecs(): ColdStartSpec[] {
  return FRAMEWORKS.flatMap((framework) =>
    framework.contenders
      .filter((c) => c.key !== 'official-pino-http')
      .map((c) => ({
        key: `${framework.key}-${c.key}`,
        label: `${framework.title}: ${c.label}`,
        script: c.script,
        ...(c.baseline !== undefined ? { baseline: `${framework.key}-${c.baseline}` } : {}),
      })),
  );
}
