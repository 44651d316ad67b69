/**
 * Child Node processes for tests: spawn the same Node binary as the test runner, collect stdout/stderr lines,
 * parse JSON lines, wait for a line or for the exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';

/** Options of {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Node options before the script, e.g. `['--import', '@autotelemetry/node/register']`. */
  readonly execArgv?: readonly string[];
  /**
   * Extra environment. The child inherits the test's environment minus `NODE_ENV` and vitest's own variables
   * (a vitest run sets `NODE_ENV=test`, which would silently pick the TEST defaults); set them here if wanted.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory. */
  readonly cwd?: string;
  /** Kill the child (SIGKILL) if it is still running after this many milliseconds. Default 30 000. */
  readonly killAfterMs?: number;
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running (or finished) child Node process. */
export interface NodeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Complete stdout lines so far. */
  readonly stdout: readonly string[];
  /** Complete stderr lines so far. */
  readonly stderr: readonly string[];
  /** Stdout lines that parse as JSON objects, parsed. */
  json(): Record<string, unknown>[];
  /** Resolves with the first line (present or future) on the stream that matches. */
  waitForLine(match: string | RegExp | ((line: string) => boolean), options?: WaitForLineOptions): Promise<string>;
  /** Resolves when the child has exited (and its output is fully read). */
  readonly exited: Promise<ChildExit>;
  /** Sends a signal. */
  kill(signal?: NodeJS.Signals): void;
}

/** Options of {@link NodeProcess.waitForLine}. */
export interface WaitForLineOptions {
  readonly stream?: 'stdout' | 'stderr';
  readonly timeoutMs?: number;
}

const running = new Set<ChildProcess>();

function childEnv(extra: SpawnNodeOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_ENV' || key.startsWith('VITEST') || key === 'TEST' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function toPredicate(match: string | RegExp | ((line: string) => boolean)): (line: string) => boolean {
  if (typeof match === 'function') return match;
  if (typeof match === 'string') return (line) => line.includes(match);
  return (line) => match.test(line);
}

/** Spawns `process.execPath` on `script` and collects its output line by line. */
export function spawnNode(script: string, options: SpawnNodeOptions = {}): NodeProcess {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), script, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const events = new EventEmitter();
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      partial += chunk;
      let newline = partial.indexOf('\n');
      while (newline !== -1) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        lines[stream].push(line);
        events.emit('line', stream, line);
        newline = partial.indexOf('\n');
      }
    });
    child[stream]?.on('end', () => {
      if (partial !== '') {
        lines[stream].push(partial);
        events.emit('line', stream, partial);
        partial = '';
      }
    });
  }
  const killTimer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);
  killTimer.unref();
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      running.delete(child);
      resolve({ code, signal });
    });
  });

  return {
    child,
    pid: child.pid ?? -1,
    stdout: lines.stdout,
    stderr: lines.stderr,
    json() {
      const out: Record<string, unknown>[] = [];
      for (const line of lines.stdout) {
        if (!line.startsWith('{')) continue;
        try {
          out.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // Not JSON after all: the caller asked for JSON lines only.
        }
      }
      return out;
    },
    waitForLine(match, waitOptions = {}) {
      const stream = waitOptions.stream ?? 'stdout';
      const test = toPredicate(match);
      const found = lines[stream].find(test);
      if (found !== undefined) return Promise.resolve(found);
      const timeoutMs = waitOptions.timeoutMs ?? 15_000;
      return new Promise((resolve, reject) => {
        const onLine = (from: string, line: string): void => {
          if (from !== stream || !test(line)) return;
          cleanup();
          resolve(line);
        };
        const onExit = (): void => {
          cleanup();
          reject(
            new Error(
              `child exited before printing a line matching ${String(match)} on ${stream}.\n` +
                `stdout:\n${lines.stdout.join('\n')}\nstderr:\n${lines.stderr.join('\n')}`,
            ),
          );
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for a line matching ${String(match)} on ${stream}.\n` +
                `stdout:\n${lines.stdout.join('\n')}\nstderr:\n${lines.stderr.join('\n')}`,
            ),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          events.off('line', onLine);
          child.off('close', onExit);
        };
        events.on('line', onLine);
        child.once('close', onExit);
      });
    },
    exited,
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
}

/** Kills every child still running (for `afterEach`/`afterAll`). */
export async function killAllChildren(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(new Promise((resolve) => child.once('close', resolve)));
      child.kill('SIGKILL');
    }
  }
  await Promise.all(waits);
}
