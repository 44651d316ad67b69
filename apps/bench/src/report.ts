/**
 * The suite's report: a markdown document (the goals first, then every table) and the JSON of every figure.
 */
import type { ColdStartResult } from './cold-start.ts';
import { type Comparison, markdownTable } from './harness.ts';
import type { GroupResult, LoadFigures } from './http.ts';
import { describePinning, type PinningPlan } from './pinning.ts';
import { DATABASE_FIXED_RATE, DATABASE_GROUP, DISTINCT_URLS, MANY_ROUTES } from './scenarios.ts';

/** Where and how a run was taken. */
export interface RunEnvironment {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly loadGenerator: string;
  readonly connections: number;
  readonly rounds: number;
  readonly durationSec: number;
  readonly quick: boolean;
  /** Where the measured processes and the runner ran; absent in runs recorded before the bench pinned. */
  readonly pinning?: PinningPlan;
  /** 1-minute load average when the run started and ended. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** Everything a run measured. */
export interface SuiteResults {
  readonly environment: RunEnvironment;
  readonly http: readonly GroupResult[];
  readonly logger: readonly Comparison[];
  readonly traced: readonly Comparison[];
  readonly coldStart: ColdStartResult;
  /** Benchmarks that failed to run, and why. */
  readonly failures: readonly string[];
}

/** One goal of the issue, measured. */
export interface GoalCheck {
  readonly measure: string;
  readonly goal: string;
  readonly measured: string;
  /** undefined when the figure is missing (a contender did not run). */
  readonly met: boolean | undefined;
}

const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');
const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const signed = (n: number, digits = 1): string => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(digits)}`;

function load(results: SuiteResults, group: string, key: string): LoadFigures | undefined {
  return results.http.find((g) => g.key === group)?.loads.find((l) => l.key === key);
}

function check(
  measure: string,
  goal: string,
  value: number | undefined,
  format: (v: number) => string,
  ok: (v: number) => boolean,
): GoalCheck {
  if (value === undefined || !Number.isFinite(value)) return { measure, goal, measured: 'n/a', met: undefined };
  return { measure, goal, measured: format(value), met: ok(value) };
}

/** The issue's goals against this run's figures. */
export function goalChecks(results: SuiteResults): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const x = (v: number) => `${f2(v)}×`;
  for (const [framework, title, goal] of [
    ['express', 'Express', 0.6],
    ['fastify', 'Fastify', 0.6],
    ['nest', 'Nest', 0.65],
  ] as const) {
    checks.push(
      check(
        `hello-world rps vs bare, ${title}`,
        `≥ ${f2(goal)}×`,
        load(results, `${framework}-hello`, 'ours')?.ratio,
        x,
        (v) => v >= goal,
      ),
    );
  }
  for (const [framework, title] of [
    ['express', 'Express'],
    ['fastify', 'Fastify'],
    ['nest', 'Nest'],
  ] as const) {
    checks.push(
      check(
        `realistic handler rps vs bare, ${title}`,
        '≥ 0.95×',
        load(results, `${framework}-realistic`, 'ours')?.ratio,
        x,
        (v) => v >= 0.95,
      ),
    );
  }
  for (const [framework, title, goal] of [
    ['express', 'Express', 15],
    ['fastify', 'Fastify', 10],
    ['nest', 'Nest', 15],
  ] as const) {
    checks.push(
      check(
        `CPU per request added (hello), ${title}`,
        `≤ +${goal} µs`,
        load(results, `${framework}-hello`, 'ours')?.cpuAddedUs,
        (v) => `${signed(v)} µs`,
        (v) => v <= goal,
      ),
    );
  }
  for (const [framework, title] of [
    ['express', 'Express'],
    ['fastify', 'Fastify'],
    ['nest', 'Nest'],
  ] as const) {
    checks.push(
      check(
        `peak RSS under load vs bare (hello), ${title}`,
        '≤ 1.30×',
        load(results, `${framework}-hello`, 'ours')?.rssRatio,
        x,
        (v) => v <= 1.3,
      ),
    );
  }
  checks.push(check('logger lines/s vs raw pino (in a span)', '≥ 0.90×', results.logger[0]?.ratio, x, (v) => v >= 0.9));
  const tracedRatio = results.traced[0]?.ratio;
  checks.push(
    check(
      'traced() time vs raw startActiveSpan',
      '≤ 1.20×',
      tracedRatio === undefined ? undefined : 1 / tracedRatio,
      x,
      (v) => v <= 1.2,
    ),
  );
  for (const [framework, title, goal] of [
    ['express', 'Express', 80],
    ['nest', 'Nest', 250],
  ] as const) {
    const figure = results.coldStart.figures.find((c) => c.key === `${framework}-ours`);
    checks.push(
      check(
        `cold start added, ${title}`,
        `≤ +${goal} ms`,
        figure?.addedMs,
        (v) => `${signed(v, 0)} ms`,
        (v) => v <= goal,
      ),
    );
  }
  for (const [framework, title] of [
    ['express', 'Express'],
    ['fastify', 'Fastify'],
  ] as const) {
    const group = `${framework}-growth`;
    const one = load(results, group, 'ours-1');
    const many = load(results, group, `ours-${MANY_ROUTES}`);
    const urls = load(results, group, 'ours-urls');
    const rel = (other: LoadFigures | undefined) =>
      one === undefined || other === undefined ? undefined : other.ratio / one.ratio;
    checks.push(
      check(`${MANY_ROUTES} routes vs 1 route (× bare), ${title}`, '≥ 0.95 of 1 route', rel(many), x, (v) => v >= 0.95),
    );
    checks.push(
      check(`${f0(DISTINCT_URLS)} URLs vs 1 URL (× bare), ${title}`, '≥ 0.95 of 1 URL', rel(urls), x, (v) => v >= 0.95),
    );
    checks.push(
      check(
        `peak RSS, ${f0(DISTINCT_URLS)} URLs vs 1 URL, ${title}`,
        '≤ 1.10× (flat)',
        one === undefined || urls === undefined ? undefined : urls.rssPeakMb / one.rssPeakMb,
        x,
        (v) => v <= 1.1,
      ),
    );
  }
  // Issue 17: the libraries' spans, ours against the official instrumentations' added CPU.
  for (const [suffix, how] of [
    ['', 'as fast as answered'],
    ['-fixed', `at ${f0(DATABASE_FIXED_RATE)} rps`],
  ] as const) {
    const ours = load(results, DATABASE_GROUP, `ours${suffix}`)?.cpuAddedUs;
    const official = load(results, DATABASE_GROUP, `official${suffix}`)?.cpuAddedUs;
    checks.push(
      check(
        `CPU added, pg + Redis handler, ours ÷ official (${how})`,
        '≤ 0.50',
        ours === undefined || official === undefined || official <= 0 ? undefined : ours / official,
        f2,
        (v) => v <= 0.5,
      ),
    );
  }
  return checks;
}

/** The telling line of a failed start: the first error line of its standard error, else the first line. */
function briefReason(reason: string): string {
  const lines = reason.split('\n').map((l) => l.trim());
  return lines.find((l) => /^\w*Error\b|^Error \[/.test(l)) ?? lines[0] ?? reason;
}

function httpTable(group: GroupResult): string {
  const lines = [
    `### ${group.title}`,
    '',
    '| contender | rps | × baseline | p50 ms | p99 ms | CPU µs/req | CPU added | peak RSS MB | RSS × baseline |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const l of group.loads) {
    const isBase = l.baseline === undefined;
    lines.push(
      `| ${l.label} | ${f0(l.rps)} | ${isBase ? '1 (baseline)' : `${f2(l.ratio)}×`} | ${f2(l.p50Ms)} | ${f2(l.p99Ms)} | ${f1(l.cpuUsPerRequest)} | ${isBase ? '—' : `${signed(l.cpuAddedUs)} µs`} | ${f1(l.rssPeakMb)} | ${isBase ? '—' : `${f2(l.rssRatio)}×`} |`,
    );
  }
  const errors = group.loads.filter((l) => l.errors > 0);
  if (errors.length > 0) {
    lines.push(
      '',
      `Errors (socket errors, timeouts, non-2xx): ${errors.map((l) => `${l.label} ${l.errors}`).join(', ')}.`,
    );
  }
  for (const u of group.unavailable)
    lines.push('', `Not measured: ${u.server} did not start (${briefReason(u.reason)}).`);
  return lines.join('\n');
}

