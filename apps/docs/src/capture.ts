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

/** Every captured block of the documentation. */
export const CAPTURES: readonly CaptureDefinition[] = [
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
    const child = spawn(node, [...run.args], {
      cwd: join(root, run.cwd),
      env: { ...process.env, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo ${run.cwd} ${run.args.join(' ')} did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
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
