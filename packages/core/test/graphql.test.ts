/**
 * What GraphQL spans may say: the document printed with every literal masked (strings, block strings,
 * numbers, booleans, enum values, null, inside lists, input objects, directives and variable defaults),
 * remembered per document; error messages graphql-js really writes with their values masked and their
 * names and types kept; the instrumentation's options for resolvers off and on; the spans it is handed
 * (attributes filtered, failures recorded by this project's rules).
 */
import type { Span } from '@opentelemetry/api';
import { buildSchema, type GraphQLError, graphql, parse, print, validate, visit } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GraphqlSpan, graphqlInstrumentationConfig } from '../src/libraries/graphql.js';
import { literalsOf, sanitizeDocument, sanitizeGraphqlMessage } from '../src/libraries/graphql-text.js';

const printer = { print, visit } as Parameters<typeof sanitizeDocument>[1];

const SCHEMA = buildSchema(`
  enum Status { OPEN SHIPPED }
  input Filter { status: Status, minTotal: Int, tags: [String] }
  type Order { id: ID! total: Int! note: String }
  type Query {
    order(id: ID!, note: String, vip: Boolean, weight: Float, status: Status): Order
    orders(filter: Filter, first: Int = 10, ids: [ID!]): [Order]
  }
`);

describe('sanitizeDocument', () => {
  it.each([
    [
      'query Q($id: ID!) { order(id: $id, note: "hunter2", vip: true, weight: 1.5, status: SHIPPED) { id } }',
      'query Q($id: ID!) { order(id: $id, note: ?, vip: ?, weight: ?, status: ?) { id } }',
    ],
    ['{ order(id: 42, note: null) { id } }', '{ order(id: ?, note: ?) { id } }'],
    [
      '{ orders(filter: { status: OPEN, minTotal: 100, tags: ["a", "b"] }, ids: [1, 2]) { id } }',
      '{ orders(filter: {status: ?, minTotal: ?, tags: [?, ?]}, ids: [?, ?]) { id } }',
    ],
    [
      'query Q($first: Int = 25) { orders(first: $first) { id } }',
      'query Q($first: Int = ?) { orders(first: $first) { id } }',
    ],
    ['{ order(id: "1") { note @include(if: false) } }', '{ order(id: ?) { note @include(if: ?) } }'],
    ['{ order(id: """block\nsecret""") { id } }', '{ order(id: ?) { id } }'],
    [
      '# secret comment\nquery A { a: order(id: "x") { ...F } }\nfragment F on Order { id total }',
      'query A { a: order(id: ?) { ...F } } fragment F on Order { id total }',
    ],
    ['mutation M { placeOrder(sku: "hunter2", qty: 3) { id } }', 'mutation M { placeOrder(sku: ?, qty: ?) { id } }'],
  ])('%s', (source, expected) => {
    expect(sanitizeDocument(parse(source), printer)).toBe(expected);
  });

  it('cuts a very long document after masking, and remembers documents by object and by source', () => {
    const fields = Array.from({ length: 400 }, (_, i) => `f${i}: order(id: "secret-${i}") { id }`).join(' ');
    const long = sanitizeDocument(parse(`{ ${fields} }`), printer);
    expect(long?.length).toBe(2049);
    expect(long?.endsWith('…')).toBe(true);
    expect(long).not.toContain('secret');
    const document = parse('{ order(id: "1") { id } }');
    const first = sanitizeDocument(document, printer);
    expect(sanitizeDocument(document, printer)).toBe(first);
    expect(sanitizeDocument(parse('{ order(id: "1") { id } }'), printer)).toBe(first);
  });

  it('answers undefined for what is not a parsed document', () => {
    expect(sanitizeDocument(undefined, printer)).toBeUndefined();
    expect(sanitizeDocument('{ a }', printer)).toBeUndefined();
    expect(sanitizeDocument({ kind: 'Field' }, printer)).toBeUndefined();
  });
});

