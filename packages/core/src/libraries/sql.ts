/**
 * What a SQL statement may say about itself on a span: its text with every literal replaced by `?` (a value —
 * a password, an email, an amount — never leaves the process), its operation (`SELECT`) and the table it acts
 * on (`orders`), for span names such as `SELECT shop.orders` and low-cardinality metric attributes.
 *
 * Statements are few and repeated (parameters travel apart), so results are kept in a bounded map: a
 * statement is scanned once, later calls cost one lookup.
 */

export interface SqlSummary {
  /** The statement with string, number, hex and boolean literals replaced by `?`, comments removed. */
  readonly text: string;
  /** The first keyword, upper case (`SELECT`, `INSERT`…), or undefined when the text starts with none. */
  readonly operation: string | undefined;
  /** The table after FROM / INTO / UPDATE / JOIN … of the first clause, as written (`shop.orders`). */
  readonly collection: string | undefined;
}

export type SqlDialect = 'postgresql' | 'mysql';

/** Longest statement text kept on a span; longer ones are cut (after sanitizing). */
const MAX_TEXT = 2048;
/** Distinct statements remembered per dialect. */
const CACHE_SIZE = 500;

const caches: Record<SqlDialect, Map<string, SqlSummary>> = { postgresql: new Map(), mysql: new Map() };

const OPERATIONS = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'UPSERT',
  'REPLACE',
  'WITH',
  'CREATE',
  'ALTER',
  'DROP',
  'TRUNCATE',
  'BEGIN',
  'START',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'SET',
  'SHOW',
  'EXPLAIN',
  'CALL',
  'EXEC',
  'EXECUTE',
  'PREPARE',
  'DEALLOCATE',
  'GRANT',
  'REVOKE',
  'COPY',
  'VACUUM',
  'ANALYZE',
  'LOCK',
  'LISTEN',
  'NOTIFY',
  'DESCRIBE',
  'USE',
]);

/** Keywords after which, in each operation, the statement names its table. */
const TABLE_AFTER: Readonly<Record<string, readonly string[]>> = {
  SELECT: ['FROM'],
  DELETE: ['FROM'],
  INSERT: ['INTO'],
  REPLACE: ['INTO'],
  MERGE: ['INTO'],
  UPDATE: ['UPDATE'],
  TRUNCATE: ['TABLE', 'TRUNCATE'],
  CREATE: ['TABLE', 'INDEX', 'VIEW'],
  ALTER: ['TABLE'],
  DROP: ['TABLE', 'VIEW', 'INDEX'],
  COPY: ['COPY'],
};

const isIdentifierChar = (code: number): boolean =>
  (code >= 48 && code <= 57) ||
  (code >= 65 && code <= 90) ||
  (code >= 97 && code <= 122) ||
  code === 95 ||
  code === 36 ||
  code > 127;

/**
 * Replaces literals by `?`. Identifiers (`"orders"` in PostgreSQL, `` `orders` `` in MySQL), placeholders
 * (`$1`, `?`, `:name`) and keywords stay; comments go, as they may hold anything.
 */
export function sanitizeSql(sql: string, dialect: SqlDialect): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    const code = sql.charCodeAt(i);
    // Comments: -- to end of line, # in MySQL, /* … */.
    if ((c === '-' && sql[i + 1] === '-') || (c === '#' && dialect === 'mysql')) {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      if (out.length > 0 && !out.endsWith(' ')) out += ' ';
      continue;
    }
    // String literals: '…' with '' or \' escapes; E'…' in PostgreSQL; "…" is a string in MySQL.
    if (c === "'" || (c === '"' && dialect === 'mysql')) {
      i = skipQuoted(sql, i, c);
      // A prefix (E'…', N'…', B'…', X'…') goes with its literal.
      if (/[EeNnBbXx]$/.test(out) && !isIdentifierChar(out.charCodeAt(out.length - 2))) out = out.slice(0, -1);
      out += '?';
      continue;
    }
    // Quoted identifiers are kept as written.
    if (c === '"' || c === '`') {
      const end = skipQuoted(sql, i, c);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    // PostgreSQL dollar-quoted strings: $$…$$ or $tag$…$tag$ (but $1 is a placeholder).
    if (c === '$' && dialect === 'postgresql') {
      const tagEnd = sql.indexOf('$', i + 1);
      const tag = tagEnd === -1 ? '' : sql.slice(i, tagEnd + 1);
      if (tagEnd !== -1 && /^\$[A-Za-z_]*\$$/.test(tag)) {
        const close = sql.indexOf(tag, tagEnd + 1);
        i = close === -1 ? n : close + tag.length;
        out += '?';
        continue;
      }
      // $1, $2…: a placeholder.
      let j = i + 1;
      while (j < n && sql.charCodeAt(j) >= 48 && sql.charCodeAt(j) <= 57) j++;
      out += sql.slice(i, j);
      i = j;
      continue;
    }
    // Numbers (and 0x… hex) that are not part of an identifier.
    if (code >= 48 && code <= 57 && !isIdentifierChar(out.charCodeAt(out.length - 1))) {
      let j = i + 1;
      while (j < n && (isIdentifierChar(sql.charCodeAt(j)) || sql[j] === '.')) j++;
      // A number followed by e+5 / e-5.
      if ((sql[j - 1] === 'e' || sql[j - 1] === 'E') && (sql[j] === '+' || sql[j] === '-')) {
        j++;
        while (j < n && isIdentifierChar(sql.charCodeAt(j))) j++;
      }
      out += '?';
      i = j;
      continue;
    }
    // Words: TRUE/FALSE/NULL stay readable keywords except booleans, which are values.
    if (isIdentifierChar(code)) {
      let j = i + 1;
      while (j < n && isIdentifierChar(sql.charCodeAt(j))) j++;
      const word = sql.slice(i, j);
      const upper = word.toUpperCase();
      out += upper === 'TRUE' || upper === 'FALSE' ? '?' : word;
      i = j;
      continue;
    }
    // Whitespace runs collapse to one space.
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      while (i < n && (sql[i] === ' ' || sql[i] === '\n' || sql[i] === '\t' || sql[i] === '\r')) i++;
      if (out.length > 0 && !out.endsWith(' ')) out += ' ';
      continue;
    }
    out += c;
    i++;
  }
  out = out.trim();
  return out.length > MAX_TEXT ? `${out.slice(0, MAX_TEXT)}…` : out;
}

