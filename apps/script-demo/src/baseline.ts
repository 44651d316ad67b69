/**
 * The same pipeline with no telemetry at all: the baseline of the cold-start benchmark
 * (apps/bench/src/script-cold-start.ts). It prints one JSON line, as the instrumented run does many.
 */
import { aggregate, cleanRows, loadRows, report } from './pipeline.ts';

const rows = await loadRows(500);
const valid = cleanRows(rows);
const totals = aggregate(valid, 50);
process.stdout.write(
  `${JSON.stringify({ message: 'Processing done', rows_processed: valid.length, report: report(totals) })}\n`,
);
