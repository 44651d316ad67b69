/**
 * What a GraphQL operation may say about itself on a span without any value leaving the process: the
 * document with every literal replaced by `?` (`graphql.document`), and error messages with the values
 * graphql-js quotes in them (a literal of the query, a variable's value, a value a resolver returned) masked.
 *
 * Documents are printed from their syntax tree by the app's own copy of graphql-js (`print`, `visit`), so the
 * text is the canonical form of the operation: comments and layout dropped (one line), literals replaced, variables
 * (`$id`), names, arguments and directives kept. Results are remembered per document object and per source
 * text (bounded), so a repeated operation costs one lookup.
 */

/** The part of graphql-js read here: its printer and visitor (15 and 16 alike). */
export interface GraphqlPrinter {
  print(ast: unknown): string;
  visit(root: unknown, visitor: object): unknown;
}

interface DocumentLike {
  readonly kind?: unknown;
  readonly loc?: { readonly source?: { readonly body?: unknown } };
  readonly definitions?: unknown;
}

/** Longest document text kept on a span; longer ones are cut (after sanitizing). */
const MAX_TEXT = 2048;
/** Distinct source texts remembered. */
const CACHE_SIZE = 500;

const LITERAL_KINDS = ['IntValue', 'FloatValue', 'StringValue', 'BooleanValue', 'EnumValue', 'NullValue'] as const;

/** The value node printed in place of a literal: an enum value prints as its raw text. */
const PLACEHOLDER = Object.freeze({ kind: 'EnumValue', value: '?' });

const byDocument = new WeakMap<object, string>();
const bySource = new Map<string, string>();

const MASK_VISITOR = Object.freeze(
  Object.fromEntries(LITERAL_KINDS.map((kind) => [kind, { leave: () => PLACEHOLDER }])),
);

/** The document's text with every literal replaced by `?`, or undefined when it is not a parsed document. */
export function sanitizeDocument(document: unknown, printer: GraphqlPrinter): string | undefined {
  if (document === null || typeof document !== 'object') return undefined;
  const doc = document as DocumentLike;
  if (doc.kind !== 'Document' || !Array.isArray(doc.definitions)) return undefined;
  const known = byDocument.get(doc);
  if (known !== undefined) return known;
  const body = doc.loc?.source?.body;
  let text = typeof body === 'string' ? bySource.get(body) : undefined;
  if (text === undefined) {
    // One line: with every string literal gone, the printer's line breaks and indents are only layout.
    text = printer.print(printer.visit(doc, MASK_VISITOR)).replace(/\n\s*/g, ' ').trim();
    if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT)}…`;
    if (typeof body === 'string') {
      if (bySource.size >= CACHE_SIZE) bySource.delete(bySource.keys().next().value as string);
      bySource.set(body, text);
    }
  }
  byDocument.set(doc, text);
  return text;
}

// A double-quoted segment, with its escapes.
const QUOTED = /"((?:[^"\\]|\\.)*)"/g;
// What graphql-js quotes that is no value: a name, a variable, a directive, a field coordinate, a type.
const NAME_LIKE = /^[$@]?[_A-Za-z][_0-9A-Za-z]*(?:\.[_A-Za-z][_0-9A-Za-z]*)?$|^\[*[_A-Za-z][_0-9A-Za-z]*!?(?:\]!?)*$/;
// Punctuation a syntax error quotes (`Expected ":", found ")".`).
const PUNCTUATION = /^[!$&()[\]{}:=@|.]+$|^\.\.\.$/;
// Unquoted values graphql-js prints after these words (numbers, booleans, lists and objects of them).
const AFTER_VALUE = /\b(value:|found|got invalid value) (?!\?)[^;]*?(?=;|\.?$)/g;

/**
 * An error message graphql-js made (syntax, validation, coercion, serialization), with values masked:
 * quoted text that is not a name or a type becomes `?`, as does what follows `value:`, `found` or `got
 * invalid value`; `literals` (the document's own literal texts, when known) are masked even where they look like
 * names. A syntax error's quoted token is masked unless it is punctuation: the token may be a value.
 */
export function sanitizeGraphqlMessage(
  message: string,
  literals: ReadonlySet<string> = new Set(),
  syntax = false,
): string {
  return message
    .replace(QUOTED, (whole, inner: string) => {
      if (PUNCTUATION.test(inner)) return whole;
      if (syntax || literals.has(inner) || !NAME_LIKE.test(inner)) return '?';
      return whole;
    })
    .replace(AFTER_VALUE, (_whole, word: string) => `${word} ?`);
}

/** The raw texts of the literals in `document` (strings, numbers, enum values, booleans), for masking. */
export function literalsOf(document: unknown, printer: GraphqlPrinter): Set<string> {
  const literals = new Set<string>();
  if (document === null || typeof document !== 'object') return literals;
  const collect = {
    enter(node: { value?: unknown }) {
      if (typeof node.value === 'string') literals.add(node.value);
      else if (typeof node.value === 'boolean') literals.add(String(node.value));
    },
  };
  try {
    printer.visit(document, Object.fromEntries(LITERAL_KINDS.map((kind) => [kind, collect])));
  } catch {
    // Not a document: nothing more to mask.
  }
  return literals;
}
