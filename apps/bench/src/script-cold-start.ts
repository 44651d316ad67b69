/**
 * Cold start of the script demo (apps/script-demo), with and without AutoTelemetry: the wall time from
 * spawning `node` until the process has exited by itself, for
 *
 * - `baseline`:   the demo's pipeline with no telemetry (`src/baseline.ts`);
 * - `autoInstrument`: the instrumented demo (`src/main.ts`: autoInstrument, JSON logger, traced, measure,
 *   console spans, /metrics, runtime metrics, exit flush), without its final metrics scrape;
 * - `zero-code`:  the baseline preloaded with `--import @autotelemetry/node/register`.
 *
 * Contenders are interleaved round by round (load bursts from other processes then hit all of them), the
 * median is reported with the median of the per-round differences to the baseline. Goal: ≤ +150 ms. Where
 * `/usr/bin/time` exists, the CPU time (user + system) of each process is reported as well: on a busy
 * machine it moves much less than the wall time.
 *
 *   node src/script-cold-start.ts [--rounds N]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './harness.ts';

const DEMO_DIR = fileURLToPath(new URL('../../script-demo/', import.meta.url));
const GOAL_ADDED_MS = 150;
const TIME = '/usr/bin/time';
const withCpuTime = existsSync(TIME);

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const rounds = Number(values.rounds);

interface Contender {
  readonly key: string;
  readonly args: (port: number) => string[];
  readonly env: (port: number) => Record<string, string>;
}

const CONTENDERS: readonly Contender[] = [
  { key: 'baseline', args: () => ['src/baseline.ts'], env: () => ({}) },
  {
    key: 'autoInstrument',
    args: () => ['src/main.ts'],
    env: (port) => ({ DEMO_METRICS_PORT: String(port), DEMO_METRICS_SUMMARY: 'false' }),
  },
  {
    key: 'zero-code',
    args: () => ['--import', '@autotelemetry/node/register', 'src/baseline.ts'],
    env: (port) => ({
      OTEL_SERVICE_NAME: 'demo.pipeline',
      AUTOTELEMETRY_ENVIRONMENT: 'development',
      AUTOTELEMETRY_JSON_LOGS: 'true',
      AUTOTELEMETRY_PROMETHEUS_PORT: String(port),
      AUTOTELEMETRY_PROMETHEUS_HOST: '127.0.0.1',
    }),
  },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function runOnce(contender: Contender): Promise<Sample> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, ...contender.env(port) };
  delete env.NODE_ENV;
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const [command, args] = withCpuTime
    ? [TIME, ['-f', 'CPU %U %S', process.execPath, ...contender.args(port)]]
    : [process.execPath, contender.args(port)];
  const child = spawn(command, args, { cwd: DEMO_DIR, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`${contender.key} exited with ${code}:\n${stderr}`);
  const cpu = stderr.match(/CPU ([\d.]+) ([\d.]+)\s*$/);
  return { wallMs: elapsed, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN };
}

const samples = new Map<string, Sample[]>(CONTENDERS.map((c) => [c.key, []]));
const added = new Map<string, Sample[]>(CONTENDERS.map((c) => [c.key, []]));
// One warm-up round: the first spawns pay for cold file-system caches.
for (const contender of CONTENDERS) await runOnce(contender);
for (let round = 0; round < rounds; round++) {
  const times = new Map<string, Sample>();
  for (const contender of CONTENDERS) times.set(contender.key, await runOnce(contender));
  const base = times.get('baseline') ?? { wallMs: 0, cpuMs: 0 };
  for (const [key, sample] of times) {
    samples.get(key)?.push(sample);
    added.get(key)?.push({ wallMs: sample.wallMs - base.wallMs, cpuMs: sample.cpuMs - base.cpuMs });
  }
}

const pick = (list: Sample[] | undefined, field: keyof Sample): number => median((list ?? []).map((s) => s[field]));
const rows = CONTENDERS.map((c) => ({
  key: c.key,
  wallMs: pick(samples.get(c.key), 'wallMs'),
  addedWallMs: pick(added.get(c.key), 'wallMs'),
  cpuMs: pick(samples.get(c.key), 'cpuMs'),
  addedCpuMs: pick(added.get(c.key), 'cpuMs'),
}));
const added$ = (ms: number, key: string): string => (key === 'baseline' ? '—' : `+${ms.toFixed(0)}`);
const autoInstrument = rows.find((r) => r.key === 'autoInstrument');
process.stdout.write(
  `Script demo cold start (spawn → exit), ${rounds} interleaved rounds, Node ${process.versions.node}\n\n` +
    '| run | wall ms (median) | added wall ms | CPU ms (median) | added CPU ms |\n|---|---:|---:|---:|---:|\n' +
    rows
      .map(
        (r) =>
          `| ${r.key} | ${r.wallMs.toFixed(0)} | ${added$(r.addedWallMs, r.key)} | ${
            withCpuTime ? r.cpuMs.toFixed(0) : 'n/a'
          } | ${withCpuTime ? added$(r.addedCpuMs, r.key) : 'n/a'} |`,
      )
      .join('\n') +
    '\n\n"added" is the median of the per-round differences to the baseline of the same round.\n' +
    `Goal: ≤ +${GOAL_ADDED_MS} ms for autoInstrument — ${(autoInstrument?.addedWallMs ?? Infinity) <= GOAL_ADDED_MS ? 'met' : 'NOT met'} on wall time${
      withCpuTime
        ? `, ${(autoInstrument?.addedCpuMs ?? Infinity) <= GOAL_ADDED_MS ? 'met' : 'NOT met'} on CPU time`
        : ''
    }.\n`,
);
