/**
 * The viewer's memory under load, in a real process: 50,000 requests to the demo in development leave the
 * viewer's buffers at their bounds and the heap where it was after the first 5,000.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const LOAD = fileURLToPath(new URL('./fixtures/viewer-load.ts', import.meta.url));

interface LoadReport {
  requests: number;
  traces: number;
  droppedTraces: number;
  logLines: number;
  maxTraces: number;
  maxLogLines: number;
  warmHeap: number;
  endHeap: number;
}

function runLoad(): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', LOAD], {
      env: { ...process.env, NODE_ENV: 'development', REQUESTS: '50000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
      if (code !== 0 || line === undefined) reject(new Error(`load exited ${code}: ${err}\n${out}`));
      else resolve(JSON.parse(line) as LoadReport);
    });
  });
}

it('keeps its buffers at their bounds over 50,000 requests, with a flat heap', async () => {
  const report = await runLoad();
  expect(report.requests).toBe(50_000);
  expect(report.traces).toBe(report.maxTraces);
  expect(report.droppedTraces).toBe(50_000 - report.maxTraces);
  expect(report.logLines).toBe(report.maxLogLines);
  // Flat: what 45,000 more requests add is noise, not a buffer growing by a record per request
  // (45,000 kept span copies alone would take tens of megabytes).
  const growth = report.endHeap - report.warmHeap;
  expect(growth, `heap ${report.warmHeap} -> ${report.endHeap}`).toBeLessThan(3 * 1024 * 1024);
}, 180_000);