/** One line per framework × workload: bare rps and each instrumented contender as a ratio (CPU added). */
export function summaryTable(results: SuiteResults): string {
  const lines = [
    '| scenario | bare rps | ours × bare (CPU added) | official × bare (CPU added) |',
    '|---|---:|---:|---:|',
  ];
  const cell = (l: LoadFigures | undefined) =>
    l === undefined ? 'n/a' : `${f2(l.ratio)}× (${signed(l.cpuAddedUs, 0)} µs)`;
  for (const group of results.http) {
    const ours = group.loads.find((l) => l.key === 'ours');
    if (ours === undefined) continue;
    const bare = group.loads.find((l) => l.key === ours.baseline);
    const officials = group.loads.filter((l) => l.key.startsWith('official') && l.rate === undefined);
    const official = officials.map((o) => `${cell(o)}${o.key === 'official' ? '' : ' with pino-http'}`);
    lines.push(
      `| ${group.title} | ${bare === undefined ? 'n/a' : f0(bare.rps)} | ${cell(ours)} | ${official.join('<br>')} |`,
    );
  }
  return lines.join('\n');
}

/** What the run's CPU placement means for its figures, for under the header (empty for a run before pinning). */
export function pinningNote(plan: PinningPlan | undefined): string {
  if (plan === undefined) return '';
  if (plan.pinned) {
    return (
      `Pinned with \`taskset\`: every server process, the in-process benchmarks and the cold starts on CPU ` +
      `${plan.serverCpu}; the runner — load generator and the OTLP sink the servers export to — on CPU ` +
      `${plan.runnerCpu}. A server's figures are its own cost, not a share of a CPU it fought over with the load ` +
      'generator and the receiver.'
    );
  }
  return (
    `Unpinned (${plan.reason}): the servers, the load generator and the OTLP sink shared every CPU, so the ` +
    'figures include their contention for it.'
  );
}