describe('sanitizeGraphqlMessage', () => {
  const messagesOf = (errors: readonly GraphQLError[] | undefined) => (errors ?? []).map((e) => e.message);

  it('masks the values in the validation messages graphql-js writes, keeps names and types', () => {
    const source =
      '{ order(id: 5, vip: "hunter2", weight: "heavy", status: hunter3) { nope } orders(first: 1.5) { id } }';
    const document = parse(source);
    const raw = messagesOf(validate(SCHEMA, document));
    expect(raw.join('\n')).toContain('hunter2');
    const literals = literalsOf(document, printer);
    const masked = raw.map((message) => sanitizeGraphqlMessage(message, literals));
    expect(masked).toEqual([
      'Boolean cannot represent a non boolean value: ?',
      'Float cannot represent non numeric value: ?',
      'Value ? does not exist in "Status" enum.',
      'Cannot query field "nope" on type "Order". Did you mean "note"?',
      'Int cannot represent non-integer value: ?',
    ]);
  });

  it('masks every token a syntax error quotes except punctuation', async () => {
    const cases = ['{ order(id: "hunter2" { id } }', '{ order(id: 5 hunter4) { id } }', '{ order(id: "unterminated) }'];
    const masked: string[] = [];
    for (const source of cases) {
      const result = await graphql({ schema: SCHEMA, source });
      masked.push(sanitizeGraphqlMessage(messagesOf(result.errors)[0] ?? '', new Set(), true));
    }
    expect(masked).toEqual([
      'Syntax Error: Expected Name, found ?.',
      'Syntax Error: Expected ":", found ?.',
      'Syntax Error: Unterminated string.',
    ]);
    for (const message of masked) expect(message).not.toMatch(/hunter/);
  });

  it("masks a variable's value in a coercion error, and what follows value:", async () => {
    const result = await graphql({
      schema: SCHEMA,
      source: 'query Q($first: Int, $status: Status) { orders(first: $first, filter: { status: $status }) { id } }',
      variableValues: { first: 'hunter2', status: 'CLOSEDX' },
    });
    const masked = messagesOf(result.errors).map((message) => sanitizeGraphqlMessage(message, new Set(['CLOSEDX'])));
    expect(masked).toEqual([
      'Variable "$first" got invalid value ?; Int cannot represent non-integer value: ?',
      'Variable "$status" got invalid value ?; Value ? does not exist in "Status" enum.',
    ]);
  });

  it('keeps a message with nothing to mask as it is', () => {
    expect(sanitizeGraphqlMessage('Unknown argument "idd" on field "Query.order".')).toBe(
      'Unknown argument "idd" on field "Query.order".',
    );
    expect(sanitizeGraphqlMessage('Field "order" argument "id" of type "[ID!]!" is required.')).toBe(
      'Field "order" argument "id" of type "[ID!]!" is required.',
    );
  });
});

describe('literalsOf', () => {
  it("collects the document's literal texts", () => {
    const document = parse('{ order(id: "a", vip: true, weight: 2.5, status: OPEN, note: null) { id } }');
    expect([...literalsOf(document, printer)].sort()).toEqual(['2.5', 'OPEN', 'a', 'true']);
  });
});

describe('graphqlInstrumentationConfig', () => {
  it('masks values always; resolver spans off, or on with trivial ones skipped and list items merged', () => {
    const off = graphqlInstrumentationConfig({ resolvers: false });
    expect(off).toMatchObject({ enabled: false, allowValues: false, ignoreResolveSpans: true, depth: 0 });
    const on = graphqlInstrumentationConfig({ resolvers: true });
    expect(on).toMatchObject({
      enabled: false,
      allowValues: false,
      ignoreResolveSpans: false,
      ignoreTrivialResolveSpans: true,
      mergeItems: true,
      depth: -1,
    });
    expect(typeof on.responseHook).toBe('function');
  });
});

/** A span that records what it is told. */
function recordingSpan() {
  const calls = {
    attributes: {} as Record<string, unknown>,
    status: undefined as { code: number; message?: string } | undefined,
    exceptions: [] as unknown[],
  };
  const span = {
    spanContext: () => ({ traceId: '0123456789abcdef0123456789abcdef', spanId: '0123456789abcdef', traceFlags: 1 }),
    setAttribute(key: string, value: unknown) {
      calls.attributes[key] = value;
      return span;
    },
    setAttributes: () => span,
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus(status: { code: number; message?: string }) {
      calls.status = status;
      return span;
    },
    updateName: () => span,
    end: () => {},
    isRecording: () => true,
    recordException(exception: unknown) {
      calls.exceptions.push(exception);
    },
  };
  return { span: span as unknown as Span, calls };
}

