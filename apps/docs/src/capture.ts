/**
 * The quick start shows real output, captured from the demos rather than written by hand.
 *
 * A page marks each captured block with `<!-- capture:ID -->` … `<!-- /capture -->`. `capture` (the CLI)
 * runs the demos and rewrites those blocks; the docs test runs them again and checks that the page still
 * shows what a newcomer gets, once the parts that differ on every run (ids, timestamps, durations, paths,
 * measured values) are masked.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a demo run printed. */
export interface DemoOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** A demo command, run from the repository root. */
export interface DemoRun {
  /** Folder of the demo, relative to the repository root. */
  readonly cwd: string;
  /** Arguments to `node`. */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /**
   * For a demo that is a server: the run waits for `ready` (its first group is the port) on the server's
   * output, runs `client` (arguments to `node`, with `PORT` set), then stops the server with SIGTERM — so
   * its exit flush runs — and returns the server's output.
   */
  readonly serve?: { readonly ready: RegExp; readonly client: readonly string[] };
}

/** One captured block: which run it comes from and how its text is picked from the output. */
export interface CaptureDefinition {
  readonly id: string;
  /** Fence language of the block on the page. */
  readonly lang: string;
  readonly run: DemoRun;
  pick(output: DemoOutput): string;
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

function firstLine(text: string, test: (line: string) => boolean, what: string): string {
  const line = lines(text).find(test);
  if (line === undefined) throw new Error(`capture: no line for ${what}`);
  return line;
}

/** The first JSON log line whose message is `message`. */
function logLine(stdout: string, message: string): string {
  return firstLine(
    stdout,
    (line) => {
      try {
        return (JSON.parse(line) as { message?: unknown }).message === message;
      } catch {
        return false;
      }
    },
    `the log line "${message}"`,
  );
}

const SCRIPT_DEMO: DemoRun = { cwd: 'apps/script-demo', args: ['src/main.ts'], env: { DEMO_METRICS_PORT: '19464' } };
// The server demos run in development (readable lines, spans on the console); no /metrics port, so that
// several can run at once.
const SERVER_ENV = { AUTOTELEMETRY_PROMETHEUS_PORT: 'false', NODE_ENV: 'development' };
const EXPRESS_DEMO: DemoRun = { cwd: 'apps/express-demo', args: ['src/tour.ts'], env: SERVER_ENV };
const FASTIFY_DEMO: DemoRun = { cwd: 'apps/fastify-demo', args: ['src/tour.ts'], env: SERVER_ENV };
const NEST_DEMO: DemoRun = {
  cwd: 'apps/nest-demo',
  args: ['dist/main.js'],
  env: { ...SERVER_ENV, PORT: '39170' },
  serve: { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/, client: ['dist/tour.js'] },
};

/** The access line of the request for `route` answered with `status` (text or JSON format). */
function accessLine(output: string, route: string, status: number): string {
  return firstLine(
    output,
    (line) =>
      line.includes(`${route} ${status} `) ||
      (line.includes(`"route":"${route}"`) && line.includes(`"status":${status}`)),
    `the access line of ${route} ${status}`,
  );
}

/** The console line of the SERVER span named `name`. */
function serverSpan(stderr: string, name: string): string {
  return firstLine(stderr, (line) => line.startsWith(`span ${name} `) && line.includes(' SERVER '), `the span ${name}`);
}

/** Every captured block of the documentation. */
export const CAPTURES: readonly CaptureDefinition[] = [
  {
    id: 'express-log',
    lang: 'text',
    run: EXPRESS_DEMO,
    pick: (output) => accessLine(output.stdout, '/api/catalog/products/:sku', 200),
  },
  {
    id: 'express-span',
    lang: 'text',
    run: EXPRESS_DEMO,
    pick: (output) => serverSpan(output.stderr, 'GET /api/catalog/products/:sku'),
  },
  {
    id: 'fastify-log',
    lang: 'text',
    run: FASTIFY_DEMO,
    pick: (output) => accessLine(output.stdout, '/api/catalog/products/:sku', 200),
  },
  {
    id: 'fastify-span',
    lang: 'text',
    run: FASTIFY_DEMO,
    pick: (output) => serverSpan(output.stderr, 'GET /api/catalog/products/:sku'),
  },
  {
    id: 'nest-log',
    lang: 'text',
    run: NEST_DEMO,
    pick: (output) => accessLine(output.stdout + output.stderr, '/api/v1/orders/:id', 200),
  },
  {
    id: 'nest-span',
    lang: 'text',
    run: NEST_DEMO,
    pick: (output) => serverSpan(output.stderr, 'GET /api/v1/orders/:id'),
  },
  {
    id: 'script-log',
    lang: 'json',
    run: SCRIPT_DEMO,
    pick: (output) => logLine(output.stdout, 'Processing done'),
  },
  {
    id: 'script-spans',
    lang: 'text',
    run: SCRIPT_DEMO,
    pick: (output) =>
      lines(output.stderr)
        .filter((line) => /^span pipeline\.(enrich|run) /.test(line))
        .join('\n'),
  },
  {
    id: 'script-metrics',
    lang: 'text',
    run: SCRIPT_DEMO,
    pick: (output) => {
      const all = lines(output.stderr);
      const start = all.findIndex((line) => line.startsWith('── Metrics scraped'));
      if (start < 0) throw new Error('capture: no metrics summary in the script demo output');
      return all
        .slice(start, start + 7)
        .concat(all.slice(start).filter((line) => line.includes('runtime/system families')))
        .join('\n');
    },
  },
];

/** Runs a demo to its end (bounded in time) with the given Node. */
export function runDemo(root: string, run: DemoRun, node = process.execPath, timeoutMs = 60_000): Promise<DemoOutput> {
  return new Promise((resolve, reject) => {
    const cwd = join(root, run.cwd);
    const child = spawn(node, [...run.args], {
      cwd,
      env: { ...process.env, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let clientStarted = false;
    const maybeStartClient = (): void => {
      if (!run.serve || clientStarted) return;
      const port = run.serve.ready.exec(stdout + stderr)?.[1];
      if (port === undefined) return;
      clientStarted = true;
      const client = spawn(node, [...run.serve.client], {
        cwd,
        env: { ...process.env, ...run.env, PORT: port },
        stdio: 'ignore',
      });
      client.on('error', reject);
      client.on('close', () => child.kill('SIGTERM'));
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      maybeStartClient();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      maybeStartClient();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo ${run.cwd} ${run.args.join(' ')} did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A server stopped by our SIGTERM ended as asked.
      resolve({ stdout, stderr, code: run.serve && (signal === 'SIGTERM' || code === 143) ? 0 : code });
    });
  });
}

/** Runs each distinct demo once and returns every capture's text, by id. */
export async function captureAll(
  root: string,
  captures: readonly CaptureDefinition[] = CAPTURES,
): Promise<Map<string, string>> {
  const runs = new Map<DemoRun, Promise<DemoOutput>>();
  const out = new Map<string, string>();
  for (const capture of captures) {
    let output = runs.get(capture.run);
    if (!output) {
      output = runDemo(root, capture.run);
      runs.set(capture.run, output);
    }
    const result = await output;
    if (result.code !== 0) {
      throw new Error(`demo ${capture.run.cwd} exited with ${result.code}:\n${result.stderr.slice(-2000)}`);
    }
    out.set(capture.id, capture.pick(result).trimEnd());
  }
  return out;
}

// The block's text may be empty, and never runs into the next marker.
const BLOCK = /<!-- capture:([\w-]+) -->\n```(\w*)\n((?:(?!<!-- capture:)[\s\S])*?)\n?```\n<!-- \/capture -->/g;

/** The captured blocks a page holds, by id. */
export function readCapturedBlocks(page: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of page.matchAll(BLOCK)) blocks.set(match[1]!, match[3]!);
  return blocks;
}

/** Rewrites the page's captured blocks with fresh text; blocks with no fresh text are left as they are. */
export function fillCapturedBlocks(page: string, fresh: ReadonlyMap<string, string>): string {
  return page.replace(BLOCK, (whole, id: string, lang: string) => {
    const text = fresh.get(id);
    return text === undefined ? whole : `<!-- capture:${id} -->\n\`\`\`${lang}\n${text}\n\`\`\`\n<!-- /capture -->`;
  });
}

/**
 * Masks what changes from run to run, so two captures of the same behaviour compare equal: trace and span
 * ids, timestamps, numbers with a fraction or a unit of time/size, absolute paths.
 */
export function maskVolatile(text: string): string {
  return text
    .replace(/\b[0-9a-f]{32}\b/g, '<trace-id>')
    .replace(/\b[0-9a-f]{16}\b/g, '<span-id>')
    .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?/g, '<time>')
    .replace(/(?:file:\/\/)?\/[\w./@+-]+\.(?:[cm]?[jt]s)(?::\d+:\d+)?/g, '<path>')
    .replace(/-?\d+\.\d+(?:e[+-]?\d+)?(ms|s)?\b/g, '<n>$1')
    .replace(
      /("(?:processing_time_ms|memory_usage_mb|memory_delta_mb|throughput_rows_per_s|duration_ms)":)-?\d+/g,
      '$1<n>',
    )
    .replace(/(heap_delta_bytes=)-?\d+/g, '$1<n>')
    .replace(/(server\.port=|127\.0\.0\.1:)\d+/g, '$1<port>')
    .replace(/\(\d+ families/g, '(<n> families')
    .replace(/…and \d+ runtime/g, '…and <n> runtime');
}

/** Rewrites every page that has captured blocks. Returns the pages changed. */
export async function updateCapturedPages(root: string, pages: readonly string[]): Promise<string[]> {
  const fresh = await captureAll(root);
  const changed: string[] = [];
  for (const page of pages) {
    const path = join(root, page);
    const before = readFileSync(path, 'utf8');
    const after = fillCapturedBlocks(before, fresh);
    if (after !== before) {
      writeFileSync(path, after);
      changed.push(page);
    }
  }
  return changed;
}
