/**
 * Measures a candidate against its baseline in the same process: interleaved rounds (the order flips
 * every round, so warm-up, GC debt and CPU frequency drift hit both alike), the median per contender,
 * and their ratio. Machines differ; ratios taken in one run are what can be compared between runs.
 */

/** One side of a comparison. */
export interface Contender {
  readonly name: string;
  /** Does `iterations` units of work. */
  run(iterations: number): void;
}

/** Throughput of one contender over the measured rounds. */
export interface Measured {
  readonly name: string;
  /** Units per second, one per measured round. */
  readonly perSecond: readonly number[];
  readonly median: number;
}

/** A baseline and a candidate, measured together. */
export interface Comparison {
  readonly scenario: string;
  readonly unit: string;
  readonly baseline: Measured;
  readonly candidate: Measured;
  /**
   * Median of the per-round ratios candidate / baseline. Each round's two runs are adjacent in time, so a
   * burst of load from elsewhere on the machine moves both; the median then drops the rounds it skewed.
   */
  readonly ratio: number;
  /** candidate median / baseline median, for reference. */
  readonly ratioOfMedians: number;
  /** The ratio the project aims for, if any. */
  readonly goal?: number;
}

/** How a comparison is run. */
export interface CompareOptions {
  readonly scenario: string;
  readonly unit: string;
  readonly baseline: Contender;
  readonly candidate: Contender;
  /** Units per timed run. */
  readonly iterations: number;
  /** Measured rounds (each runs both contenders once); at least 4. */
  readonly rounds: number;
  /** Unmeasured rounds first, for the JIT. */
  readonly warmupRounds?: number;
  readonly goal?: number;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

function timeRun(contender: Contender, iterations: number): number {
  collectGarbage?.();
  const start = process.hrtime.bigint();
  contender.run(iterations);
  const elapsedNs = Number(process.hrtime.bigint() - start);
  return (iterations * 1e9) / elapsedNs;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs both contenders in interleaved rounds and compares their medians. */
export function compare(options: CompareOptions): Comparison {
  if (options.rounds < 4) throw new RangeError('compare: at least 4 measured rounds');
  const { baseline, candidate, iterations } = options;
  for (let i = 0; i < (options.warmupRounds ?? 1); i++) {
    timeRun(baseline, iterations);
    timeRun(candidate, iterations);
  }
  const baseRates: number[] = [];
  const candidateRates: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    if (round % 2 === 0) {
      baseRates.push(timeRun(baseline, iterations));
      candidateRates.push(timeRun(candidate, iterations));
    } else {
      candidateRates.push(timeRun(candidate, iterations));
      baseRates.push(timeRun(baseline, iterations));
    }
  }
  const base: Measured = { name: baseline.name, perSecond: baseRates, median: median(baseRates) };
  const cand: Measured = { name: candidate.name, perSecond: candidateRates, median: median(candidateRates) };
  return {
    scenario: options.scenario,
    unit: options.unit,
    baseline: base,
    candidate: cand,
    ratio: median(candidateRates.map((rate, i) => rate / (baseRates[i] as number))),
    ratioOfMedians: cand.median / base.median,
    ...(options.goal !== undefined ? { goal: options.goal } : {}),
  };
}

const formatRate = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A markdown table of comparisons, one row per comparison. */
export function markdownTable(comparisons: readonly Comparison[]): string {
  const lines = [
    '| scenario | baseline | baseline median | candidate | candidate median | ratio (median per round) | ratio of medians | goal |',
    '|---|---|---:|---|---:|---:|---:|---|',
  ];
  for (const c of comparisons) {
    const goal = c.goal === undefined ? '—' : `≥ ${c.goal.toFixed(2)}× ${c.ratio >= c.goal ? 'met' : 'NOT met'}`;
    lines.push(
      `| ${c.scenario} | ${c.baseline.name} | ${formatRate(c.baseline.median)} ${c.unit} | ${c.candidate.name} | ${formatRate(
        c.candidate.median,
      )} ${c.unit} | ${c.ratio.toFixed(3)}× | ${c.ratioOfMedians.toFixed(3)}× | ${goal} |`,
    );
  }
  return lines.join('\n');
}

/** Every round's figures, for the record under the table. */
export function roundsDetail(comparisons: readonly Comparison[]): string {
  return comparisons
    .map((c) =>
      [c.baseline, c.candidate]
        .map((m) => `- ${c.scenario} / ${m.name}: ${m.perSecond.map(formatRate).join(', ')} ${c.unit}`)
        .join('\n'),
    )
    .join('\n');
}
