/**
 * HTTP throughput, side by side. A group is a set of server processes (each contender its own process, up for
 * the whole group) and the load patterns aimed at them; every round loads each pattern once, in an order that
 * rotates from round to round, so warm-up, GC debt and bursts of load from elsewhere on this shared machine hit
 * every contender alike. Per pattern: requests per second, p50/p99 latency (client side), the server's CPU time
 * per request (its `process.cpuUsage()` over the window, divided by the completed requests) and its peak RSS.
 * Ratios are medians of per-round ratios to the pattern's baseline (the bare framework), which is what stays
 * comparable between machines and between runs.
 *
 * The instrumented servers export over OTLP http/protobuf to a sink in this process that reads and drops the
 * bytes, so serialization and export are paid as in production. Under a pinned plan (pinning.ts) each server
 * runs on the server CPU, and this process (the sink, the load generator) on the other.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { median } from './harness.ts';
import { type LoadResult, runLoad } from './load.ts';
import { affinityProblem, forkOnServerCpu, type PinningPlan } from './pinning.ts';

/** A server process of a group. */
export interface ServerSpec {
  readonly key: string;
  /** Script, relative to this folder (src/). */
  readonly script: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** A load pattern: what is requested from which server, and what it is compared with. */
export interface LoadSpec {
  readonly key: string;
  readonly label: string;
  readonly server: string;
  readonly path: string;
  /** Distinct URLs: `path` + 0 … distinct − 1, cycled. */
  readonly distinct?: number;
  /** Key of the load this one's ratios are taken to; absent for a baseline. */
  readonly baseline?: string;
  /** Requests per second offered (load.ts); unset: as many as the server answers. */
  readonly rate?: number;
}

/** A set of servers measured together. */
export interface GroupSpec {
  readonly key: string;
  readonly title: string;
  readonly servers: readonly ServerSpec[];
  readonly loads: readonly LoadSpec[];
}

/** How the windows are run. */
export interface HttpRunOptions {
  readonly rounds: number;
  readonly durationSec: number;
  /** Unmeasured window per load before the rounds (JIT, pools, exporters). 0 to skip. */
  readonly warmupSec: number;
  readonly connections: number;
  /**
   * Start the group's servers all at once (the smoke run: faster). A full run starts them one after the other,
   * as a start is CPU-heavy and would only slow the others'.
   */
  readonly parallelStart?: boolean;
  /** Where the servers run. */
  readonly pinning: PinningPlan;
}

/** One measured window. */
export interface Window extends LoadResult {
  readonly cpuUsPerRequest: number;
  readonly rssPeakMb: number;
}

/** A load pattern's figures over the rounds. */
export interface LoadFigures {
  readonly key: string;
  readonly label: string;
  readonly baseline: string | undefined;
  /** The offered rate, for a fixed-rate load. */
  readonly rate?: number;
  readonly windows: readonly Window[];
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
  readonly rssPeakMb: number;
  /** Median of per-round rps ratios to the baseline (1 for a baseline). */
  readonly ratio: number;
  /** Median of per-round CPU µs/request differences to the baseline (0 for a baseline). */
  readonly cpuAddedUs: number;
  /** Median of per-round peak-RSS ratios to the baseline. */
  readonly rssRatio: number;
  readonly errors: number;
}

/** A group's results. */
export interface GroupResult {
  readonly key: string;
  readonly title: string;
  readonly loads: readonly LoadFigures[];
  /** Servers that could not start (a package not built, a missing dependency), and why; their loads are left out. */
  readonly unavailable: readonly { readonly server: string; readonly reason: string }[];
}

interface RunningServer {
  readonly key: string;
  readonly child: ChildProcess;
  readonly port: number;
}

const SRC = new URL('./', import.meta.url);

/** A sink for the OTLP exports of every instrumented server: reads and drops, answers 200. */
export async function startOtlpSink(): Promise<{ endpoint: string; close(): void }> {
  const sink: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
    close: () => {
      sink.closeAllConnections();
      sink.close();
    },
  };
}

/** A port free right now (for the servers' Prometheus endpoints). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The environment of a bench server process. */
export async function serverEnv(
  sinkEndpoint: string,
  extra?: Readonly<Record<string, string>>,
): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    NODE_ENV: 'production',
    BENCH_OTLP_ENDPOINT: sinkEndpoint,
    BENCH_PROMETHEUS_PORT: String(await freePort()),
    ...extra,
  };
}

