/**
 * The metric names a PromQL expression reads, and the label names it matches on or groups by: strings,
 * ranges, functions and keywords are set aside, what remains are series names.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
]);

/** Series names read by `expr`. */
export function metricNames(expr: string): Set<string> {
  const code = expr
    .replace(/"(?:\\.|[^"\\])*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of code.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = code.slice((m.index ?? 0) + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0])) continue;
    names.add(m[0]);
  }
  return names;
}

/** Label names used by `expr`: in matchers, `by`/`on`/`group_left` lists. */
export function labelNames(expr: string): Set<string> {
  const code = expr.replace(/"(?:\\.|[^"\\])*"/g, '""');
  const names = new Set<string>();
  for (const m of code.matchAll(/\{([^}]*)\}/g)) {
    for (const matcher of (m[1] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*[=!]~?/g))
      names.add(matcher[1] as string);
  }
  for (const m of code.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    for (const label of (m[1] as string).split(',')) if (label.trim() !== '') names.add(label.trim());
  }
  return names;
}