/** The markdown report. */
export function markdownReport(results: SuiteResults): string {
  const env = results.environment;
  const checks = goalChecks(results);
  const verdict = (c: GoalCheck) => (c.met === undefined ? 'n/a' : c.met ? 'met' : '**not met**');
  const out: string[] = [
    `# AutoTelemetry benchmarks${env.quick ? ' (quick smoke run: figures not meaningful)' : ''}`,
    '',
    `${env.date} · Node ${env.node} · ${env.platform} · ${env.cpus} × ${env.cpu} · load generator ${env.loadGenerator} ` +
      `(${env.connections} connections, on the same machine) · ${describePinning(env.pinning)} · ` +
      `${env.rounds} interleaved rounds of ${env.durationSec} s per contender, medians · ` +
      `load average ${f2(env.loadAverage.start)} at start, ${f2(env.loadAverage.end)} at end.`,
    '',
    ...(env.pinning === undefined ? [] : [pinningNote(env.pinning), '']),
    'Ratios are medians of per-round ratios to the bare framework of the same run; CPU is the server process’s ' +
      'own `process.cpuUsage()` per completed request; "ours" has every signal on (a SERVER span per request ' +
      'exported over OTLP http/protobuf, the duration histogram and active-requests counter, one JSON access ' +
      'line per request, Prometheus endpoint, runtime metrics, anomaly detection).',
    '',
    '## Goals',
    '',
    '| measure | goal | measured | |',
    '|---|---|---:|---|',
    ...checks.map((c) => `| ${c.measure} | ${c.goal} | ${c.measured} | ${verdict(c)} |`),
    '',
    '## HTTP throughput',
    '',
    summaryTable(results),
    '',
    ...results.http.flatMap((g) => [httpTable(g), '']),
    '## Logger (lines per second, in-process)',
    '',
    markdownTable(results.logger),
    '',
    '## traced() (calls per second, in-process)',
    '',
    markdownTable(results.traced),
    '',
    '## Cold start to the first answered request',
    '',
    '| contender | median ms | added vs bare |',
    '|---|---:|---:|',
    ...results.coldStart.figures.map(
      (c) => `| ${c.label} | ${f0(c.medianMs)} | ${c.baseline === undefined ? '—' : `${signed(c.addedMs, 0)} ms`} |`,
    ),
    ...results.coldStart.unavailable.map((u) => `\nNot measured: ${u.server} (${briefReason(u.reason)}).`),
    '',
    ...(results.failures.length > 0 ? ['## Failed to run', '', ...results.failures.map((f) => `- ${f}`), ''] : []),
  ];
  return out.join('\n');
}
