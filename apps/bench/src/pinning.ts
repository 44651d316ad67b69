/**
 * Where the bench's processes run. On a machine with two CPUs or more and Linux `taskset`, a run is pinned:
 * the process under measurement (a benchmark server, an in-process benchmark, a cold start) runs on one CPU,
 * everything else — this runner with the OTLP sink that receives the exports, the load generator it spawns —
 * on another. A server's CPU time and throughput then measure its own cost, not a share of a CPU it fights
 * over with wrk and the receiver. `--unpinned` keeps the old way (every process free to use every CPU).
 *
 * The plan is decided once per run. The runner pins itself, every thread (`taskset -a -p`), before it starts
 * the sink or spawns anything: a child inherits the affinity of the thread that forks it, so wrk and autocannon
 * land on the runner's CPU. A measured process is started through `taskset -c <cpu> node …` rather than pinned
 * by pid after the fork: it is on its CPU from its first instruction, so every thread Node creates (V8
 * platform workers, the libuv pool, the inspector's signal thread) inherits it, with no window in which it
 * starts on the runner's CPU or creates a thread that a pin by pid would miss.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';

/** A pinned run: the measured process on `serverCpu`, the runner and its helpers on `runnerCpu`. */
export interface PinnedPlan {
  readonly pinned: true;
  readonly serverCpu: number;
  readonly runnerCpu: number;
  /** The `taskset` binary used. */
  readonly taskset: string;
}

/** An unpinned run, and why. */
export interface UnpinnedPlan {
  readonly pinned: false;
  readonly reason: string;
}

export type PinningPlan = PinnedPlan | UnpinnedPlan;

/** What the plan is decided from. */
export interface PinningFacts {
  /** `--unpinned` was given. */
  readonly unpinned: boolean;
  /** Path of `taskset`, if found. */
  readonly taskset: string | undefined;
  /** The CPUs this process may run on. */
  readonly cpus: readonly number[];
}

/** Parses a kernel CPU list (`0-3,8,10-11`). */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * The CPUs each thread of `pid` may run on, by thread id, read from `/proc/<pid>/task/<tid>/status`. Empty
 * when `/proc` cannot tell (not Linux, the process gone). Threads that end while being read are skipped.
 */
export function threadAffinity(pid: number): Map<number, number[]> {
  const threads = new Map<number, number[]>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
      if (list !== null) threads.set(Number(tid), parseCpuList(list[1] as string));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/**
 * Why the threads of `pid` are not all restricted to `cpu` (e.g. `thread 1234 may run on 0-1`), or undefined
 * when they are — or when `/proc` cannot tell.
 */
export function affinityProblem(pid: number, cpu: number): string | undefined {
  const wrong = [...threadAffinity(pid)].filter(([, cpus]) => cpus.length !== 1 || cpus[0] !== cpu);
  if (wrong.length === 0) return undefined;
  return wrong.map(([tid, cpus]) => `thread ${tid} may run on ${cpus.join(',')}`).join('; ');
}

/** `taskset`'s path: on PATH, else the usual place; undefined when it is nowhere. */
export function findTaskset(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter).filter((d) => d !== ''), '/usr/bin', '/bin']) {
    const candidate = join(dir, 'taskset');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** The CPUs this process may run on: its own affinity where `/proc` tells it, else 0 … n − 1. */
export function allowedCpus(): number[] {
  const own = threadAffinity(process.pid).get(process.pid);
  return own ?? Array.from({ length: availableParallelism() }, (_, i) => i);
}

/** The plan for these facts: pinned unless the option says otherwise, taskset is missing or one CPU is all. */
export function decidePinning(facts: PinningFacts): PinningPlan {
  if (facts.unpinned) return { pinned: false, reason: '--unpinned' };
  if (facts.taskset === undefined) return { pinned: false, reason: 'taskset not found' };
  const [serverCpu, runnerCpu] = facts.cpus;
  if (serverCpu === undefined || runnerCpu === undefined) {
    return { pinned: false, reason: `only ${facts.cpus.length} CPU available` };
  }
  return { pinned: true, serverCpu, runnerCpu, taskset: facts.taskset };
}

/** Restricts every thread of `pid` to `cpu` (`taskset -a -c -p`); throws if taskset fails. */
export function pinProcess(pid: number, cpu: number, taskset: string): void {
  execFileSync(taskset, ['-a', '-c', '-p', String(cpu), String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Decides this run's plan and, when it is pinned, pins this process (every thread) to the runner's CPU and
 * checks that it holds. A pin that fails or does not hold makes the run unpinned, with the reason.
 */
export function startPinning(unpinned: boolean): PinningPlan {
  const plan = decidePinning({ unpinned, taskset: findTaskset(), cpus: allowedCpus() });
  if (!plan.pinned) return plan;
  try {
    pinProcess(process.pid, plan.runnerCpu, plan.taskset);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    return { pinned: false, reason: `taskset failed: ${stderr.split('\n')[0] || (error as Error).message}` };
  }
  const problem = affinityProblem(process.pid, plan.runnerCpu);
  return problem === undefined ? plan : { pinned: false, reason: `pin did not hold: ${problem}` };
}

/**
 * The command that runs `command args` on the server's CPU under `plan` (unchanged when unpinned): for
 * `execFile`/`spawn` of a measured process.
 */
export function onServerCpu(plan: PinningPlan, command: string, args: readonly string[]): [string, string[]] {
  return plan.pinned ? [plan.taskset, ['-c', String(plan.serverCpu), command, ...args]] : [command, [...args]];
}

/**
 * `fork()` options that start the Node script on the server's CPU under `plan` (none when unpinned): taskset
 * execs Node in place, so the child's pid, IPC channel and stdio are those of a plain fork.
 */
export function forkOnServerCpu(plan: PinningPlan): { execPath?: string; execArgv?: string[] } {
  if (!plan.pinned) return {};
  const [execPath, execArgv] = onServerCpu(plan, process.execPath, process.execArgv);
  return { execPath, execArgv };
}

/** The plan in one line, for the report's header; `undefined` is a run recorded before plans existed. */
export function describePinning(plan: PinningPlan | undefined): string {
  if (plan === undefined) return 'CPU pinning not recorded';
  if (!plan.pinned) return `unpinned (${plan.reason})`;
  return `pinned: server on CPU ${plan.serverCpu}; load generator and receiver on CPU ${plan.runnerCpu}`;
}
