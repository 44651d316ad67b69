/**
 * Where a contender's per-request CPU goes: runs one server under `--cpu-prof` while wrk (or autocannon) loads
 * it, then sums the profile's self time by function and by package, as shares of the sampled time.
 *
 *   node src/profile.ts servers/express/ours.mjs [--workload hello] [--duration 8] [--top 40] [--unpinned]
 *
 * `--workload database` starts real PostgreSQL and Redis servers as the suite does (databases.ts), unless PG_URL
 * and REDIS_URL already name prepared ones.
 *
 * Pinned like the suite (pinning.ts) unless `--unpinned`: the server on one CPU, this process and wrk on another.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchDatabases } from './databases.ts';
import { forkServer, nextMessage, serverEnv, startOtlpSink, stopServer } from './http.ts';
import { runLoad } from './load.ts';
import { describePinning, startPinning } from './pinning.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (or Node area) a script URL belongs to. */
function area(url: string): string {
  if (url === '') return '(native / VM)';
  if (url.startsWith('node:')) return url;
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pnpm !== null) return pnpm[1] as string;
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (plain !== null) return plain[1] as string;
  const pkg = /\/packages\/([^/]+)\//.exec(url);
  if (pkg !== null) return `@autotelemetry/${pkg[1]}`;
  return url.replace(/^file:\/\/.*\/apps\//, 'apps/');
}

/** Self time shares by function and by area. */
export function summarize(profile: CpuProfile): {
  functions: [string, number][];
  areas: [string, number][];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, time] of self) {
    const node = byId.get(id) as ProfileNode;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = area(url);
    const fn = `${functionName || '(anonymous)'} ${where}${url === '' ? '' : `:${lineNumber + 1}`}`;
    functions.set(fn, (functions.get(fn) ?? 0) + time / total);
    areas.set(where, (areas.get(where) ?? 0) + time / total);
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { functions: sorted(functions), areas: sorted(areas) };
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      workload: { type: 'string', default: 'hello' },
      duration: { type: 'string', default: '8' },
      top: { type: 'string', default: '40' },
      connections: { type: 'string', default: '50' },
      unpinned: { type: 'boolean', default: false },
    },
  });
  const script = positionals[0];
  if (script === undefined) throw new Error('usage: node src/profile.ts <server script relative to src/>');
  const pinning = startPinning(values.unpinned === true);
  const databases =
    values.workload === 'database' && process.env.PG_URL === undefined
      ? await startBenchDatabases((line) => console.log(line))
      : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'autotelemetry-profile-'));
  const sink = await startOtlpSink();
  const env = await serverEnv(sink.endpoint, { BENCH_WORKLOAD: values.workload });
  env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${dir}`;
  const { child, stderrTail } = forkServer(new URL(script, import.meta.url), env, pinning);
  const message = await nextMessage<{ port: number }>(child, 'listening', script).catch((error: Error) => {
    throw new Error(`${error.message}\n${stderrTail()}`);
  });
  const PATHS: Record<string, string> = { realistic: '/orders/42', param: '/items/7', database: '/stock/7' };
  const path = PATHS[values.workload] ?? '/';
  const common = { port: message.port, path, connections: Number(values.connections) };
  await runLoad({ ...common, durationSec: 2 });
  const result = await runLoad({ ...common, durationSec: Number(values.duration) });
  await stopServer(child);
  sink.close();
  await databases?.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no profile written in ${dir}`);
  const { functions, areas } = summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const top = Number(values.top);
  console.log(
    `${script} (${values.workload}): ${Math.round(result.rps)} rps under the profiler, ${describePinning(pinning)}; ` +
      `profile ${join(dir, file)}\n`,
  );
  console.log('self time by package / area:');
  for (const [name, share] of areas.slice(0, 25)) console.log(`  ${pct(share).padStart(7)}  ${name}`);
  console.log('\nself time by function:');
  for (const [name, share] of functions.slice(0, top)) console.log(`  ${pct(share).padStart(7)}  ${name}`);
}
