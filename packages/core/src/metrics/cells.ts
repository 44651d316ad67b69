/**
 * One histogram cell: the count, sum, extremes and bucket counts of one attribute set, recorded into
 * directly. The bucket rule is the SDK's explicit-bucket one: a value falls in the first bucket whose upper
 * boundary it does not exceed, or in the overflow bucket.
 */
import type { Attributes } from '@opentelemetry/api';

export class HistogramCell {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Counts per bucket of {@link boundaries}, plus the overflow bucket. */
  readonly counts: number[];

  constructor(
    readonly attributes: Attributes,
    readonly boundaries: readonly number[],
  ) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  /** Records one value. */
  record(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const boundaries = this.boundaries;
    let i = 0;
    while (i < boundaries.length && value > (boundaries[i] as number)) i++;
    (this.counts[i] as number)++;
  }
}

/** What an instrument declares: its name, description and unit. */
export interface InstrumentDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
}

/** One histogram instrument and its cells, read at each collection. */
export interface HistogramCells {
  readonly descriptor: InstrumentDescriptor;
  readonly boundaries: readonly number[];
  cells(): Iterable<HistogramCell>;
}

/** One cumulative up-down sum (an in-flight count), observed at each collection. */
export interface SumCells {
  readonly descriptor: InstrumentDescriptor;
  /** Calls `observe` with each attribute set's current value. */
  observe(observe: (value: number, attributes: Attributes) => void): void;
}

/** What a part of the pipeline lends the store under its instrumentation scope. */
export interface CellSource {
  readonly histograms: readonly HistogramCells[];
  readonly sums?: readonly SumCells[];
}
