/**
 * `TelemetryInterceptor`: a span per handler call outside HTTP — microservice message and event handlers,
 * WebSocket gateways — where Nest's interceptors are the hook it offers. HTTP requests already have their
 * SERVER span from the request lifecycle, so for them it passes straight through.
 *
 * Opt-in (it is not registered globally, so HTTP routes do not pay for an interceptor):
 *
 * ```ts
 * const app = await NestFactory.createMicroservice(AppModule, { transport: Transport.TCP });
 * app.useGlobalInterceptors(new TelemetryInterceptor());
 * ```
 */
import { recordSpanFailure, spanNameFromIdentifiers } from '@autotelemetry/core';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { type Attributes, context, type Span, SpanKind, trace } from '@opentelemetry/api';
import { Observable, type Subscriber, type Subscription } from 'rxjs';
import { DEFAULT_SCOPE_NAME } from './telemetry.service.js';

/** Attribute telling which kind of Nest handler ran: `rpc` or `ws`. */
export const ATTR_NEST_CONTEXT_TYPE = 'nestjs.type';
/** Attribute naming the controller (or gateway) class. */
export const ATTR_NEST_CONTROLLER = 'nestjs.controller';
/** Attribute naming the handler method. */
export const ATTR_NEST_HANDLER = 'nestjs.callback';

interface HandlerPlan {
  readonly name: string;
  readonly attributes: Attributes;
}

// Per handler function: the span name and attributes, computed once.
const plans = new WeakMap<object, HandlerPlan>();

function planFor(ctx: ExecutionContext, type: string): HandlerPlan {
  const handler = ctx.getHandler();
  let plan = plans.get(handler);
  if (plan === undefined) {
    const controller = ctx.getClass().name;
    const method = handler.name;
    plan = {
      name: spanNameFromIdentifiers(controller, method),
      attributes: {
        [ATTR_NEST_CONTEXT_TYPE]: type,
        [ATTR_NEST_CONTROLLER]: controller,
        [ATTR_NEST_HANDLER]: method,
      },
    };
    plans.set(handler, plan);
  }
  return plan;
}

/** Relays a handler's Observable to the subscriber and ends the span once, with its outcome. */
class SpanRelay {
  private ended = false;
  constructor(
    private readonly span: Span,
    private readonly subscriber: Subscriber<unknown>,
  ) {}

  next(value: unknown): void {
    this.subscriber.next(value);
  }

  error(error: unknown): void {
    if (!this.ended) {
      this.ended = true;
      recordSpanFailure(this.span, error);
      this.span.end();
    }
    this.subscriber.error(error);
  }

  complete(): void {
    this.end();
    this.subscriber.complete();
  }

  /** Ends the span when the subscriber leaves early (unsubscribed before completion). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
  }
}

function subscribeInSpan(next: CallHandler, relay: SpanRelay): Subscription {
  return next.handle().subscribe(relay);
}

/**
 * Starts a span (kind SERVER, named `controller.handler` in the naming standard, e.g.
 * `math_controller.sum`) around each non-HTTP handler call, active while the handler runs, so logs and
 * spans made inside nest under it; an error is recorded on it and passed on unchanged.
 */
export class TelemetryInterceptor implements NestInterceptor {
  /** @param tracerName instrumentation scope of the handler spans. */
  constructor(private readonly tracerName: string = DEFAULT_SCOPE_NAME) {}

  /** See the class. */
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = ctx.getType();
    if (type === 'http') return next.handle();
    const plan = planFor(ctx, type);
    const tracerName = this.tracerName;
    return new Observable<unknown>((subscriber) => {
      const parent = context.active();
      const span = trace
        .getTracer(tracerName)
        .startSpan(plan.name, { kind: SpanKind.SERVER, attributes: plan.attributes }, parent);
      const relay = new SpanRelay(span, subscriber);
      const subscription = context.with(trace.setSpan(parent, span), subscribeInSpan, undefined, next, relay);
      return () => {
        subscription.unsubscribe();
        relay.end();
      };
    });
  }
}
