/**
 * The benchmark suite's smoke run (`--quick`): every scenario starts, is loaded and yields figures. No timing
 * is asserted — the figures of a one-second round on a busy machine mean nothing — only that each contender
 * ran and produced finite, positive numbers, and that the report was written. Runs the built packages.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuiteResults } from '../src/report.ts';
import { coldStartSpecs, httpGroups } from '../src/scenarios.ts';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'autotelemetry-bench-test-'));
let results: SuiteResults;
let report: string;

beforeAll(async () => {
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ['src/run-all.ts', '--quick', '--out', outDir],
      { cwd: benchDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve()),
    );
  });
  results = JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as SuiteResults;
  report = readFileSync(join(outDir, 'latest.md'), 'utf8');
}, 240_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const positive = (n: number) => Number.isFinite(n) && n > 0;

describe('bench --quick', () => {
  it('loads every contender of every HTTP group and measures rps, latency, CPU and RSS', () => {
    for (const spec of httpGroups()) {
      const group = results.http.find((g) => g.key === spec.key);
      expect(group, spec.key).toBeDefined();
      expect(group?.unavailable, spec.key).toEqual([]);
      expect(group?.loads.map((l) => l.key)).toEqual(spec.loads.map((l) => l.key));
      for (const load of group?.loads ?? []) {
        const where = `${spec.key}/${load.key}`;
        expect(load.windows.length, where).toBe(results.environment.rounds);
        expect(positive(load.rps), where).toBe(true);
        expect(positive(load.cpuUsPerRequest), where).toBe(true);
        expect(positive(load.rssPeakMb), where).toBe(true);
        expect(Number.isFinite(load.p50Ms) && Number.isFinite(load.p99Ms), where).toBe(true);
        // Socket timeouts on an overloaded machine are timing, not failure: only ask that requests got answers.
        for (const window of load.windows) expect(window.requests, where).toBeGreaterThan(0);
        expect(positive(load.ratio), where).toBe(true);
        // A paced load is offered at its rate, never more (a server may answer fewer on a busy machine).
        const rate = spec.loads.find((l) => l.key === load.key)?.rate;
        if (rate !== undefined) expect(load.rps, where).toBeLessThanOrEqual(rate * 1.1);
      }
    }
  });

  it('runs the logger and traced() comparisons', () => {
    expect(results.failures).toEqual([]);
    expect(results.logger.length).toBeGreaterThanOrEqual(3);
    expect(results.traced.length).toBeGreaterThanOrEqual(2);
    for (const c of [...results.logger, ...results.traced]) {
      expect(positive(c.baseline.median) && positive(c.candidate.median) && positive(c.ratio), c.scenario).toBe(true);
    }
  });

  it('cold-starts every contender to a first answered request', () => {
    expect(results.coldStart.unavailable).toEqual([]);
    expect(results.coldStart.figures.map((c) => c.key)).toEqual(coldStartSpecs().map((c) => c.key));
    for (const c of results.coldStart.figures) expect(positive(c.medianMs), c.key).toBe(true);
  });

  it('writes the markdown report with the environment and the goals', () => {
    expect(report).toContain(`Node ${process.version}`);
    expect(report).toContain('## Goals');
    expect(report).toContain('## Cold start');
    expect(report).not.toContain('n/a');
  });
});
