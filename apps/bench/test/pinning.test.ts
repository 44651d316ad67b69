/**
 * CPU pinning: the plan's decision, the affinity it gives real processes (read from /proc/<pid>/task/*\/status:
 * every thread of a forked server on the server CPU, every thread of the runner and of what it spawns on the
 * other), that `--unpinned` leaves affinity as inherited, and the report's header in both cases.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allowedCpus,
  decidePinning,
  describePinning,
  findTaskset,
  type PinningPlan,
  parseCpuList,
  threadAffinity,
} from '../src/pinning.ts';
import { markdownReport, type SuiteResults } from '../src/report.ts';

describe('decidePinning', () => {
  const taskset = '/usr/bin/taskset';

  it('pins the server to the first allowed CPU and the runner to the second', () => {
    expect(decidePinning({ unpinned: false, taskset, cpus: [0, 1, 2, 3] })).toEqual({
      pinned: true,
      serverCpu: 0,
      runnerCpu: 1,
      taskset,
    });
    expect(decidePinning({ unpinned: false, taskset, cpus: [4, 6] })).toMatchObject({ serverCpu: 4, runnerCpu: 6 });
  });

  it('stays unpinned, with the reason, on the option, without taskset or with one CPU', () => {
    expect(decidePinning({ unpinned: true, taskset, cpus: [0, 1] })).toEqual({ pinned: false, reason: '--unpinned' });
    expect(decidePinning({ unpinned: false, taskset: undefined, cpus: [0, 1] })).toEqual({
      pinned: false,
      reason: 'taskset not found',
    });
    expect(decidePinning({ unpinned: false, taskset, cpus: [3] })).toEqual({
      pinned: false,
      reason: 'only 1 CPU available',
    });
  });

  it('reads kernel CPU lists', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('1')).toEqual([1]);
  });
});

// The real check needs what a pinned run needs; elsewhere it is skipped (the decision above still runs).
const canPin = process.platform === 'linux' && findTaskset() !== undefined && allowedCpus().length >= 2;

interface RunnerReport {
  readonly plan: PinningPlan;
  readonly runner: number;
  readonly server: number;
  readonly helper: number;
}

let runner: ChildProcess | undefined;
afterEach(async () => {
  if (runner !== undefined && runner.exitCode === null) {
    const exited = once(runner, 'exit');
    runner.send('exit');
    await exited;
  }
  runner = undefined;
});

async function startRunner(args: string[]): Promise<RunnerReport> {
  runner = fork(new URL('./fixtures/pin-runner.ts', import.meta.url), args, {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  runner.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(runner, 'exit').then(([code]) => {
    throw new Error(`pin-runner exited (${code}) before reporting:\n${stderr}`);
  });
  exited.catch(() => {});
  const [report] = (await Promise.race([once(runner, 'message'), exited])) as [RunnerReport];
  return report;
}

/** Every thread of `pid` and the CPUs it may run on, as `tid → "0"` (at least the main thread). */
function affinity(pid: number): Record<string, string> {
  const threads = threadAffinity(pid);
  expect(threads.size, `threads of ${pid}`).toBeGreaterThan(0);
  return Object.fromEntries([...threads].map(([tid, cpus]) => [String(tid), cpus.join(',')]));
}

/** Reads the threads of `pid` once and expects each of them to be restricted to `cpus`; returns the reading. */
function expectAllOn(pid: number, cpus: string): Record<string, string> {
  const reading = affinity(pid);
  expect(reading, `threads of ${pid}`).toEqual(Object.fromEntries(Object.keys(reading).map((tid) => [tid, cpus])));
  return reading;
}

describe.skipIf(!canPin)('pinned processes (taskset, 2 CPUs)', () => {
  it('puts every thread of a forked server on the server CPU, the runner and what it spawns on the other', async () => {
    const { plan, runner: runnerPid, server, helper } = await startRunner([]);
    expect(plan.pinned).toBe(true);
    if (!plan.pinned) return;
    const [serverCpu, runnerCpu] = allowedCpus();
    expect([plan.serverCpu, plan.runnerCpu]).toEqual([serverCpu, runnerCpu]);
    // A Node server has its main thread, V8's platform workers, the inspector's signal thread and (started
    // by the fixture before it listens) libuv's pool: each must be on the server CPU.
    expect(Object.keys(expectAllOn(server, String(plan.serverCpu))).length).toBeGreaterThanOrEqual(8);
    expectAllOn(runnerPid, String(plan.runnerCpu));
    expectAllOn(helper, String(plan.runnerCpu));
  });

  it('--unpinned leaves every process with the affinity it inherited', async () => {
    const inherited = allowedCpus().join(',');
    const { plan, runner: runnerPid, server, helper } = await startRunner(['--unpinned']);
    expect(plan).toEqual({ pinned: false, reason: '--unpinned' });
    for (const pid of [runnerPid, server, helper]) expectAllOn(pid, inherited);
  });
});

describe('the report header', () => {
  const results = (pinning: PinningPlan | undefined): SuiteResults => ({
    environment: {
      date: '2026-01-01T00:00:00.000Z',
      node: 'v24.0.0',
      platform: 'linux/x64',
      cpu: 'Test CPU',
      cpus: 2,
      loadGenerator: 'wrk',
      connections: 50,
      rounds: 4,
      durationSec: 3,
      quick: false,
      ...(pinning === undefined ? {} : { pinning }),
      loadAverage: { start: 0.5, end: 0.6 },
    },
    http: [],
    logger: [],
    traced: [],
    coldStart: { figures: [], unavailable: [] },
    failures: [],
  });
  const header = (pinning: PinningPlan | undefined) => markdownReport(results(pinning)).split('\n')[2];

  it('says where a pinned run ran', () => {
    const plan: PinningPlan = { pinned: true, serverCpu: 0, runnerCpu: 1, taskset: '/usr/bin/taskset' };
    expect(header(plan)).toContain('· pinned: server on CPU 0; load generator and receiver on CPU 1 ·');
    expect(markdownReport(results(plan))).toContain('Pinned with `taskset`');
  });

  it('says why a run was unpinned', () => {
    expect(header({ pinned: false, reason: '--unpinned' })).toContain('· unpinned (--unpinned) ·');
    expect(header({ pinned: false, reason: 'taskset not found' })).toContain('· unpinned (taskset not found) ·');
    expect(markdownReport(results({ pinned: false, reason: 'only 1 CPU available' }))).toContain(
      'Unpinned (only 1 CPU available): the servers, the load generator and the OTLP sink shared every CPU',
    );
  });

  it('renders a run recorded before pinning without claiming either', () => {
    expect(header(undefined)).toContain(`· ${describePinning(undefined)} ·`);
    expect(markdownReport(results(undefined))).not.toMatch(/Pinned with|Unpinned \(/);
  });
});
