/**
 * `traced()` against what a user would write by hand: the raw OpenTelemetry API `startActiveSpan` (span, active
 * context for the call, end), and a plain call for reference. All three through the same running pipeline
 * (startTelemetry in the TEST environment: in-memory, bounded span export; anomaly detection on, as traced()
 * feeds it in production), in the same process, interleaved rounds.
 *
 * Run alone: `node --expose-gc src/traced.ts` (after building @autotelemetry/core).
 */
import { startTelemetry, traced } from '@autotelemetry/core';
import { trace } from '@opentelemetry/api';
import { type Comparison, type Contender, compare } from './harness.ts';

let sink = 0;
function work(a: number, b: number): number {
  return a * 31 + b;
}

/** Runs the traced() comparisons. */
export function runTracedBench(options: { iterations?: number; rounds?: number } = {}): Comparison[] {
  const client = startTelemetry({
    serviceName: 'bench.traced',
    environment: 'test',
    traceExporter: 'none',
    anomalyDetection: true,
    logDestination: '/dev/null',
  });
  const tracer = trace.getTracer('bench');
  const tracedWork = traced(work, { name: 'orders.compute' });
  const raw: Contender = {
    name: 'raw tracer.startActiveSpan',
    run(iterations) {
      for (let i = 0; i < iterations; i++) {
        sink = tracer.startActiveSpan('orders.compute', (span) => {
          const value = work(i, sink);
          span.end();
          return value;
        });
      }
    },
  };
  const wrapped: Contender = {
    name: 'traced(fn)',
    run(iterations) {
      for (let i = 0; i < iterations; i++) sink = tracedWork(i, sink);
    },
  };
  const plain: Contender = {
    name: 'plain call',
    run(iterations) {
      for (let i = 0; i < iterations; i++) sink = work(i, sink) & 0xffff;
    },
  };
  const iterations = options.iterations ?? 20_000;
  const rounds = options.rounds ?? 15;
  const common = { iterations, rounds, warmupRounds: 3, unit: 'calls/s' } as const;
  const result = [
    compare({
      ...common,
      scenario: 'traced(fn) vs raw startActiveSpan (sync)',
      baseline: raw,
      candidate: wrapped,
      goal: 1 / 1.2,
    }),
    compare({ ...common, scenario: 'raw startActiveSpan vs plain call (reference)', baseline: plain, candidate: raw }),
  ];
  void client.shutdown();
  return result;
}

if (import.meta.main) {
  const { markdownTable, roundsDetail } = await import('./harness.ts');
  const comparisons = runTracedBench();
  console.log(
    `\n## traced() (Node ${process.version})\n\n${markdownTable(comparisons)}\n\n${roundsDetail(comparisons)}\n`,
  );
}
