/**
 * The whole benchmark suite, one run (`npm run bench` at the root builds the packages first):
 *
 *   node src/run-all.ts [--quick] [--rounds N] [--duration S] [--connections C] [--only express,fastify-growth,…]
 *                       [--out DIR] [--autocannon] [--unpinned]
 *
 * HTTP groups (each contender a separate server process), then the in-process logger and traced() benchmarks
 * (each in a child process), then cold starts. Prints the markdown report and writes it with the JSON of every
 * figure to `results/` (`latest.md`, `latest.json`). `--quick` is the smoke run of `npm test`: one short round
 * of everything, written to a temporary folder unless `--out` says otherwise; its figures mean nothing.
 *
 * Pinned where it can be (pinning.ts: `taskset` and two CPUs): every measured process — the servers, the
 * in-process benchmarks' children, the cold starts — on one CPU, this process with the OTLP sink and the load
 * generator on another. `--unpinned` lets every process use every CPU, as runs before pinning did. The report's
 * header says which, and why a run is unpinned.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runColdStarts } from './cold-start.ts';
import { type BenchDatabases, startBenchDatabases } from './databases.ts';
import type { Comparison } from './harness.ts';
import { type GroupResult, runGroup, startOtlpSink } from './http.ts';
import { loadGenerator, useLoadGenerator } from './load.ts';
import { describePinning, onServerCpu, startPinning } from './pinning.ts';
import { markdownReport, type SuiteResults } from './report.ts';
import { coldStartSpecs, DATABASE_GROUP, httpGroups } from './scenarios.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    'cold-rounds': { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    autocannon: { type: 'boolean', default: false },
    unpinned: { type: 'boolean', default: false },
  },
});

const quick = values.quick === true;
const rounds = Number(values.rounds ?? (quick ? 1 : 4));
if (!quick && rounds < 4) throw new RangeError('--rounds: a full run needs at least 4 interleaved rounds');
const durationSec = Number(values.duration ?? (quick ? 1 : 3));
const warmupSec = Number(values.warmup ?? (quick ? 0 : 2));
const connections = Number(values.connections);
const coldRounds = Number(values['cold-rounds'] ?? (quick ? 1 : 5));
const only = values.only?.split(',').map((s) => s.trim());
const selected = (key: string) => only === undefined || only.some((o) => key === o || key.startsWith(`${o}-`));
if (values.autocannon) useLoadGenerator('autocannon');

const failures: string[] = [];
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const here = fileURLToPath(new URL('.', import.meta.url));
// Before the sink starts or anything is spawned: the load generator inherits this process's CPU.
const pinning = startPinning(values.unpinned === true);

/** Runs an in-process benchmark in its own child process; a failure is reported, not fatal to the run. */
function runMicro(name: 'logger' | 'traced'): Promise<Comparison[]> {
  const [command, args] = onServerCpu(pinning, process.execPath, [
    '--expose-gc',
    join(here, 'micro.ts'),
    name,
    ...(quick ? ['--quick'] : []),
  ]);
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        failures.push(`${name}: ${error.message.split('\n')[0]} ${stderr.trim().split('\n').slice(-3).join(' ')}`);
        resolve([]);
      } else resolve(JSON.parse(stdout.trim().split('\n').at(-1) as string) as Comparison[]);
    });
  });
}

const loadStart = loadavg()[0] as number;
log(
  `load average ${loadStart.toFixed(2)}; load generator ${loadGenerator()}; ${describePinning(pinning)}${quick ? '; quick smoke run' : ''}`,
);
const sink = await startOtlpSink();
const http: GroupResult[] = [];
let coldStart: SuiteResults['coldStart'] = { figures: [], unavailable: [] };
let logger: Comparison[] = [];
let traced: Comparison[] = [];
let databases: BenchDatabases | undefined;
try {
  // The smoke run loads two groups at a time (its figures mean nothing anyway); a full run one at a time.
  const groups = httpGroups().filter((g) => selected(g.key));
  if (groups.some((g) => g.key === DATABASE_GROUP)) databases = await startBenchDatabases(log);
  const concurrency = quick ? 2 : 1;
  for (let i = 0; i < groups.length; i += concurrency) {
    const batch = groups.slice(i, i + concurrency);
    for (const group of batch) log(`${group.title}…`);
    const options = { rounds, durationSec, warmupSec, connections, parallelStart: quick, pinning };
    http.push(...(await Promise.all(batch.map((group) => runGroup(group, options, sink.endpoint, log)))));
  }
  if (selected('logger')) {
    log('logger…');
    logger = await runMicro('logger');
  }
  if (selected('traced')) {
    log('traced()…');
    traced = await runMicro('traced');
  }
  if (selected('cold')) {
    log('cold starts…');
    coldStart = await runColdStarts(coldStartSpecs(), coldRounds, sink.endpoint, pinning, quick);
  }
} finally {
  sink.close();
  await databases?.stop();
}

const date = new Date().toISOString();
const results: SuiteResults = {
  environment: {
    date,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    loadGenerator: loadGenerator(),
    connections,
    rounds,
    durationSec,
    quick,
    pinning,
    loadAverage: { start: loadStart, end: loadavg()[0] as number },
  },
  http,
  logger,
  traced,
  coldStart,
  failures,
};
const report = markdownReport(results);
console.log(report);

const outDir =
  values.out ?? (quick ? mkdtempSync(join(tmpdir(), 'autotelemetry-bench-quick-')) : join(here, '../results'));
mkdirSync(outDir, { recursive: true });
const json = `${JSON.stringify(results, null, 2)}\n`;
writeFileSync(join(outDir, 'latest.md'), report);
writeFileSync(join(outDir, 'latest.json'), json);
if (!quick && values.out === undefined) writeFileSync(join(outDir, `${date.replace(/[:.]/g, '-')}.json`), json);
log(`written to ${outDir}`);
