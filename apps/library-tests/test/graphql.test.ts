/**
 * GraphQL operations traced end to end: for Express, Fastify and Nest an app in its own process loads
 * graphql-js (16, and 15 in two runs) before telemetry starts or after, from CJS or from ESM without a loader flag, and runs GraphQL
 * operations in its request handlers; its spans go over OTLP (http/protobuf) to a real receiver. For each
 * run: the request's SERVER span has the parse, validate and execute spans as children, the execute span is
 * named and described by the GraphQL conventions with a document whose literals are masked, no literal of
 * the documents or the variables appears in any span, a syntax error, a validation error and a throwing
 * resolver give ERROR spans with an exception and error.type, and resolver spans appear only when asked for
 * (in code, or with AUTOTELEMETRY_GRAPHQL_RESOLVERS).
 */
import {
  httpCall,
  killAllChildren,
  type OtlpReceiver,
  type ReceivedSpan,
  startFixtureApp,
  startOtlpReceiver,
} from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, fixture, loadVariants, OTLP, pooled, STATUS } from './fixture-runs.js';

const { INTERNAL, SERVER } = OTLP;
const { ERROR } = STATUS;

const SCOPE = '@opentelemetry/instrumentation-graphql';

const OPERATIONS = ['order', 'anonymous', 'mutation', 'syntax', 'invalid', 'boom'] as const;
type Operation = (typeof OPERATIONS)[number];

/** The execute span's document: the fixture's, printed on one line, every literal `?`, the comment gone. */
const ORDER_DOCUMENT =
  'query GetOrder($id: ID!) { order(id: $id, note: ?, vip: ?, status: ?, weight: ?) { id total customer { name } } orders(first: ?) { id label } }';

/** What no span may contain: the documents' literals, the variable's value, the comment. */
const LITERALS = ['hunter2', '4242', '12.75', 'SHIPPED', 'a comment'];

type Resolvers = 'off' | 'option' | 'env';

interface Run {
  readonly framework: 'express' | 'fastify' | 'nest';
  readonly script: string;
  readonly order: 'before' | 'after';
  readonly resolvers: Resolvers;
  /** graphql-js major: 16 unless said. */
  readonly graphql?: '15';
}

const LOADS = loadVariants('graphql-');

const RUNS: readonly Run[] = [
  ...FRAMEWORKS.flatMap((framework) =>
    LOADS.map(([script, order]): Run => ({ framework, script, order, resolvers: 'off' })),
  ),
  // Resolver spans on: in code, or from the variable.
  { framework: 'express', script: 'graphql-cjs.cjs', order: 'after', resolvers: 'option' },
  { framework: 'fastify', script: 'graphql-esm-before.mjs', order: 'before', resolvers: 'env' },
  { framework: 'nest', script: 'graphql-esm-after.mjs', order: 'after', resolvers: 'option' },
  // graphql 15, loaded before telemetry, and after it with resolver spans.
  { framework: 'fastify', script: 'graphql-cjs.cjs', order: 'before', resolvers: 'off', graphql: '15' },
  { framework: 'express', script: 'graphql-cjs.cjs', order: 'after', resolvers: 'option', graphql: '15' },
];

/** Apps running at once: the machine has two cores, an app's start is mostly one of them. */
const CONCURRENCY = 3;

interface RunResult {
  readonly answers: Record<Operation, { data?: Record<string, unknown>; errors?: Array<{ message: string }> }>;
  readonly spans: readonly ReceivedSpan[];
}

const label = (run: Run): string =>
  `${run.framework} ${run.script} (graphql ${run.graphql ?? '16'} ${run.order}, resolvers ${run.resolvers})`;

let receiver: OtlpReceiver;
const results = new Map<Run, RunResult | Error>();

