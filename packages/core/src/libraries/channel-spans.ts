/**
 * Client spans from a library's own `TracingChannel` events (mysql2, ioredis and node-redis publish them):
 * no patching, so the library's load order and module format do not matter, and a library the app never
 * loads costs one idle subscription.
 *
 * A traced call publishes `start` synchronously in the caller's async context (so the active span there is
 * the parent), then either `error` + `end` for a synchronous throw, or `end` now and `asyncEnd` when the
 * promise settles or the callback runs (after `error` for a failure). The span rides on the event's context
 * object, which the library creates per call.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import {
  type Attributes,
  context,
  type Exception,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';

/** What a call is, read from its channel context; undefined to leave the call untraced. */
export interface ClientOperation {
  readonly name: string;
  readonly attributes: Attributes;
  readonly kind?: SpanKind;
}

const SPAN = Symbol('autotelemetry.channel-span');

interface Carrier {
  [SPAN]?: Span;
  error?: unknown;
}

/** `error.type`: the error's code (`ER_NO_SUCH_TABLE`, `ECONNREFUSED`) when it has a string one, else its class. */
export function errorType(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0 && code.length <= 64) return code;
    const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return '_OTHER';
}

/** Rewrites an error's text (its message, its stack) to leave out what must not leave the process. */
export type Redact = (text: string) => string;

/** `exception` as recorded: its message and stack passed through `redact`, the exception itself if unchanged. */
export function redactedException(exception: Exception, redact: Redact): Exception {
  if (typeof exception === 'string') return redact(exception);
  const { message, stack } = exception;
  const cleanMessage = typeof message === 'string' ? redact(message) : message;
  const cleanStack = typeof stack === 'string' ? redact(stack) : stack;
  if (cleanMessage === message && cleanStack === stack) return exception;
  const name = exception.name ?? (exception as { constructor?: { name?: unknown } }).constructor?.name;
  return {
    name: typeof name === 'string' ? name : undefined,
    code: exception.code,
    message: cleanMessage,
    stack: cleanStack,
  } as Exception;
}

/**
 * Marks `span` failed by `error`: ERROR status with the message, an exception event, `error.type`; the
 * message and the stack through `redact` when given.
 */
export function failSpan(span: Span, error: unknown, redact?: Redact): void {
  const raw = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: redact === undefined ? raw : redact(raw) });
  span.setAttribute('error.type', errorType(error));
  const exception: Exception = error instanceof Error ? error : { message: raw };
  span.recordException(redact === undefined ? exception : redactedException(exception, redact));
}

function end(carrier: Carrier): void {
  const span = carrier[SPAN];
  if (span === undefined) return;
  carrier[SPAN] = undefined;
  span.end();
}

/**
 * Subscribes to `channelName` and makes a client span per traced call. Returns the function that
 * unsubscribes. Never throws into the library: a subscriber's exception would be rethrown on the next tick.
 */
export function traceChannel<C extends object>(
  channelName: string,
  tracer: Tracer,
  describe: (ctx: C) => ClientOperation | undefined,
  redact?: Redact,
): () => void {
  const channel = tracingChannel<unknown, C & Carrier>(channelName);
  const handlers = {
    start(ctx: C & Carrier) {
      try {
        const active = context.active();
        if (isTracingSuppressed(active)) return;
        const operation = describe(ctx);
        if (operation === undefined) return;
        ctx[SPAN] = tracer.startSpan(
          operation.name,
          { kind: operation.kind ?? SpanKind.CLIENT, attributes: operation.attributes },
          active,
        );
      } catch {
        // The call goes on untraced.
      }
    },
    end(ctx: C & Carrier) {
      // A synchronous throw: `error` came first and no `asyncEnd` follows.
      if (ctx.error !== undefined) end(ctx);
    },
    asyncStart() {},
    asyncEnd(ctx: C & Carrier) {
      end(ctx);
    },
    error(ctx: C & Carrier) {
      try {
        const span = ctx[SPAN];
        if (span !== undefined) failSpan(span, ctx.error, redact);
      } catch {
        // The span still ends.
      }
    },
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}

/**
 * Subscribes to several channels at once, errors' texts through `redact` when given; returns the function
 * that unsubscribes from all of them.
 */
export function traceChannels(
  tracer: Tracer,
  channels: ReadonlyArray<readonly [string, (ctx: never) => ClientOperation | undefined]>,
  redact?: Redact,
): () => void {
  const stops = channels.map(([name, describe]) => traceChannel(name, tracer, describe, redact));
  return () => {
    for (const stop of stops) stop();
  };
}
