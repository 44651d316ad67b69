/**
 * Re-renders a run's markdown report from its JSON (after a change to the report's layout), and prints the
 * README's block (goals and summary tables):
 *
 *   node src/render.ts [results/latest.json] [--readme]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describePinning } from './pinning.ts';
import { goalChecks, markdownReport, type SuiteResults, summaryTable } from './report.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { readme: { type: 'boolean' } } });
const file = positionals[0] ?? new URL('../results/latest.json', import.meta.url).pathname;
const results = JSON.parse(readFileSync(file, 'utf8')) as SuiteResults;
if (values.readme) {
  const env = results.environment;
  const verdict = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? 'met' : '**not met**');
  console.log(
    [
      `Run of ${env.date.slice(0, 10)}: Node ${env.node}, ${env.cpus} × ${env.cpu}, ${env.loadGenerator} with ${env.connections} connections, ` +
        `${describePinning(env.pinning)}, ` +
        `${env.rounds} interleaved rounds of ${env.durationSec} s, load average ${env.loadAverage.start.toFixed(2)} at start and ${env.loadAverage.end.toFixed(2)} at end.`,
      '',
      summaryTable(results),
      '',
      '| goal (issues 12, 17, 19) | target | measured | |',
      '|---|---|---:|---|',
      ...goalChecks(results).map((c) => `| ${c.measure} | ${c.goal} | ${c.measured} | ${verdict(c.met)} |`),
    ].join('\n'),
  );
} else {
  writeFileSync(file.replace(/\.json$/, '.md'), markdownReport(results));
}
