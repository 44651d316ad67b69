/**
 * One warning per outage even when the collector flaps: a collector that fails one export and answers the
 * next (overloaded, or slower than one signal's timeout and not another's) must not write a warning and a
 * "recovered" line per batch. Driven through the real ResilientExporter and ExportHealth with a clock the
 * test controls; the collector-fault test (packages/express) shows the same over real processes.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { ExportHealth, PROBE_INTERVAL_MS, RECOVERY_CONFIRM_MS } from '../src/export/export-health.js';
import { ResilientExporter } from '../src/export/resilient-exporter.js';
import { createNotices } from '../src/notices.js';

function harness(answer: () => boolean) {
  const lines: string[] = [];
  const notices = createNotices();
  notices.setSink({ warn: (m) => lines.push(`WARN ${m}`), info: (m) => lines.push(`INFO ${m}`) });
  const clock = { now: 1_000_000 };
  const health = new ExportHealth('flaky collector', notices, () => clock.now);
  let attempts = 0;
  const exporter = new ResilientExporter<string[]>(
    'traces',
    async () => ({
      export(_items, callback) {
        attempts++;
        callback(answer() ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED });
      },
      shutdown: async () => {},
    }),
    health,
    (items) => items.length,
  );
  const exportOnce = (): Promise<ExportResult> => new Promise((resolve) => exporter.export(['x'], resolve));
  return { lines, clock, health, exportOnce, attempts: () => attempts };
}

describe('a flapping collector', () => {
  it('is one outage with one warning while it keeps failing within RECOVERY_CONFIRM_MS of answering', async () => {
    let call = 0;
    // Answers every other attempt: while down only a probe (every PROBE_INTERVAL_MS) is attempted and it
    // succeeds; the next export, half a second later (a busy app exports often), fails again.
    const { lines, clock, health, exportOnce, attempts } = harness(() => call++ % 2 === 1);
    for (let i = 0; i < 400; i++) {
      clock.now += 500;
      expect((await exportOnce()).code).toBe(ExportResultCode.SUCCESS);
    }
    expect(attempts()).toBeGreaterThan(30);
    expect(lines.filter((l) => l.startsWith('WARN'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('INFO'))).toHaveLength(0);
    expect(health.snapshot().outages).toBe(1);
  });

  it('declares the recovery once the collector answered for RECOVERY_CONFIRM_MS, then warns again on a new outage', async () => {
    let healthy = false;
    const { lines, clock, health, exportOnce } = harness(() => healthy);
    await exportOnce();
    expect(health.isDown).toBe(true);
    healthy = true;
    clock.now += PROBE_INTERVAL_MS;
    await exportOnce();
    // Answering again, not yet declared recovered; exports are attempted normally meanwhile.
    expect(health.isDown).toBe(false);
    expect(lines).toHaveLength(1);
    for (let t = 0; t < RECOVERY_CONFIRM_MS; t += 250) {
      clock.now += 250;
      await exportOnce();
    }
    expect(lines.map((l) => l.slice(0, 4))).toEqual(['WARN', 'INFO']);
    healthy = false;
    await exportOnce();
    expect(lines.map((l) => l.slice(0, 4))).toEqual(['WARN', 'INFO', 'WARN']);
    expect(health.snapshot().outages).toBe(2);
  });

  it('announces a quiet recovery late rather than never: a failure long after answering again is a new outage', async () => {
    let healthy = false;
    const { lines, clock, exportOnce } = harness(() => healthy);
    await exportOnce();
    healthy = true;
    clock.now += PROBE_INTERVAL_MS;
    await exportOnce();
    // No export for a minute (an idle app), then a failure: the first outage ended, a second one begins.
    clock.now += 60_000;
    healthy = false;
    await exportOnce();
    expect(lines.map((l) => l.slice(0, 4))).toEqual(['WARN', 'INFO', 'WARN']);
  });
});
