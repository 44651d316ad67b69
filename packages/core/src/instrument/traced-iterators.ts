/**
 * Iterators that keep a traced generator's span open until the iteration is over. A generator function
 * returns before its body runs, so the span of a traced generator must instead cover every `next()`,
 * `return()` and `throw()` — each run with the span active, so spans started inside nest under it — and
 * end when the generator is done, returns early (a `break` in `for…of`) or throws.
 *
 * A consumer that abandons an iterator without `return()` leaves the span unended: it is then never
 * exported, which is the honest outcome for an iteration that never finished.
 */
import { type Context, context, type Span } from '@opentelemetry/api';
import { endObservedSpan } from './span-end.js';

type Step<T> = (this: unknown, arg: unknown) => T;

// Calls `method` on `target` without allocating a bound function per step.
function callStep<T>(method: Step<T>, target: unknown, arg: unknown): T {
  return method.call(target, arg);
}

/** A generator's iteration, traced by one span. Inherits the iterator helpers (`map`, `toArray`, …). */
export class TracedGenerator<T, TReturn, TNext> {
  private ended = false;

  constructor(
    private readonly generator: Generator<T, TReturn, TNext>,
    private readonly span: Span,
    private readonly spanContext: Context,
    private readonly key: string,
    private readonly startedAt: number,
  ) {}

  /** Resumes the generator with the span active. */
  next(...args: [] | [TNext]): IteratorResult<T, TReturn> {
    return this.step(this.generator.next as Step<IteratorResult<T, TReturn>>, args[0]);
  }

  /** Finishes the generator early; ends the span as a success. */
  return(value: TReturn): IteratorResult<T, TReturn> {
    return this.step(this.generator.return as Step<IteratorResult<T, TReturn>>, value);
  }

  /** Throws into the generator; the span fails if the generator does not catch it. */
  throw(error: unknown): IteratorResult<T, TReturn> {
    return this.step(this.generator.throw as Step<IteratorResult<T, TReturn>>, error);
  }

  /** Iterating the wrapper iterates the generator. */
  [Symbol.iterator](): this {
    return this;
  }

  private step(method: Step<IteratorResult<T, TReturn>>, arg: unknown): IteratorResult<T, TReturn> {
    if (this.ended) return method.call(this.generator, arg);
    let result: IteratorResult<T, TReturn>;
    try {
      result = context.with(
        this.spanContext,
        callStep<IteratorResult<T, TReturn>>,
        undefined,
        method,
        this.generator,
        arg,
      );
    } catch (error) {
      this.ended = true;
      endObservedSpan(this.span, this.key, this.startedAt, true, error);
      throw error;
    }
    if (result.done === true) {
      this.ended = true;
      endObservedSpan(this.span, this.key, this.startedAt, false);
    }
    return result;
  }
}

/** An async generator's iteration, traced by one span. Inherits the async iterator prototype. */
export class TracedAsyncGenerator<T, TReturn, TNext> {
  private ended = false;

  constructor(
    private readonly generator: AsyncGenerator<T, TReturn, TNext>,
    private readonly span: Span,
    private readonly spanContext: Context,
    private readonly key: string,
    private readonly startedAt: number,
  ) {}

  /** Resumes the generator with the span active. */
  next(...args: [] | [TNext]): Promise<IteratorResult<T, TReturn>> {
    return this.step(this.generator.next as Step<Promise<IteratorResult<T, TReturn>>>, args[0]);
  }

  /** Finishes the generator early; ends the span as a success. */
  return(value: TReturn | PromiseLike<TReturn>): Promise<IteratorResult<T, TReturn>> {
    return this.step(this.generator.return as Step<Promise<IteratorResult<T, TReturn>>>, value);
  }

  /** Throws into the generator; the span fails if the generator does not catch it. */
  throw(error: unknown): Promise<IteratorResult<T, TReturn>> {
    return this.step(this.generator.throw as Step<Promise<IteratorResult<T, TReturn>>>, error);
  }

  /** Iterating the wrapper iterates the generator. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  private async step(
    method: Step<Promise<IteratorResult<T, TReturn>>>,
    arg: unknown,
  ): Promise<IteratorResult<T, TReturn>> {
    if (this.ended) return method.call(this.generator, arg);
    let result: IteratorResult<T, TReturn>;
    try {
      result = await context.with(
        this.spanContext,
        callStep<Promise<IteratorResult<T, TReturn>>>,
        undefined,
        method,
        this.generator,
        arg,
      );
    } catch (error) {
      // Several next() calls may be in flight; only the first outcome ends the span.
      if (!this.ended) {
        this.ended = true;
        endObservedSpan(this.span, this.key, this.startedAt, true, error);
      }
      throw error;
    }
    if (result.done === true && !this.ended) {
      this.ended = true;
      endObservedSpan(this.span, this.key, this.startedAt, false);
    }
    return result;
  }
}

// Put the built-in iterator prototypes under the wrappers: iterator helpers (`.map()`, `.take()`,
// `.toArray()`) and `Symbol.dispose` then work on a traced generator as on a plain one.
const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(function* () {}.prototype)) as object;
const asyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}.prototype)) as object;
Object.setPrototypeOf(TracedGenerator.prototype, iteratorPrototype);
Object.setPrototypeOf(TracedAsyncGenerator.prototype, asyncIteratorPrototype);
Object.defineProperty(TracedGenerator.prototype, Symbol.toStringTag, { value: 'Generator', configurable: true });
Object.defineProperty(TracedAsyncGenerator.prototype, Symbol.toStringTag, {
  value: 'AsyncGenerator',
  configurable: true,
});
