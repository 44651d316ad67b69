/**
 * The real end to end (see e2e/harness.ts): demo services scraped by a real Prometheus that loads the
 * generated rules; every dashboard query and recording rule must return data for each service, every rule
 * must evaluate cleanly, every target must be up. Skipped, with the reason shown, only where Prometheus
 * cannot be installed.
 */
import { describe, expect, it } from 'vitest';
import { runE2E, TARGETS } from './e2e/harness.ts';
import { ensurePrometheus } from './helpers/cli.ts';

describe('dashboards and rules against a real Prometheus', () => {
  it('every query returns data for every service', { timeout: 90_000 }, async (ctx) => {
    const reason = ensurePrometheus();
    if (reason) {
      console.warn(`SKIPPED real-Prometheus end to end: ${reason}`);
      ctx.skip(reason);
    }
    const report = await runE2E({ budgetMs: 55_000 });
    expect(Object.keys(report.services).sort()).toEqual(TARGETS.map((t) => t.name).sort());
    expect(report.downTargets).toEqual([]);
    expect(report.ruleErrors).toEqual([]);
    const empty = report.outcomes
      .filter((o) => o.finite === 0 || o.error)
      .map((o) => `${o.service} · ${o.where}${o.error ? ` · ${o.error}` : ''}\n    ${o.expr}`);
    expect(empty, `queries without data:\n${empty.join('\n')}`).toEqual([]);
    // Each service was asked every query of each group it must show.
    for (const target of TARGETS) {
      const service = report.services[target.name];
      const groups = new Set(report.outcomes.filter((o) => o.service === service).map((o) => o.group));
      expect([...groups].sort()).toEqual([...target.expects].sort());
    }
    expect(report.seconds).toBeLessThan(60);
  });
});
