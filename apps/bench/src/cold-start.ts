/**
 * Cold start to the first answered request: the time from spawning a server process (`node script`) until its
 * first `GET` returns 200 — module loading, telemetry start, app construction, listen, first request. Each
 * contender's spawns are interleaved with the others', the median is reported, and the difference to the
 * baseline (bare framework) of the same run.
 *
 * Under a pinned plan each process is started on the server CPU, like the HTTP servers: its start then competes
 * with neither this runner (which sends the first request) nor the sink (which receives the first exports).
 * The start as a whole — the main thread and the V8 and libuv threads beside it — has that one CPU, so a
 * pinned start can take longer than an unpinned one on an idle machine; the added time is what is compared.
 * Starting through taskset adds one exec, the same for every contender.
 */
import { once } from 'node:events';
import { request } from 'node:http';
import { median } from './harness.ts';
import { forkServer, serverEnv, stopServer } from './http.ts';
import type { PinningPlan } from './pinning.ts';

/** A process to start cold. */
export interface ColdStartSpec {
  readonly key: string;
  readonly label: string;
  readonly script: string;
  readonly baseline?: string;
}

/** Median cold start of one contender. */
export interface ColdStartFigures {
  readonly key: string;
  readonly label: string;
  readonly baseline: string | undefined;
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  /** Median of per-round differences to the baseline. */
  readonly addedMs: number;
}

/** The cold starts, and the contenders that could not start (with why). */
export interface ColdStartResult {
  readonly figures: readonly ColdStartFigures[];
  readonly unavailable: readonly { readonly server: string; readonly reason: string }[];
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function coldStartOnce(spec: ColdStartSpec, sinkEndpoint: string, pinning: PinningPlan): Promise<number> {
  const env = await serverEnv(sinkEndpoint, { BENCH_WORKLOAD: 'hello' });
  const started = performance.now();
  const { child, stderrTail } = forkServer(new URL(spec.script, import.meta.url), env, pinning);
  try {
    let listening = false;
    const exited = once(child, 'exit').then(() => {
      if (!listening) throw new Error(`${spec.key}: exited before listening\n${stderrTail()}`);
      return [];
    });
    exited.catch(() => {});
    const [message] = (await Promise.race([once(child, 'message'), exited])) as [{ type: string; port: number }];
    listening = true;
    const status = await get(message.port);
    const elapsed = performance.now() - started;
    if (status !== 200) throw new Error(`${spec.key}: first request answered ${status}`);
    return elapsed;
  } finally {
    await stopServer(child);
  }
}

/** Runs `rounds` interleaved cold starts of every contender. */
export async function runColdStarts(
  specs: readonly ColdStartSpec[],
  rounds: number,
  sinkEndpoint: string,
  /** Where the started processes run. */
  pinning: PinningPlan,
  /** All contenders of a round at once (the smoke run: faster, figures meaningless). */
  parallel = false,
): Promise<ColdStartResult> {
  const samples = new Map<string, number[]>(specs.map((spec) => [spec.key, []]));
  const unavailable: { server: string; reason: string }[] = [];
  let live = [...specs];
  const one = async (spec: ColdStartSpec): Promise<void> => {
    try {
      (samples.get(spec.key) as number[]).push(await coldStartOnce(spec, sinkEndpoint, pinning));
    } catch (error) {
      unavailable.push({ server: spec.key, reason: error instanceof Error ? error.message : String(error) });
    }
  };
  for (let round = 0; round < rounds; round++) {
    if (parallel) await Promise.all(live.map(one));
    else for (let k = 0; k < live.length; k++) await one(live[(round + k) % live.length] as ColdStartSpec);
    live = live.filter((spec) => !unavailable.some((u) => u.server === spec.key));
  }
  const measured = live.filter((spec) => spec.baseline === undefined || live.some((b) => b.key === spec.baseline));
  const figures = measured.map((spec) => {
    const own = samples.get(spec.key) as number[];
    const base = spec.baseline === undefined ? own : (samples.get(spec.baseline) as number[]);
    return {
      key: spec.key,
      label: spec.label,
      baseline: spec.baseline,
      samplesMs: own,
      medianMs: median(own),
      addedMs: median(own.map((ms, i) => ms - (base[i] as number))),
    };
  });
  return { figures, unavailable };
}
