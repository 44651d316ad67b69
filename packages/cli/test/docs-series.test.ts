/**
 * docs/backends.md lists the series the dashboards and rules read; the list must be the code's (which the
 * scrape test checks against a real /metrics), so the page cannot drift from what Prometheus sees.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { STANDARD_SERIES } from '../src/standard-metrics.js';
import { ROOT } from './helpers/cli.js';

function documentedRows(): string[][] {
  const page = readFileSync(join(ROOT, 'docs', 'backends.md'), 'utf8');
  const table = /<!-- standard-series:start -->\n([\s\S]*?)<!-- standard-series:end -->/.exec(page)?.[1];
  if (!table) throw new Error('docs/backends.md has no standard-series table');
  return table
    .trim()
    .split('\n')
    .slice(2)
    .map((row) =>
      row
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

it('docs/backends.md lists exactly the standard series, with their instruments, types and labels', () => {
  const expected = Object.values(STANDARD_SERIES).map((s) => [
    `\`${s.name}\``,
    s.otelName.startsWith('(') ? s.otelName : `\`${s.otelName}\` (${s.unit})`,
    s.kind,
    [...s.labels, ...(s.optionalLabels ?? [])].map((l) => `\`${l}\``).join(', ') || '—',
  ]);
  expect(documentedRows()).toEqual(expected);
});
