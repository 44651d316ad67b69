/**
 * The whole benchmark suite, one run, one markdown report on standard output. Each scenario compares
 * AutoTelemetry with its raw baseline in the same process, so the ratios are what to read.
 */
import { markdownTable, roundsDetail } from './harness.ts';
import { runLoggerBench } from './logger.ts';

const comparisons = [...runLoggerBench()];
console.log(
  `# AutoTelemetry benchmarks\n\nNode ${process.version}, ${process.platform}/${process.arch}, medians of interleaved rounds.\n\n${markdownTable(comparisons)}\n\n${roundsDetail(comparisons)}\n`,
);
