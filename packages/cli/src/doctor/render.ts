/**
 * The doctor's human output: the resolved configuration as a table (value, source), then one line per
 * check with a mark, and for anything not fine, why and what to do.
 *
 * @packageDocumentation
 */
import type { CheckStatus, DoctorReport } from './types.js';

const MARKS: Readonly<Record<CheckStatus, string>> = { ok: '✔', info: 'ℹ', warn: '⚠', problem: '✖' };
const ORDER: Readonly<Record<CheckStatus, number>> = { problem: 0, warn: 1, info: 2, ok: 3 };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Renders a report for a terminal (plain text, no colours, so it reads the same in CI logs). */
export function renderDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`AutoTelemetry doctor${report.dir ? ` — ${report.dir}` : ''}${report.url ? ` — ${report.url}` : ''}`);
  if (report.config) {
    lines.push('', 'Configuration (options in code > environment variables > package.json > defaults):');
    const width = Math.max(...report.config.map((v) => v.option.length));
    const valueWidth = Math.min(40, Math.max(...report.config.map((v) => v.value.length)));
    for (const v of report.config) {
      const source = v.from ? `${v.source} (${v.from})` : v.source;
      lines.push(`  ${v.option.padEnd(width)}  ${v.value.padEnd(valueWidth)}  ${source}`);
    }
  }
  lines.push('', 'Checks:');
  const sorted = [...report.checks].sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  for (const check of sorted) {
    lines.push(`  ${MARKS[check.status]} ${check.title}`);
    if (check.status === 'problem' || check.status === 'warn') {
      if (check.detail) lines.push(`      ${check.detail}`);
      if (check.fix) lines.push(`      fix: ${check.fix}`);
    } else if (check.status === 'info' && check.fix) {
      lines.push(`      ${check.fix}`);
    }
  }
  const { problem, warn } = report.counts;
  lines.push(
    '',
    problem === 0
      ? `No problem found${warn > 0 ? ` (${plural(warn, 'warning')})` : ''}.`
      : `${plural(problem, 'problem')} found${warn > 0 ? `, ${plural(warn, 'warning')}` : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}
