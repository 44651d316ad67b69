/**
 * graphql-js (`graphql` 15 and 16): parse, validate and execute spans from the maintained
 * `@opentelemetry/instrumentation-graphql`, applied to the loaded package (otel-patch.ts), with what the
 * GraphQL semantic conventions and this project promise:
 *
 * - the execute span is named `query GetOrder` (or `query`), with `graphql.operation.type`,
 *   `graphql.operation.name` and `graphql.document`: the document printed with every literal replaced by
 *   `?` (graphql-text.ts). The instrumentation's own `graphql.source` (which keeps booleans and enum values)
 *   never reaches a span, nor do variables (`allowValues: false`);
 * - a failed parse, validation or execution (a resolver's error is in the result, not thrown) ends its span
 *   with ERROR status, an exception event and `error.type`; messages graphql-js wrote have their values
 *   masked, a resolver's own error is recorded as thrown;
 * - resolver spans only on request (`instrumentations: { graphql: { resolvers: true } }`): one per field
 *   with a resolver of its own, list items merged (`orders.*.total`).
 *
 * The instrumentation is given a tracer whose spans filter and complete what it records; its metrics (it
 * has none) are not wired.
 */
import {
  type AttributeValue,
  type Context,
  context,
  createNoopMeter,
  type Exception,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { errorType } from './channel-spans.js';
import { type GraphqlPrinter, literalsOf, sanitizeDocument, sanitizeGraphqlMessage } from './graphql-text.js';
import type { LoadedPackage } from './module-watch.js';
import { patchLoadedPackage } from './otel-patch.js';

/** What the graphql instrumentation is asked for (`instrumentations.graphql`). */
export interface GraphqlSettings {
  /** One span per resolver call (off by default: a query can resolve hundreds of fields). */
  readonly resolvers: boolean;
}

/** `error.type` of a document that does not parse, and of one that does not validate. */
export const GRAPHQL_PARSE_FAILED = 'GRAPHQL_PARSE_FAILED';
export const GRAPHQL_VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';

/** Exception events recorded per failed operation, at most. */
const MAX_ERROR_EVENTS = 10;

type Role = 'parse' | 'validate' | 'execute' | 'resolve' | 'other';

function roleOf(name: string): Role {
  if (name === 'graphql.parse') return 'parse';
  if (name === 'graphql.validate') return 'validate';
  if (name === 'graphql.execute') return 'execute';
  if (name.startsWith('graphql.resolve')) return 'resolve';
  return 'other';
}

interface GraphqlErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly originalError?: unknown;
  readonly extensions?: { readonly code?: unknown };
}

const isGraphqlError = (error: unknown): boolean =>
  error !== null && typeof error === 'object' && (error as GraphqlErrorLike).name === 'GraphQLError';

/** The app's own error behind a GraphQL error (a resolver's throw), or undefined when graphql-js made it. */
function appErrorOf(error: unknown): unknown {
  if (error === null || typeof error !== 'object') return undefined;
  if (!isGraphqlError(error)) return error;
  const original = (error as GraphqlErrorLike).originalError;
  return original !== undefined && original !== null && !isGraphqlError(original) ? original : undefined;
}

/** `error.type` of one GraphQL error: its `extensions.code`, else the app error's code or class. */
function graphqlErrorType(error: unknown, fallback: string): string {
  const code = (error as GraphqlErrorLike | undefined)?.extensions?.code;
  if (typeof code === 'string' && code.length > 0 && code.length <= 64) return code;
  const app = appErrorOf(error);
  return app === undefined ? fallback : errorType(app);
}

/**
 * A span of the instrumentation, completed on its way: attributes that could carry values are dropped,
 * failures are recorded by this project's rules (status, sanitized exception, `error.type`).
 */
export class GraphqlSpan implements Span {
  readonly role: Role;
  /** The document and variables, read for their literals only if the operation fails. */
  #described: { readonly document: unknown; readonly variables: unknown } | undefined;
  #literals: ReadonlySet<string> | undefined;
  #failed: string | undefined;

  constructor(
    readonly span: Span,
    name: string,
    readonly printer: GraphqlPrinter | undefined,
  ) {
    this.role = roleOf(name);
  }

  /** The document this span is about (validate, execute), and the variables' values to mask in messages. */
  describe(document: unknown, variables?: unknown): void {
    this.#described = { document, variables };
    const printer = this.printer;
    if (printer === undefined || this.role !== 'execute') return;
    try {
      const text = sanitizeDocument(document, printer);
      if (text !== undefined) this.span.setAttribute('graphql.document', text);
    } catch {
      // The span goes on without the document.
    }
  }