/** The index after the closing quote of the quoted run starting at `start` (doubled or backslashed quotes escape). */
function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

const WORD = /[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")*"|`[^`]*`|\S/g;

/** The operation and the table of a sanitized statement. */
function describe(text: string): Pick<SqlSummary, 'operation' | 'collection'> {
  const tokens = text.match(WORD) ?? [];
  const first = tokens[0]?.toUpperCase();
  if (first === undefined || !OPERATIONS.has(first)) return { operation: undefined, collection: undefined };
  let operation = first;
  let from = 1;
  // WITH … AS (…) SELECT …: the operation is the main statement's.
  if (first === 'WITH') {
    let depth = 0;
    for (let k = 1; k < tokens.length; k++) {
      const t = tokens[k] as string;
      if (t === '(') depth++;
      else if (t === ')') depth--;
      else if (depth === 0 && OPERATIONS.has(t.toUpperCase()) && t.toUpperCase() !== 'WITH') {
        operation = t.toUpperCase();
        from = k + 1;
        break;
      }
    }
  }
  const after = TABLE_AFTER[operation];
  if (after === undefined) return { operation, collection: undefined };
  const start = operation === 'UPDATE' || operation === 'COPY' || operation === 'TRUNCATE' ? from - 1 : from;
  for (let k = start; k < tokens.length; k++) {
    const t = (tokens[k] as string).toUpperCase();
    if (!after.includes(t)) continue;
    let m = k + 1;
    // Skip modifiers: TABLE IF NOT EXISTS, ONLY, LOW_PRIORITY…
    while (
      m < tokens.length &&
      /^(TABLE|IF|NOT|EXISTS|ONLY|IGNORE|LOW_PRIORITY|QUICK|TEMPORARY|TEMP|UNIQUE|CONCURRENTLY)$/i.test(
        tokens[m] as string,
      )
    )
      m++;
    const name = qualifiedName(tokens, m);
    if (name !== undefined) return { operation, collection: name };
  }
  return { operation, collection: undefined };
}

/** `a.b.c` read from tokens starting at `at`: identifiers joined by dots; undefined if `at` is not one. */
function qualifiedName(tokens: readonly string[], at: number): string | undefined {
  const part = (t: string | undefined): string | undefined => {
    if (t === undefined) return undefined;
    if (t.startsWith('"') || t.startsWith('`')) return t.slice(1, -1);
    return /^[A-Za-z_]/.test(t) ? t : undefined;
  };
  let name = part(tokens[at]);
  if (name === undefined || name === '(') return undefined;
  let k = at + 1;
  while (tokens[k] === '.' && part(tokens[k + 1]) !== undefined) {
    name += `.${part(tokens[k + 1])}`;
    k += 2;
  }
  return name;
}

/** The sanitized text, operation and table of `sql`; never throws. */
export function summarizeSql(sql: string, dialect: SqlDialect): SqlSummary {
  const cache = caches[dialect];
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  let summary: SqlSummary;
  try {
    const text = sanitizeSql(sql, dialect);
    summary = { text, ...describe(text) };
  } catch {
    summary = { text: '?', operation: undefined, collection: undefined };
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(sql, summary);
  return summary;
}

/**
 * A span name by the database conventions: `{operation} {target}`, the target being the table qualified by
 * the database (`SELECT shop.orders`) unless the statement qualifies it itself; `{operation} {database}`
 * without a table, the database system's name without an operation.
 */
export function sqlSpanName(summary: SqlSummary, namespace: string | undefined, system: string): string {
  if (summary.operation === undefined) return system;
  if (summary.collection !== undefined) {
    const target =
      summary.collection.includes('.') || !namespace ? summary.collection : `${namespace}.${summary.collection}`;
    return `${summary.operation} ${target}`;
  }
  return namespace ? `${summary.operation} ${namespace}` : summary.operation;
}
