/**
 * Runs the real end to end by hand and prints what Prometheus answered for each query and service:
 *
 *   pnpm build && pnpm --filter @autotelemetry/cli e2e:prometheus [--keep]
 *
 * Installs Prometheus with scripts/ensure-prometheus.sh when missing. `--keep` leaves Prometheus and the
 * services running (on 127.0.0.1) after the checks, to look around in Prometheus' UI, until Ctrl-C.
 * Exits 1 when a query returns no data, a rule fails to evaluate or a target is down.
 */
import { runE2E } from '../test/e2e/harness.ts';
import { ensurePrometheus } from '../test/helpers/cli.ts';

const keep = process.argv.includes('--keep');
const reason = ensurePrometheus();
if (reason) {
  console.error(`cannot run: ${reason}`);
  process.exit(1);
}
const keepUntil = keep
  ? new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    })
  : undefined;
const report = await runE2E({
  log: (line) => console.log(`· ${line}`),
  ...(keepUntil ? { keepUntil, budgetMs: 55_000 } : {}),
});

const width = Math.max(...report.outcomes.map((o) => o.where.length));
for (const [target, service] of Object.entries(report.services)) {
  console.log(`\n${target} (service_name="${service}")`);
  for (const o of report.outcomes.filter((x) => x.service === service)) {
    const mark = o.finite > 0 && !o.error ? '✔' : '✖';
    console.log(`  ${mark} ${o.where.padEnd(width)}  ${o.error ?? `${o.series} series, ${o.finite} with a value`}`);
  }
}
const empty = report.outcomes.filter((o) => o.finite === 0 || o.error).length;
console.log(
  `\n${report.outcomes.length} queries, ${empty} without data; ${report.ruleErrors.length} rule errors; ` +
    `${report.downTargets.length} targets down; ${report.seconds.toFixed(1)} s`,
);
for (const e of [...report.ruleErrors, ...report.downTargets]) console.log(`  ✖ ${e}`);
process.exitCode = empty + report.ruleErrors.length + report.downTargets.length > 0 ? 1 : 0;