export function nextMessage<T>(child: ChildProcess, type: string, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== type) return;
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what}: the server exited (code ${code}) before '${type}'`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Forks a bench server script, on the server CPU when `pinning` is pinned; its standard error is kept (the last
 * 4 KB) to explain a failed start.
 */
export function forkServer(
  script: string | URL,
  env: NodeJS.ProcessEnv,
  pinning: PinningPlan,
): { child: ChildProcess; stderrTail(): string } {
  const child = fork(script, [], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], ...forkOnServerCpu(pinning) });
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4096);
  });
  return { child, stderrTail: () => tail };
}

async function startServer(spec: ServerSpec, sinkEndpoint: string, pinning: PinningPlan): Promise<RunningServer> {
  const env = await serverEnv(sinkEndpoint, spec.env);
  const { child, stderrTail } = forkServer(new URL(spec.script, SRC), env, pinning);
  let port: number;
  try {
    ({ port } = await nextMessage<{ port: number }>(child, 'listening', spec.key));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${stderrTail()}`);
  }
  // The header says where the servers ran: a started server whose threads are not all there is not measured.
  if (pinning.pinned) {
    const problem = affinityProblem(child.pid as number, pinning.serverCpu);
    if (problem !== undefined) {
      await stopServer(child);
      throw new Error(`${spec.key}: not restricted to CPU ${pinning.serverCpu}: ${problem}`);
    }
  }
  return { key: spec.key, child, port };
}

/** Asks a server to exit and makes sure it does. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) child.send('exit');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function measureWindow(
  server: RunningServer,
  load: LoadSpec,
  options: HttpRunOptions,
  durationSec: number,
): Promise<Window> {
  const started = nextMessage(server.child, 'started', server.key);
  server.child.send('start');
  await started;
  const result = await runLoad({
    port: server.port,
    path: load.path,
    durationSec,
    connections: options.connections,
    ...(load.distinct !== undefined ? { distinct: load.distinct } : {}),
    ...(load.rate !== undefined ? { rate: load.rate } : {}),
  });
  const windowDone = nextMessage<{ cpuUs: number; rssPeak: number }>(server.child, 'window', server.key);
  server.child.send('stop');
  const window = await windowDone;
  return {
    ...result,
    cpuUsPerRequest: window.cpuUs / Math.max(result.requests, 1),
    rssPeakMb: window.rssPeak / 1024 / 1024,
  };
}

/** Runs one group: starts its servers, warms them up, runs the interleaved rounds, stops them. */
export async function runGroup(
  group: GroupSpec,
  options: HttpRunOptions,
  sinkEndpoint: string,
  progress: (line: string) => void = () => {},
): Promise<GroupResult> {
  const servers = new Map<string, RunningServer>();
  const unavailable: { server: string; reason: string }[] = [];
  try {
    const start = async (spec: ServerSpec): Promise<void> => {
      try {
        servers.set(spec.key, await startServer(spec, sinkEndpoint, options.pinning));
      } catch (error) {
        unavailable.push({ server: spec.key, reason: error instanceof Error ? error.message : String(error) });
        progress(`${group.title}: ${spec.key} did not start, left out`);
      }
    };
    if (options.parallelStart === true) await Promise.all(group.servers.map(start));
    else for (const spec of group.servers) await start(spec);
    const loads = group.loads.filter(
      (load) =>
        servers.has(load.server) &&
        (load.baseline === undefined || group.loads.some((b) => b.key === load.baseline && servers.has(b.server))),
    );
    const serverOf = (load: LoadSpec): RunningServer => {
      const server = servers.get(load.server);
      if (server === undefined) throw new Error(`${group.key}: load ${load.key} names unknown server ${load.server}`);
      return server;
    };
    if (options.warmupSec > 0) {
      for (const load of loads) await measureWindow(serverOf(load), load, options, options.warmupSec);
    }
    const windows = new Map<string, Window[]>(loads.map((load) => [load.key, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < loads.length; k++) {
        const load = loads[(round + k) % loads.length] as LoadSpec;
        const window = await measureWindow(serverOf(load), load, options, options.durationSec);
        (windows.get(load.key) as Window[]).push(window);
      }
      progress(`${group.title}: round ${round + 1}/${options.rounds}`);
    }
    return { key: group.key, title: group.title, loads: loads.map((load) => figures(load, windows)), unavailable };
  } finally {
    await Promise.all([...servers.values()].map((server) => stopServer(server.child)));
  }
}

function figures(load: LoadSpec, all: ReadonlyMap<string, Window[]>): LoadFigures {
  const windows = all.get(load.key) as Window[];
  const base = load.baseline === undefined ? windows : (all.get(load.baseline) ?? windows);
  const perRound = (f: (w: Window, b: Window) => number): number =>
    median(windows.map((w, r) => f(w, base[r] as Window)));
  return {
    key: load.key,
    label: load.label,
    baseline: load.baseline,
    ...(load.rate !== undefined ? { rate: load.rate } : {}),
    windows,
    rps: median(windows.map((w) => w.rps)),
    p50Ms: median(windows.map((w) => w.p50Ms)),
    p99Ms: median(windows.map((w) => w.p99Ms)),
    cpuUsPerRequest: median(windows.map((w) => w.cpuUsPerRequest)),
    rssPeakMb: median(windows.map((w) => w.rssPeakMb)),
    ratio: perRound((w, b) => w.rps / b.rps),
    cpuAddedUs: perRound((w, b) => w.cpuUsPerRequest - b.cpuUsPerRequest),
    rssRatio: perRound((w, b) => w.rssPeakMb / b.rssPeakMb),
    errors: windows.reduce((sum, w) => sum + w.errors, 0),
  };
}
