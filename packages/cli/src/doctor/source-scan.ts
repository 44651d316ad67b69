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

/**
 * Calls whose first object argument holds AutoTelemetry options: `autotelemetry(…)`, `autotelemetryLogging(…)`,
 * `autoInstrument(…)`, `startTelemetry(…)`, `TelemetryModule.forRoot(…)`, `app.register(plugin, {…})`.
 */
const OPTION_CALLS =
  /\b(?:\w*[Aa]utotelemetry\w*|autoInstrument|startTelemetry|forRoot|forRootAsync|register)\s*\(\s*(?:[\w.]+\s*,\s*)?\{/g;

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

/** An option whose value the code gives literally (or through a constant of the same file). */
export interface FoundOption {
  readonly value: string | number | boolean;
  readonly line: number;
  /** The file, when several were read. */
  readonly file?: string;
}

/** An option the code sets from an expression the doctor cannot evaluate without running the code. */
export interface UnreadOption {
  readonly expression: string;
  readonly line: number;
  readonly file?: string;
}

/** The options the code passes to AutoTelemetry, as far as reading it can tell. */
export interface OptionsInCode {
  readonly found: Map<string, FoundOption>;
  readonly unread: Map<string, UnreadOption>;
}

const LITERAL = /^(?:'([^'\n]*)'|"([^"\n]*)"|(-?\d+(?:\.\d+)?)|(true|false)|((?:Environment|LogLevel)\.[A-Z]+))$/;

function literalValue(text: string): string | number | boolean | undefined {
  const m = LITERAL.exec(text.trim());
  if (!m) return undefined;
  if (m[1] !== undefined) return m[1];
  if (m[2] !== undefined) return m[2];
  if (m[3] !== undefined) return Number(m[3]);
  if (m[4] !== undefined) return m[4] === 'true';
  return ENUM_VALUES[m[5] ?? ''];
}

/** The literal a top-level `const NAME = …` of the file holds, if it is one. */
function constantValue(code: string, name: string): string | number | boolean | undefined {
  const declaration = new RegExp(
    `(?:^|[;\\n])\\s*(?:export\\s+)?(?:const|let|var)\\s+${name.replace(/\$/g, '\\$')}\\s*(?::[^=\\n]+)?=\\s*([^;\\n]+)`,
  ).exec(code);
  return declaration ? literalValue((declaration[1] as string).replace(/\s+as\s+const\s*$/, '')) : undefined;
}

/**
 * The options passed to the calls above in one source file: literal values (`key: 'string'`, `key: 123`,
 * `key: true`, `key: Environment.X`, or a constant of the file holding such a literal) and, separately,
 * the keys set from anything else (a variable, a call, a nested object).
 */
export function findOptionsInSource(source: string, knownOptions: ReadonlySet<string>, file?: string): OptionsInCode {
  const code = stripComments(source);
  const found = new Map<string, FoundOption>();
  const unread = new Map<string, UnreadOption>();
  const where = file === undefined ? {} : { file };
  for (const call of code.matchAll(OPTION_CALLS)) {
    const open = (call.index ?? 0) + call[0].length - 1;
    const body = topLevelObject(code, open).text;
    for (const m of body.matchAll(/(?:^|[{,])\s*(\w+)\s*:/g)) {
      const key = m[1] as string;
      if (!knownOptions.has(key) || found.has(key) || unread.has(key)) continue;
      const valueStart = (m.index ?? 0) + m[0].length;
      let valueEnd = valueStart;
      while (valueEnd < body.length && body[valueEnd] !== ',' && body[valueEnd] !== '}') {
        const c = body[valueEnd];
        valueEnd = c === '"' || c === "'" ? skipString(body, valueEnd) : valueEnd + 1;
      }
      const text = code.slice(open + valueStart, open + valueEnd).trim();
      const line = code.slice(0, open + (m.index ?? 0) + m[0].length).split('\n').length;
      const value = literalValue(text) ?? (/^[A-Za-z_$][\w$]*$/.test(text) ? constantValue(code, text) : undefined);
      if (value !== undefined) found.set(key, { value, line, ...where });
      else unread.set(key, { expression: text.replace(/\s+/g, ' ').slice(0, 60), line, ...where });
    }
  }
  return { found, unread };
}

/** {@link findOptionsInSource}'s literal values only. */
export function findLiteralOptions(source: string, knownOptions: ReadonlySet<string>): Map<string, FoundOption> {
  return findOptionsInSource(source, knownOptions).found;
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
