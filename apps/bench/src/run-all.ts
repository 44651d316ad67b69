/**
 * The whole benchmark suite, one run: a markdown report on standard output, and the figures as JSON in
 * `results/` (`latest.json` is kept in git, dated copies are not). Each scenario compares AutoTelemetry
 * with its raw baseline in the same process, so the ratios are what to compare between machines.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { markdownTable, roundsDetail } from './harness.ts';
import { runLoggerBench } from './logger.ts';

const comparisons = [...runLoggerBench()];
const environment = {
  node: process.version,
  platform: `${process.platform}/${process.arch}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpus: cpus().length,
};
console.log(
  `# AutoTelemetry benchmarks\n\nNode ${environment.node}, ${environment.platform}, ${environment.cpus} × ${environment.cpu}; medians of interleaved rounds.\n\n${markdownTable(comparisons)}\n\n${roundsDetail(comparisons)}\n`,
);
const results = new URL('../results/', import.meta.url);
mkdirSync(results, { recursive: true });
const report = `${JSON.stringify({ date: new Date().toISOString(), environment, comparisons }, null, 2)}\n`;
writeFileSync(new URL(`${new Date().toISOString().replace(/[:.]/g, '-')}.json`, results), report);
writeFileSync(new URL('latest.json', results), report);