describe('GraphqlSpan', () => {
  it("drops the instrumentation's graphql.source and its 'not supported' operation name", () => {
    const { span, calls } = recordingSpan();
    const wrapped = new GraphqlSpan(span, 'graphql.execute', printer);
    wrapped.setAttribute('graphql.source', '{ order(id: *) { id } }');
    wrapped.setAttributes({ 'graphql.source': 'x', 'graphql.operation.type': 'query' });
    wrapped.setAttribute('graphql.operation.name', 'Operation "hunter2" not supported');
    expect(calls.attributes).toEqual({ 'graphql.operation.type': 'query' });
    wrapped.describe(parse('query Q { order(id: "hunter2") { id } }'), { id: 'x' });
    expect(calls.attributes['graphql.document']).toBe('query Q { order(id: ?) { id } }');
  });

  it('fails a validate span from the JSON the instrumentation records, values masked', () => {
    const { span, calls } = recordingSpan();
    const wrapped = new GraphqlSpan(span, 'graphql.validate', printer);
    const document = parse('{ order(id: "1", vip: "hunter2") { nope } }');
    wrapped.describe(document);
    const errors = validate(SCHEMA, document);
    wrapped.recordException({ name: 'graphql.validation.error', message: JSON.stringify(errors) });
    expect(calls.attributes['error.type']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(calls.status).toEqual({ code: 2, message: 'Boolean cannot represent a non boolean value: ? (and 1 more)' });
    expect(JSON.stringify(calls.exceptions)).not.toContain('hunter2');
    expect(calls.exceptions).toHaveLength(2);
  });

  it("fails a resolver span with the app's error, keeping the status message it wrote", () => {
    const { span, calls } = recordingSpan();
    const wrapped = new GraphqlSpan(span, 'graphql.resolve order', printer);
    class NotFound extends Error {}
    const error = new NotFound('order 7 not found');
    wrapped.recordException(error);
    wrapped.setStatus({ code: 2, message: 'whatever the instrumentation says' });
    expect(calls.attributes['error.type']).toBe('NotFound');
    expect(calls.status).toEqual({ code: 2, message: 'order 7 not found' });
    expect(calls.exceptions).toEqual([error]);
  });

  it('fails an execute span from the errors of its result: extensions.code first, no stack of graphql-js', async () => {
    const result = await graphql({
      schema: SCHEMA,
      source: '{ order(id: "1") { id } }',
      rootValue: {
        order: () => {
          throw Object.assign(new Error('gone'), { code: 'ECONNRESET' });
        },
      },
    });
    const { span, calls } = recordingSpan();
    const hook = graphqlInstrumentationConfig({ resolvers: false }).responseHook as (s: unknown, r: unknown) => void;
    hook(new GraphqlSpan(span, 'graphql.execute', printer), result);
    expect(calls.attributes['error.type']).toBe('ECONNRESET');
    expect(calls.status).toEqual({ code: 2, message: 'gone' });
    const coded = recordingSpan();
    const withCode = {
      errors: [{ name: 'GraphQLError', message: 'No order "hunter-7"', extensions: { code: 'NOT_FOUND' } }],
    };
    hook(new GraphqlSpan(coded.span, 'graphql.execute', printer), withCode);
    expect(coded.calls.attributes['error.type']).toBe('NOT_FOUND');
    expect(coded.calls.exceptions).toEqual([{ name: 'GraphQLError', message: 'No order ?' }]);
    const fine = recordingSpan();
    hook(new GraphqlSpan(fine.span, 'graphql.execute', printer), { data: {} });
    expect(fine.calls.status).toBeUndefined();
  });

  it('never throws into the instrumentation (it records failures inside its finally)', () => {
    const { span, calls } = recordingSpan();
    const wrapped = new GraphqlSpan(span, 'graphql.parse', printer);
    const hostile = {
      name: 'GraphQLError',
      get message(): string {
        throw new Error('no message for you');
      },
    };
    expect(() => wrapped.recordException(hostile as never)).not.toThrow();
    expect(calls.status).toEqual({ code: 2, message: 'GraphQL error' });
  });
});
