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
 * median is reported with the median of the per-round differences to the baseline. Goal: ≤ +150 ms.
 *
 *   node src/script-cold-start.ts [--rounds N]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './harness.ts';

const DEMO_DIR = fileURLToPath(new URL('../../script-demo/', import.meta.url));
const GOAL_ADDED_MS = 150;

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

async function runOnce(contender: Contender): Promise<number> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, ...contender.env(port) };
  delete env.NODE_ENV;
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const child = spawn(process.execPath, contender.args(port), {
    cwd: DEMO_DIR,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`${contender.key} exited with ${code}:\n${stderr}`);
  return elapsed;
}

const samples = new Map<string, number[]>(CONTENDERS.map((c) => [c.key, []]));
const added = new Map<string, number[]>(CONTENDERS.map((c) => [c.key, []]));
// One warm-up round: the first spawns pay for cold file-system caches.
for (const contender of CONTENDERS) await runOnce(contender);
for (let round = 0; round < rounds; round++) {
  const times = new Map<string, number>();
  for (const contender of CONTENDERS) times.set(contender.key, await runOnce(contender));
  const base = times.get('baseline') ?? 0;
  for (const [key, ms] of times) {
    samples.get(key)?.push(ms);
    added.get(key)?.push(ms - base);
  }
}

const rows = CONTENDERS.map((c) => ({
  key: c.key,
  medianMs: median(samples.get(c.key) ?? []),
  addedMs: median(added.get(c.key) ?? []),
}));
process.stdout.write(
  `Script demo cold start (spawn → exit), ${rounds} interleaved rounds, Node ${process.versions.node}\n\n` +
    '| run | median ms | added vs baseline (median of per-round differences) |\n|---|---:|---:|\n' +
    rows
      .map(
        (r) =>
          `| ${r.key} | ${r.medianMs.toFixed(0)} | ${r.key === 'baseline' ? '—' : `+${r.addedMs.toFixed(0)} ms`} |`,
      )
      .join('\n') +
    `\n\nGoal: ≤ +${GOAL_ADDED_MS} ms for autoInstrument — ${
      (rows.find((r) => r.key === 'autoInstrument')?.addedMs ?? Infinity) <= GOAL_ADDED_MS ? 'met' : 'NOT met'
    }.\n`,
);
