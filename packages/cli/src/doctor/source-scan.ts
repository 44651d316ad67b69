/**
 * A light reading of an entry file, without executing it: the modules it loads, in order, and the literal
 * options it passes to AutoTelemetry. Comments are skipped and strings kept, so a URL in a string or an
 * import in a comment does not mislead it. It is a heuristic: computed specifiers are not seen.
 *
 * @packageDocumentation
 */

/** A module the file loads. */
export interface ImportSite {
  readonly specifier: string;
  /** 1-based line. */
  readonly line: number;
  readonly kind: 'import' | 'require' | 'dynamic-import';
}

/** Replaces comments by spaces (keeping line breaks), leaving strings and template literals intact. */
export function stripComments(source: string): string {
  let out = '';
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < n && source[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      for (; i < stop; i++) out += source[i] === '\n' ? '\n' : ' ';
    } else if (c === '"' || c === "'" || c === '`') {
      const start = i;
      i++;
      while (i < n && source[i] !== c) {
        if (source[i] === '\\') i++;
        else if (c !== '`' && source[i] === '\n') break;
        i++;
      }
      i++;
      out += source.slice(start, i);
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const IMPORT_PATTERNS: readonly [RegExp, ImportSite['kind']][] = [
  [/\bimport\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?(['"])([^'"\n]+)\1/g, 'import'],
  [/\bexport\s+(?:type\s+)?[\w*${}\s,]+?\s+from\s+(['"])([^'"\n]+)\1/g, 'import'],
  [/\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, 'require'],
  [/\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, 'dynamic-import'],
];

/** The modules a source file loads, in the order they appear. Type-only imports are left out. */
export function findImports(source: string): ImportSite[] {
  const code = stripComments(source);
  const sites: (ImportSite & { index: number })[] = [];
  for (const [pattern, kind] of IMPORT_PATTERNS) {
    for (const m of code.matchAll(pattern)) {
      if (kind === 'import' && /^(import|export)\s+type\s/.test(m[0])) continue;
      const index = m.index ?? 0;
      sites.push({ specifier: m[2] as string, kind, index, line: code.slice(0, index).split('\n').length });
    }
  }
  sites.sort((a, b) => a.index - b.index);
  return sites.map(({ specifier, line, kind }) => ({ specifier, line, kind }));
}

/** Calls whose first object argument holds AutoTelemetry options. */
const OPTION_CALLS = /\b(?:autotelemetry|autoInstrument|startTelemetry|forRoot|register)\s*\(\s*(?:\w+\s*,\s*)?\{/g;

const ENUM_VALUES: Readonly<Record<string, string>> = {
  'Environment.DEVELOPMENT': 'development',
  'Environment.TEST': 'test',
  'Environment.STAGING': 'staging',
  'Environment.PRODUCTION': 'production',
  'LogLevel.TRACE': 'TRACE',
  'LogLevel.DEBUG': 'DEBUG',
  'LogLevel.INFO': 'INFO',
  'LogLevel.WARN': 'WARN',
  'LogLevel.ERROR': 'ERROR',
  'LogLevel.FATAL': 'FATAL',
};

/** A literal option found in the code. */
export interface FoundOption {
  readonly value: string | number | boolean;
  readonly line: number;
}

/**
 * Literal values of known options passed to `autotelemetry({...})`, `autoInstrument({...})`,
 * `TelemetryModule.forRoot({...})`, `app.register(autotelemetry, {...})`: only `key: 'string'`,
 * `key: 123`, `key: true/false` and `key: Environment.X` / `LogLevel.X` at the top level of the object.
 */
export function findLiteralOptions(source: string, knownOptions: ReadonlySet<string>): Map<string, FoundOption> {
  const code = stripComments(source);
  const found = new Map<string, FoundOption>();
  for (const call of code.matchAll(OPTION_CALLS)) {
    const open = (call.index ?? 0) + call[0].length - 1;
    const body = topLevelObject(code, open);
    for (const m of body.text.matchAll(
      /(?:^|[{,])\s*(\w+)\s*:\s*('([^'\n]*)'|"([^"\n]*)"|(-?\d+(?:\.\d+)?)\b|(true|false)\b|((?:Environment|LogLevel)\.[A-Z]+)\b)/g,
    )) {
      const key = m[1] as string;
      if (!knownOptions.has(key) || found.has(key)) continue;
      const value =
        m[3] ??
        m[4] ??
        (m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? m[6] === 'true' : ENUM_VALUES[m[7] ?? '']);
      if (value === undefined) continue;
      const line = code.slice(0, open + (m.index ?? 0)).split('\n').length;
      found.set(key, { value, line });
    }
  }
  return found;
}

/** The text of the object literal starting at `open` (a `{`), with nested braces blanked out. */
function topLevelObject(code: string, open: number): { text: string } {
  let depth = 0;
  let text = '';
  for (let i = open; i < code.length; i++) {
    const c = code[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(code, i);
      const literal = code.slice(i, end);
      text += depth === 1 ? literal : literal.replace(/[^\n]/g, ' ');
      i = end - 1;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') depth++;
    if (depth === 1 || c === '\n') text += c;
    else text += ' ';
    if (c === '}' || c === ']' || c === ')') {
      depth--;
      if (depth === 0) break;
    }
  }
  return { text };
}

function skipString(code: string, start: number): number {
  const quote = code[start];
  let i = start + 1;
  while (i < code.length && code[i] !== quote) {
    if (code[i] === '\\') i++;
    i++;
  }
  return i + 1;
}
