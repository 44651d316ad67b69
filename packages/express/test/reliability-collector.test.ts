/**
 * Collector faults against a real Express app under load (the short version; `node scripts/soak.mjs` is the
 * long one). Two identical app processes run side by side under the same open-loop load from a third
 * process, both pinned to one CPU when `taskset` exists: the reference keeps a healthy collector, the subject's
 * collector goes through each fault in turn — closed port, black hole, slow (5 s per export), HTTP 500 /
 * gRPC INTERNAL, HTTP 429 / gRPC RESOURCE_EXHAUSTED — then comes back. For each fault:
 *
 * - no request fails, and the subject's p99 latency stays within 10 % of the reference's over the same
 *   seconds (or within {@link P99_FLOOR_MS}: loopback p99s are a few ms and that is their noise); a fault
 *   whose comparison fails is played a second time (other test files share the machine), and the second
 *   attempt must hold — a slowdown the fault causes comes back, a burst of other work does not;
 * - the subject's RSS stays below 1.3× the reference's, and its heap after a full GC stays flat across the
 *   five outages;
 * - exactly one warning per outage, never one per batch;
 * - export resumes: the subject writes one "recovered" line, and spans of requests made after it arrive.
 *
 * The OTLP timeout is shortened to 2 s (and the metric interval to 2 s) here so that each outage is detected
 * within the short windows; with it, a collector that takes 5 s per export is down as far as the exporter
 * can tell. The soak runs with the defaults (10 s, 15 s), where the same collector is slow but up.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COLLECTOR_FAULTS,
  type CollectorFaultsFigures,
  type PairedWindow,
  runCollectorFaults,
} from './fixtures/reliability-faults.mjs';

/** Below this difference two p99s are the same: loopback latencies are a few ms and vary by that much. */
const P99_FLOOR_MS = 5;
/** Allowed p99 slowdown of the subject against the reference. */
const P99_TOLERANCE = 1.1;

/** Within 10 % by the overall p99 or by the median of per-window ratios, or within the floor. */
function withinTolerance(window: PairedWindow): boolean {
  const { reference, subject } = window;
  return (
    subject.p99_ms <= reference.p99_ms * P99_TOLERANCE ||
    subject.p99_ms - reference.p99_ms <= P99_FLOOR_MS ||
    (window.p99_ratio_windows >= 3 && window.p99_ratio_windows_median <= P99_TOLERANCE)
  );
}

let figures: CollectorFaultsFigures;

beforeAll(async () => {
  figures = await runCollectorFaults({
    otlpTimeoutMs: 2000,
    metricIntervalMs: 2000,
    phaseMs: 4000,
    rps: 1000,
    connections: 8,
    // Other test files share the machine: a fault whose latency comparison is spoiled is played once more.
    accept: withinTolerance,
    maxAttempts: 2,
  });
  // The full figures for the record; one line per window on the console.
  const file = join(tmpdir(), 'autotelemetry-collector-faults.json');
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  const line = (name: string, w: PairedWindow): string =>
    `${name}: p99 ${w.subject.p99_ms} ms (reference ${w.reference.p99_ms} ms, per-window ratio ${w.p99_ratio_windows_median}), ` +
    `${w.subject.rps} rps, RSS ${w.subject.rss_mb} MB (reference ${w.reference.rss_mb} MB)`;
  console.log(
    [
      `collector faults (${file}):`,
      line('both healthy', figures.both_healthy),
      ...figures.faults.map(
        (f) =>
          `${line(f.fault, f)}, heap ${f.subject_heap_after_gc_mb} MB, warnings ${f.warnings}, recovered in ${f.recovery_ms} ms, ` +
          `${f.markers_arrived}/${f.markers_sent} spans after recovery` +
          (f.attempts > 1 ? `, played ${f.attempts} times (earlier: ${JSON.stringify(f.earlier_attempts)})` : ''),
      ),
    ].join('\n'),
  );
}, 180_000);

describe('collector faults under load', () => {
  it('loads both apps and decodes every export', () => {
    expect(figures.faults.map((f) => f.fault)).toEqual(COLLECTOR_FAULTS.map((f) => f.name));
    expect(figures.decode_errors).toBe(0);
    for (const window of [figures.both_healthy, ...figures.faults]) {
      expect(window.reference.errors).toBe(0);
      expect(window.subject.errors).toBe(0);
      // Under load all along (a machine stalled by other work can slow both apps to a crawl for a while).
      expect(window.subject.requests).toBeGreaterThan(50);
      expect(window.reference.requests).toBeGreaterThan(50);
    }
  });

  it.each(COLLECTOR_FAULTS.map((f) => f.name))('%s: exactly one warning, then recovery and export resumes', (name) => {
    const fault = figures.faults.find((f) => f.fault === name);
    // One warning for this outage — or none if it merely continues one already reported (a starved machine
    // can time out a healthy export just before the fault begins).
    expect(fault?.warnings, JSON.stringify(fault)).toBe(fault?.down_at_start ? 0 : 1);
    for (const message of fault?.warning_messages ?? []) {
      expect(message).toMatch(/^Telemetry export to OTLP collector .* failed/);
    }
    expect(fault?.outage).toBe(true);
    expect(fault?.recovered).toBe(true);
    expect(fault?.markers_arrived).toBe(fault?.markers_sent);
  });

  it('warns once per outage over the whole run: as many warnings as recoveries, nothing else', () => {
    expect(figures.subject_outages_warned).toBe(figures.subject_recoveries);
    expect(figures.subject_warnings_total).toBe(figures.subject_outages_warned);
    const played = figures.faults.reduce((sum, f) => sum + f.attempts, 0);
    expect(figures.subject_outages_warned).toBeGreaterThanOrEqual(played);
  });

  it('keeps memory bounded: RSS below 1.3× the reference, heap after GC flat across the outages', () => {
    for (const fault of figures.faults) {
      expect(fault.subject.rss_mb, fault.fault).toBeLessThan(fault.reference.rss_mb * 1.3);
    }
    const heaps = figures.faults.map((f) => f.subject_heap_after_gc_mb);
    expect(Math.max(...heaps) - Math.min(...heaps)).toBeLessThan(8);
  });

  it('keeps the p99 latency within 10 % of the healthy reference (floor 5 ms)', () => {
    // How alike two identical apps measure on this machine right now (both collectors healthy).
    const resolvable = withinTolerance(figures.both_healthy);
    for (const fault of figures.faults) {
      if (resolvable) {
        expect(withinTolerance(fault), `${fault.fault}: ${JSON.stringify(fault)}`).toBe(true);
      } else {
        // The machine is too busy to tell 10 % apart (two identical healthy apps already differ by more):
        // only a gross slowdown can be seen, and is still refused.
        console.warn(
          `p99 comparison at 10 % not resolvable on this machine now (both healthy: ${JSON.stringify(figures.both_healthy)}); checking for a gross slowdown only`,
        );
        expect(fault.subject.p99_ms, fault.fault).toBeLessThan(fault.reference.p99_ms * 2 + P99_FLOOR_MS);
      }
    }
  });
});