async function runApp(run: Run, id: string): Promise<RunResult> {
  const { proc, port } = await startFixtureApp(fixture(run.script), {
    FRAMEWORK: run.framework,
    ORDER: run.order,
    OTLP_ENDPOINT: receiver.endpoint,
    OTEL_RESOURCE_ATTRIBUTES: `test.run=${id}`,
    ...(run.resolvers === 'option' ? { RESOLVERS: 'option' } : {}),
    ...(run.resolvers === 'env' ? { AUTOTELEMETRY_GRAPHQL_RESOLVERS: 'true' } : {}),
    ...(run.graphql === undefined ? {} : { GRAPHQL: run.graphql }),
  });
  const answers = {} as RunResult['answers'];
  for (const operation of OPERATIONS) {
    const answer = await httpCall(port, `/q/${operation}`);
    answers[operation] = (JSON.parse(answer.body) as { result: RunResult['answers'][Operation] }).result;
  }
  // SIGTERM flushes: every span is at the receiver once the app has exited.
  proc.kill('SIGTERM');
  await proc.exited;
  const ours = (span: ReceivedSpan) => span.resource['test.run'] === id;
  await receiver.waitForSpans(OPERATIONS.length, (span) => ours(span) && span.kind === SERVER, { timeoutMs: 5_000 });
  return { answers, spans: receiver.spans.filter(ours) };
}

beforeAll(async () => {
  receiver = await startOtlpReceiver({ protocol: 'http/protobuf' });
  const tasks = RUNS.map((run, i) => async () => {
    results.set(run, await runApp(run, `run-${i}`).catch((error: unknown) => error as Error));
  });
  await pooled(tasks, CONCURRENCY);
}, 60_000);

afterAll(async () => {
  await killAllChildren();
  await receiver?.close();
});

