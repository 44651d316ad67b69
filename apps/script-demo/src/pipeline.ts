/**
 * The demo's data work, with no telemetry in it: generate rows, clean and aggregate them by category, and
 * build a report. `main.ts` runs it instrumented, `baseline.ts` runs it bare (the cold-start benchmark
 * compares the two).
 */

/** One input row. */
export interface Row {
  readonly id: number;
  readonly category: string;
  readonly value: number;
}

/** Per-category totals. */
export interface CategoryTotal {
  readonly category: string;
  readonly rows: number;
  readonly sum: number;
  readonly mean: number;
}

const CATEGORIES = ['books', 'games', 'music', 'tools'] as const;

/** Deterministic pseudo-random numbers (a linear congruential generator), so every run shows the same data. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Loads `count` rows (generated; a real pipeline would read a file or a table). Some values are invalid. */
export async function loadRows(count: number): Promise<Row[]> {
  const random = seeded(42);
  const rows: Row[] = [];
  for (let id = 0; id < count; id++) {
    const category = CATEGORIES[Math.floor(random() * CATEGORIES.length)] ?? 'books';
    // One row in fifty has no usable value, as real data does.
    const value = id % 50 === 49 ? Number.NaN : Math.round(random() * 1000) / 10;
    rows.push({ id, category, value });
  }
  // Stands for the I/O a real load waits on.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return rows;
}

/** Drops rows without a usable value. */
export function cleanRows(rows: readonly Row[]): Row[] {
  return rows.filter((row) => Number.isFinite(row.value));
}

/** Keeps rows above a threshold and totals them per category (the seed's `df.groupby('category').sum()`). */
export function aggregate(rows: readonly Row[], threshold: number): CategoryTotal[] {
  const totals = new Map<string, { rows: number; sum: number }>();
  for (const row of rows) {
    if (row.value <= threshold) continue;
    const total = totals.get(row.category) ?? { rows: 0, sum: 0 };
    total.rows++;
    total.sum += row.value;
    totals.set(row.category, total);
  }
  return [...totals.entries()]
    .map(([category, { rows: count, sum }]) => ({
      category,
      rows: count,
      sum: Math.round(sum * 10) / 10,
      mean: Math.round((sum / count) * 10) / 10,
    }))
    .sort((a, b) => a.category.localeCompare(b.category));
}

/** A one-line text report of the totals. */
export function report(totals: readonly CategoryTotal[]): string {
  return totals.map((t) => `${t.category}: ${t.rows} rows, sum ${t.sum}, mean ${t.mean}`).join('; ');
}
