/**
 * A YAML writer for plain data (objects, arrays, strings, numbers, booleans), enough for Prometheus rule
 * files. Strings are written as JSON strings, which YAML reads as double-quoted scalars, except multi-line
 * strings, written as literal blocks so long PromQL stays readable.
 *
 * @packageDocumentation
 */

/** A value the writer accepts. */
export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function key(k: string): string {
  return PLAIN_KEY.test(k) ? k : JSON.stringify(k);
}

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`YAML: cannot write the number ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function isBlock(value: YamlValue): value is readonly YamlValue[] | { readonly [key: string]: YamlValue } {
  return (
    value !== null &&
    typeof value === 'object' &&
    (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0)
  );
}

function emptyCollection(value: YamlValue): string | undefined {
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)
    return '{}';
  return undefined;
}

function literalBlock(text: string, indent: string): string {
  // `|-` keeps the lines as written and drops the final newline.
  return `|-\n${text
    .split('\n')
    .map((line) => (line === '' ? '' : indent + line))
    .join('\n')}`;
}

function write(value: YamlValue, indent: string, lines: string[], prefix: string): void {
  const empty = emptyCollection(value);
  if (empty !== undefined) {
    lines.push(`${prefix}${empty}`);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value as readonly YamlValue[]) {
      if (isBlock(item) && !Array.isArray(item)) {
        // A mapping inside a sequence starts on the dash's line.
        const entries = Object.entries(item);
        entries.forEach(([k, v], i) => {
          writeEntry(k, v, `${indent}  `, lines, i === 0 ? `${indent}- ` : `${indent}  `);
        });
      } else if (isBlock(item)) {
        lines.push(`${indent}-`);
        write(item, `${indent}  `, lines, '');
      } else {
        writeInline(item, `${indent}  `, lines, `${indent}- `);
      }
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) writeEntry(k, v, indent, lines, indent);
    return;
  }
  lines.push(`${prefix}${scalar(value as string | number | boolean | null)}`);
}

function writeEntry(k: string, v: YamlValue, indent: string, lines: string[], linePrefix: string): void {
  if (isBlock(v)) {
    lines.push(`${linePrefix}${key(k)}:`);
    write(v, Array.isArray(v) ? indent : `${indent}  `, lines, '');
  } else {
    writeInline(v, `${indent}  `, lines, `${linePrefix}${key(k)}: `);
  }
}

function writeInline(v: YamlValue, childIndent: string, lines: string[], prefix: string): void {
  const empty = emptyCollection(v);
  if (empty !== undefined) lines.push(`${prefix}${empty}`);
  else if (typeof v === 'string' && v.includes('\n')) lines.push(`${prefix}${literalBlock(v, childIndent)}`);
  else lines.push(`${prefix}${scalar(v as string | number | boolean | null)}`);
}

/** Serialises plain data as a YAML document (ending with a newline). */
export function toYaml(value: YamlValue): string {
  const lines: string[] = [];
  write(value, '', lines, '');
  return `${lines.join('\n')}\n`;
}