  /** Ends the operation as failed by `errors` (GraphQL errors, or what a call threw). */
  fail(errors: readonly unknown[], fallbackType: string): void {
    if (errors.length === 0 || this.#failed !== undefined) return;
    // Called from inside the instrumentation's `finally`: a throw here would reach the app's call.
    try {
      const first = errors[0];
      const type = this.role === 'parse' ? GRAPHQL_PARSE_FAILED : graphqlErrorType(first, fallbackType);
      const messages = errors.slice(0, MAX_ERROR_EVENTS).map((error) => this.#messageOf(error));
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
      this.#failed = `${messages[0]}${more}`;
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: this.#failed });
      this.span.setAttribute('error.type', type);
      messages.forEach((message, i) => {
        const app = appErrorOf(errors[i]);
        if (app instanceof Error) this.span.recordException(app);
        else this.span.recordException({ name: 'GraphQLError', message });
      });
    } catch {
      this.#failed ??= 'GraphQL error';
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: this.#failed });
    }
  }

  #messageOf(error: unknown): string {
    const app = appErrorOf(error);
    if (app !== undefined) return app instanceof Error ? app.message : String(app);
    const message = (error as GraphqlErrorLike | undefined)?.message;
    return sanitizeGraphqlMessage(
      typeof message === 'string' ? message : 'GraphQL error',
      this.#literalsToMask(),
      this.role === 'parse',
    );
  }

  /** The texts to mask wherever they appear in a message: the document's literals, the variables' values. */
  #literalsToMask(): ReadonlySet<string> | undefined {
    if (this.#literals === undefined && this.#described !== undefined && this.printer !== undefined) {
      const literals = literalsOf(this.#described.document, this.printer);
      addLeaves(literals, this.#described.variables, 0);
      this.#literals = literals;
    }
    return this.#literals;
  }

  spanContext(): SpanContext {
    return this.span.spanContext();
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (key === 'graphql.source') return this;
    // Set by the instrumentation when the document has no such operation: it quotes the client's name.
    if (key === 'graphql.operation.name' && typeof value === 'string' && value.endsWith('not supported')) return this;
    this.span.setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) this.setAttribute(key, value);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: SpanAttributes | TimeInput, startTime?: TimeInput): this {
    this.span.addEvent(name, attributesOrStartTime, startTime);
    return this;
  }

  addLink(link: Link): this {
    this.span.addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.span.addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    // A resolver's failure: the status message is the one `fail` wrote.
    if (status.code === SpanStatusCode.ERROR && this.#failed !== undefined) {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: this.#failed });
    } else {
      this.span.setStatus(status);
    }
    return this;
  }

  updateName(name: string): this {
    this.span.updateName(name);
    return this;
  }

  end(endTime?: TimeInput): void {
    this.span.end(endTime);
  }

  isRecording(): boolean {
    return this.span.isRecording();
  }

  /** What the instrumentation records: a syntax error, validation errors (as JSON), a call's throw. */
  recordException(exception: Exception, _time?: TimeInput): void {
    if (this.#failed !== undefined) return;
    if (this.role === 'validate' && (exception as { name?: unknown }).name === 'graphql.validation.error') {
      let errors: unknown[] = [];
      try {
        const parsed = JSON.parse(String((exception as { message?: unknown }).message)) as unknown;
        if (Array.isArray(parsed)) errors = parsed.map((error) => ({ ...(error as object), name: 'GraphQLError' }));
      } catch {
        errors = [{ name: 'GraphQLError', message: 'validation failed' }];
      }
      this.fail(errors, GRAPHQL_VALIDATION_FAILED);
      return;
    }
    this.fail([exception], 'GraphQLError');
  }
}

/** Adds the leaf values of a variables object (strings, numbers, booleans) to `into`. */
function addLeaves(into: Set<string>, value: unknown, depth: number): void {
  if (depth > 8 || value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    into.add(String(value));
  } else if (typeof value === 'object') {
    for (const item of Object.values(value)) addLeaves(into, item, depth + 1);
  }
}

/** A tracer handing the instrumentation {@link GraphqlSpan}s. */
class GraphqlTracer implements Tracer {
  constructor(
    readonly tracer: Tracer,
    readonly printer: () => GraphqlPrinter | undefined,
  ) {}

  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    // Parsing or validating outside any span is the app building its schema at start-up: no trace of its own.
    if (
      (name === 'graphql.parse' || name === 'graphql.validate') &&
      trace.getSpan(ctx ?? context.active()) === undefined
    ) {
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
    return new GraphqlSpan(this.tracer.startSpan(name, options, ctx), name, this.printer());
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    return (this.tracer.startActiveSpan as (name: string, ...rest: unknown[]) => ReturnType<F>)(name, ...rest);
  }
}

const noMeters = { getMeter: () => createNoopMeter() };

/** The instrumentation's options for `settings`: literals masked; resolvers off, or on with list items merged. */
export function graphqlInstrumentationConfig(settings: GraphqlSettings): Record<string, unknown> {
  return {
    enabled: false,
    allowValues: false,
    ignoreResolveSpans: !settings.resolvers,
    ignoreTrivialResolveSpans: true,
    mergeItems: true,
    depth: settings.resolvers ? -1 : 0,
    responseHook: (span: Span, result: unknown) => {
      const errors = (result as { errors?: unknown } | undefined)?.errors;
      if (span instanceof GraphqlSpan && Array.isArray(errors)) span.fail(errors, 'GraphQLError');
    },
  };
}

export interface GraphqlInstrumentation {
  readonly instrumentation: InstrumentationBase;
  /** Patches one loaded copy of graphql; returns the undo, or undefined when its version is not traced. */
  patch(loaded: LoadedPackage): (() => void) | undefined;
  /** Re-targets the spans (a later start) and applies its settings. */
  configure(tracerProvider: TracerProvider, settings: GraphqlSettings): void;
}

/** Creates the instrumentation, loading its package now (only once `graphql` is found). */
export function createGraphqlInstrumentation(
  requireDependency: NodeJS.Require,
  tracerProvider: TracerProvider,
  settings: GraphqlSettings,
): GraphqlInstrumentation {
  const { GraphQLInstrumentation } = requireDependency('@opentelemetry/instrumentation-graphql') as {
    GraphQLInstrumentation: new (config: object) => InstrumentationBase;
  };
  let printer: GraphqlPrinter | undefined;
  const instrumentation = new GraphQLInstrumentation(graphqlInstrumentationConfig(settings));
  const configure = (provider: TracerProvider, next: GraphqlSettings) => {
    instrumentation.setConfig(graphqlInstrumentationConfig(next));
    instrumentation.setTracerProvider({
      getTracer: (...args: Parameters<TracerProvider['getTracer']>) =>
        new GraphqlTracer(provider.getTracer(...args), () => printer),
    });
  };
  configure(tracerProvider, settings);
  instrumentation.setMeterProvider(noMeters);
  return {
    instrumentation,
    configure,
    patch(loaded) {
      const exports = loaded.exports as Partial<GraphqlPrinter> | undefined;
      if (typeof exports?.print === 'function' && typeof exports.visit === 'function') {
        printer ??= { print: exports.print, visit: exports.visit };
      }
      // Innermost wrappers first (the instrumentation wraps them): they see the document while its span is active.
      const inner = [
        wrapInner(loaded, 'validation/validate.js', 'validate', (args) => [args[1], undefined]),
        wrapInner(loaded, 'execution/execute.js', 'execute', (args) => {
          const first = args[0] as { document?: unknown; variableValues?: unknown } | undefined;
          return args.length === 1 ? [first?.document, first?.variableValues] : [args[1], args[4]];
        }),
      ];
      const undo = patchLoadedPackage(instrumentation, loaded);
      if (undo === undefined) {
        for (const restore of inner) restore?.();
        return undefined;
      }
      return () => {
        undo();
        for (const restore of inner) restore?.();
      };
    },
  };
}

/**
 * Wraps function `name` of the package's file `file` so that, when called in an active {@link GraphqlSpan},
 * that span learns its document. Returns the function that puts the original back.
 */
function wrapInner(
  loaded: LoadedPackage,
  file: string,
  name: string,
  read: (args: readonly unknown[]) => [document: unknown, variables: unknown],
): (() => void) | undefined {
  let exports: Record<string, unknown>;
  try {
    exports = loaded.requireFile(file) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const original = exports[name];
  if (typeof original !== 'function') return undefined;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    try {
      const span = trace.getSpan(context.active());
      if (span instanceof GraphqlSpan) {
        const [document, variables] = read(args);
        span.describe(document, variables);
      }
    } catch {
      // The call goes on as it would.
    }
    return original.apply(this, args);
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  exports[name] = wrapped;
  return () => {
    if (exports[name] === wrapped) exports[name] = original;
  };
}