describe.each(RUNS.map((run) => [label(run), run] as const))('%s', (_label, run) => {
  const result = (): RunResult => {
    const found = results.get(run);
    if (found === undefined) throw new Error('the app did not run');
    if (found instanceof Error) throw found;
    return found;
  };

  /** The request's SERVER span and the GraphQL spans directly under it. */
  function requestSpans(operation: Operation): { server: ReceivedSpan; children: ReceivedSpan[] } {
    const { spans } = result();
    const requests = spans.filter((s) => s.kind === SERVER && s.attributes['url.path'] === `/q/${operation}`);
    expect(requests, `one SERVER span for /q/${operation}`).toHaveLength(1);
    const server = requests[0] as ReceivedSpan;
    expect(server.name).toBe('GET /q/:name');
    const children = spans.filter((s) => s.parentSpanId === server.spanId);
    for (const child of children) {
      expect(child.traceId).toBe(server.traceId);
      expect(child.scope.name).toBe(SCOPE);
      expect(child.kind).toBe(INTERNAL);
    }
    return { server, children };
  }

  const named = (spans: readonly ReceivedSpan[], name: string): ReceivedSpan => {
    const found = spans.filter((s) => s.name === name);
    expect(found, `one ${name} in ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
    return found[0] as ReceivedSpan;
  };

  it('answers every operation as graphql-js does (telemetry changes no answer)', () => {
    const { answers } = result();
    expect(answers.order.data).toEqual({
      order: { id: 'hunter2-variable', total: 42, customer: { name: 'Alice' } },
      orders: [
        { id: '1', label: 'order 1' },
        { id: '2', label: 'order 2' },
        { id: '3', label: 'order 3' },
      ],
    });
    expect(answers.anonymous.data).toEqual({ orders: [{ id: '1' }] });
    expect(answers.mutation.data).toEqual({ placeOrder: { id: '11-3', total: 15 } });
    expect(answers.syntax.errors?.[0]?.message).toMatch(/^Syntax Error/);
    expect(answers.invalid.errors).toHaveLength(2);
    expect(answers.boom).toMatchObject({ data: { boom: null }, errors: [{ message: 'payment service unavailable' }] });
  });

  it('gives the request parse, validate and an execute span named and described by the conventions', () => {
    const { server, children } = requestSpans('order');
    named(children, 'graphql.parse');
    named(children, 'graphql.validate');
    const execute = named(children, 'query GetOrder');
    expect(execute.attributes).toMatchObject({
      'graphql.operation.type': 'query',
      'graphql.operation.name': 'GetOrder',
      'graphql.document': ORDER_DOCUMENT,
    });
    expect(execute.status.code).not.toBe(ERROR);
    expect(execute.startTimeUnixNano >= server.startTimeUnixNano).toBe(true);
    expect(execute.endTimeUnixNano <= server.endTimeUnixNano).toBe(true);
  });

  it('names an anonymous query by its type, and traces parse/validate/execute called one by one', () => {
    const anonymous = named(requestSpans('anonymous').children, 'query');
    expect(anonymous.attributes['graphql.operation.type']).toBe('query');
    expect(anonymous.attributes['graphql.operation.name']).toBeUndefined();
    expect(anonymous.attributes['graphql.document']).toBe('{ orders(first: ?) { id } }');
    const { children } = requestSpans('mutation');
    expect(children.map((s) => s.name).sort()).toEqual(['graphql.parse', 'graphql.validate', 'mutation PlaceOrder']);
    expect(named(children, 'mutation PlaceOrder').attributes).toMatchObject({
      'graphql.operation.type': 'mutation',
      'graphql.operation.name': 'PlaceOrder',
      'graphql.document': 'mutation PlaceOrder { placeOrder(sku: ?, quantity: ?) { id total } }',
    });
  });

  it('lets no literal or variable value into any span (attributes, events, status, names)', () => {
    const { spans } = result();
    const graphqlSpans = spans.filter((s) => s.scope.name === SCOPE);
    expect(graphqlSpans.length).toBeGreaterThanOrEqual(15);
    const text = JSON.stringify(
      spans.map((s) => [s.name, s.attributes, s.status, s.events.map((e) => [e.name, e.attributes])]),
    );
    for (const literal of LITERALS) expect(text, literal).not.toContain(literal);
    for (const span of graphqlSpans) {
      const keys = Object.keys(span.attributes);
      expect(keys.filter((key) => key === 'graphql.source' || key.startsWith('graphql.variables'))).toEqual([]);
    }
  });

  it('fails the parse span of a syntax error: ERROR, exception, error.type; nothing is executed', () => {
    const { children } = requestSpans('syntax');
    expect(children.map((s) => s.name)).toEqual(['graphql.parse']);
    const parse = children[0] as ReceivedSpan;
    expect(parse.status.code).toBe(ERROR);
    expect(parse.status.message).toMatch(/^Syntax Error/);
    expect(parse.attributes['error.type']).toBe('GRAPHQL_PARSE_FAILED');
    expect(parse.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('fails the validate span of an invalid document, one exception per error', () => {
    const { children } = requestSpans('invalid');
    expect(children.map((s) => s.name).sort()).toEqual(['graphql.parse', 'graphql.validate']);
    const validate = named(children, 'graphql.validate');
    expect(validate.status.code).toBe(ERROR);
    expect(validate.attributes['error.type']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(validate.events.map((e) => e.name)).toEqual(['exception', 'exception']);
    expect(validate.events[1]?.attributes['exception.message']).toBe('Cannot query field "nope" on type "Order".');
    expect(named(children, 'graphql.parse').status.code).not.toBe(ERROR);
  });

  it("fails the execute span when a resolver throws, with the resolver's error", () => {
    const execute = named(requestSpans('boom').children, 'query Boom');
    expect(execute.status).toEqual({ code: ERROR, message: 'payment service unavailable' });
    expect(execute.attributes['error.type']).toBe('PaymentError');
    const exception = execute.events.find((e) => e.name === 'exception');
    expect(exception?.attributes).toMatchObject({
      'exception.type': 'Error',
      'exception.message': 'payment service unavailable',
    });
  });

  if (run.resolvers === 'off') {
    it('makes no resolver span by default', () => {
      expect(result().spans.filter((s) => s.name.startsWith('graphql.resolve'))).toEqual([]);
    });
  } else {
    it('makes a span per resolver call when asked, nested, trivial fields skipped, list items merged', () => {
      const { spans } = result();
      const execute = named(requestSpans('order').children, 'query GetOrder');
      const under = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
      const top = under(execute);
      expect(top.map((s) => s.name).sort()).toEqual(['graphql.resolve order', 'graphql.resolve orders']);
      const order = named(top, 'graphql.resolve order');
      expect(order.attributes).toMatchObject({
        'graphql.field.name': 'order',
        'graphql.field.path': 'order',
        'graphql.field.type': 'Order',
      });
      expect(under(order).map((s) => s.name)).toEqual(['graphql.resolve order.customer']);
      expect(under(named(top, 'graphql.resolve orders')).map((s) => s.name)).toEqual([
        'graphql.resolve orders.*.label',
      ]);
      const boom = named(under(named(requestSpans('boom').children, 'query Boom')), 'graphql.resolve boom');
      expect(boom.status.code).toBe(ERROR);
      expect(boom.attributes['error.type']).toBe('PaymentError');
      expect(boom.events.map((e) => e.name)).toEqual(['exception']);
    });
  }
});
