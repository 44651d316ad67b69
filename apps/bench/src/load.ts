/**
 * The HTTP load generator: wrk when it is on the machine (a C program, so it takes little of the CPU the
 * server under test needs — `scripts/ensure-bench-tools.sh` installs it), else autocannon in this process.
 * Both keep a fixed number of connections busy for a fixed time and report completed requests and latency
 * percentiles. A window with a fixed rate (`rate`) is always autocannon's (wrk cannot pace its requests): every
 * contender then serves the same load, so their CPU per request compares work for equal work.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

/** What one load window measured on the client side. */
export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors, timeouts and non-2xx answers. */
  readonly errors: number;
}

/** One load window's shape. */
export interface LoadOptions {
  readonly port: number;
  /** The path requested; with `distinct`, the prefix to which a counter (0 … distinct − 1) is appended. */
  readonly path: string;
  readonly distinct?: number;
  readonly durationSec: number;
  readonly connections: number;
  /** Requests per second offered over all connections; unset: as many as the server answers. */
  readonly rate?: number;
}

/** Which generator this run uses. */
export type LoadGeneratorName = 'wrk' | 'autocannon';

let detected: LoadGeneratorName | undefined;

/** wrk if it runs here, else autocannon. */
export function loadGenerator(): LoadGeneratorName {
  if (detected === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' });
      detected = 'wrk';
    } catch (error) {
      // `wrk --version` exits 1 after printing its version; only a missing binary means "not here".
      detected = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'autocannon' : 'wrk';
    }
  }
  return detected;
}

/** Forces the generator (tests; `--autocannon`). */
export function useLoadGenerator(name: LoadGeneratorName): void {
  detected = name;
}

/** Runs one load window. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return loadGenerator() === 'wrk' && options.rate === undefined ? runWrk(options) : runAutocannon(options);
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (match === null) return Number.NaN;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/** Parses wrk's `--latency` report. */
export function parseWrk(output: string, durationSec: number): LoadResult {
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? Number.NaN);
  const p50 = /^\s*50%\s+(\S+)/m.exec(output)?.[1];
  const p99 = /^\s*99%\s+(\S+)/m.exec(output)?.[1];
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  if (!Number.isFinite(requests) || p50 === undefined || p99 === undefined) {
    throw new Error(`could not read wrk's report:\n${output}`);
  }
  return {
    requests,
    rps: requests / durationSec,
    p50Ms: durationMs(p50),
    p99Ms: durationMs(p99),
    errors: non2xx + socketErrors,
  };
}

let scriptDir: string | undefined;
function distinctPathsScript(distinct: number): string {
  scriptDir ??= mkdtempSync(join(tmpdir(), 'autotelemetry-bench-'));
  const file = join(scriptDir, `distinct-${distinct}.lua`);
  // One request object per URL, built once: wrk then cycles through them without building strings per request.
  writeFileSync(
    file,
    [
      'local requests = {}',
      'local n = 0',
      `init = function(args) for i = 0, ${distinct - 1} do requests[i] = wrk.format(nil, args[1] .. i) end end`,
      `request = function() n = (n + 1) % ${distinct}; return requests[n] end`,
      '',
    ].join('\n'),
  );
  return file;
}

process.on('exit', () => {
  if (scriptDir !== undefined) rmSync(scriptDir, { recursive: true, force: true });
});

function runWrk(options: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.durationSec}s`, '--latency', '--timeout', '5s'];
  if (options.distinct !== undefined) args.push('-s', distinctPathsScript(options.distinct));
  args.push(`http://127.0.0.1:${options.port}${options.distinct === undefined ? options.path : '/'}`);
  if (options.distinct !== undefined) args.push('--', options.path);
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`wrk failed: ${error.message}\n${stderr}`));
      else {
        try {
          resolve(parseWrk(stdout, options.durationSec));
        } catch (parseError) {
          reject(parseError);
        }
      }
    });
  });
}

async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const { distinct } = options;
  let counter = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${options.port}`,
    connections: options.connections,
    duration: options.durationSec,
    ...(options.rate !== undefined ? { overallRate: options.rate } : {}),
    requests: [
      distinct === undefined
        ? { method: 'GET', path: options.path }
        : {
            method: 'GET',
            setupRequest: (request) => {
              counter = (counter + 1) % distinct;
              return { ...request, path: `${options.path}${counter}` };
            },
          },
    ],
  });
  const requests = result.requests.total;
  return {
    requests,
    rps: requests / options.durationSec,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}
