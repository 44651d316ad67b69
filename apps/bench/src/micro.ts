/**
 * The in-process micro benchmarks (logger, traced()), each run in its own child process by the suite so the
 * globals they register (context manager, tracer provider, pipeline) stay out of the runner: prints the
 * comparisons as JSON on standard output.
 *
 * `node --expose-gc src/micro.ts logger|traced [--quick]`
 */
import { parseArgs } from 'node:util';
import type { Comparison } from './harness.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { quick: { type: 'boolean' } } });
const sizing = values.quick ? { iterations: 2000, rounds: 4 } : {};
let comparisons: Comparison[];
switch (positionals[0]) {
  case 'logger':
    comparisons = (await import('./logger.ts')).runLoggerBench(sizing);
    break;
  case 'traced':
    comparisons = (await import('./traced.ts')).runTracedBench(sizing);
    break;
  default:
    throw new Error(`micro.ts: unknown benchmark ${positionals[0]} (logger | traced)`);
}
process.stdout.write(`${JSON.stringify(comparisons)}\n`);
