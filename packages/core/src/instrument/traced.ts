/**
 * `traced(fn)`, `@Traced()` and `traceAll(obj)`: a span around every call of a function, method or
 * module's functions — the seed's "trace all functions", for the code you choose.
 *
 * The span is active during the call (spans started inside nest under it) and covers the whole
 * operation: the call for a sync function, until settlement for one returning a native Promise, and the
 * whole iteration for a generator or async generator. A throw or rejection is recorded on the span
 * (exception event, `error.type`, ERROR status) and rethrown unchanged; the result is returned unchanged.
 * Other thenables (query builders, lazy ORM queries) are returned as they are and the span ends with
 * the call, since awaiting them here could run them.
 *
 * Spans come from the OpenTelemetry API globals, so wrapping at import time — before any pipeline is
 * started — is fine: the calls record into whatever pipeline is registered when they run.
 *
 * @packageDocumentation
 */

import { types } from 'node:util';
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  type SpanOptions,
  trace,
} from '@opentelemetry/api';
import { copyFunctionIdentity } from './function-metadata.js';
import { enforceName, spanNameFromIdentifiers } from './naming.js';
import { currentTracer } from './otel-handles.js';
import { readAttributesSafely } from './safe-attributes.js';
import { endObservedSpan, observationStart } from './span-end.js';
import { TracedAsyncGenerator, TracedGenerator } from './traced-iterators.js';

/** Options of {@link traced}, {@link Traced} and {@link traceAll}. */
export interface TracedOptions {
  /**
   * Span name, `operation.action` by convention (checked). Default: derived from the function's name —
   * `Class.method` → `class.method`, `loadCustomerData` → `load.customer_data`. On a class decorator or
   * in {@link traceAll}, it is the prefix: each method's span is `<name>.<method>`.
   */
  name?: string;
  /** Attributes set on every span, computed once at wrap time. */
  attributes?: Attributes;
  /** Span kind. Default INTERNAL. */
  kind?: SpanKind;
}

// biome-ignore lint/suspicious/noExplicitAny: a generic constraint that must accept every function type.
type AnyFunction = (this: any, ...args: any[]) => any;

/** Per wrapped function, built once at wrap time; each call only reads it. */
interface TracePlan {
  readonly fn: Function;
  name: string;
  readonly spanOptions: SpanOptions;
}

const PLAN = Symbol('autotelemetry.traced');

type WithPlan = { [PLAN]?: TracePlan };

/** Whether `fn` is a wrapper made by {@link traced}, {@link Traced} or {@link traceAll}. */
export function isTraced(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as WithPlan)[PLAN] !== undefined;
}

// No attribute is added by default (not even `code.function.name`): setting one costs about a fifth of a
// span's price, and the span name already says which function ran.
function spanOptionsFor(options: TracedOptions | undefined): SpanOptions {
  return { kind: options?.kind ?? SpanKind.INTERNAL, attributes: options?.attributes };
}

function applyCall(fn: Function, thisArg: unknown, args: unknown[]): unknown {
  return Reflect.apply(fn, thisArg, args);
}

async function settle(promise: Promise<unknown>, span: Span, key: string, startedAt: number): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    endObservedSpan(span, key, startedAt, true, error);
    throw error;
  }
  endObservedSpan(span, key, startedAt, false);
  return value;
}

/**
 * The plan's span. Its attributes are the caller's object, read by the SDK on every call; if reading throws
 * (a hostile getter or Proxy), the span starts with what can be read instead of throwing into the call.
 */
function startSpanSafely(plan: TracePlan, parent: Context): Span {
  try {
    return currentTracer().startSpan(plan.name, plan.spanOptions, parent);
  } catch {
    const options = { ...plan.spanOptions, attributes: readAttributesSafely(plan.spanOptions.attributes) };
    return currentTracer().startSpan(plan.name, options, parent);
  }
}

function runTraced(plan: TracePlan, thisArg: unknown, args: unknown[]): unknown {
  const startedAt = observationStart();
  const parent = context.active();
  const span = startSpanSafely(plan, parent);
  const spanContext: Context = trace.setSpan(parent, span);
  let result: unknown;
  try {
    result = context.with(spanContext, applyCall, undefined, plan.fn, thisArg, args);
  } catch (error) {
    endObservedSpan(span, plan.name, startedAt, true, error);
    throw error;
  }
  if (result !== null && typeof result === 'object') {
    if (result instanceof Promise) return settle(result, span, plan.name, startedAt);
    if (types.isGeneratorObject(result)) {
      return Symbol.asyncIterator in result
        ? new TracedAsyncGenerator(result as unknown as AsyncGenerator, span, spanContext, plan.name, startedAt)
        : new TracedGenerator(result as Generator, span, spanContext, plan.name, startedAt);
    }
  }
  endObservedSpan(span, plan.name, startedAt, false);
  return result;
}

function wrap<F extends Function>(fn: F, name: string, spanOptions: SpanOptions): F {
  const plan: TracePlan = { fn, name, spanOptions };
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    return runTraced(plan, this, args);
  };
  copyFunctionIdentity(fn, wrapper);
  Object.defineProperty(wrapper, PLAN, { value: plan });
  return wrapper as unknown as F;
}

/**
 * Wraps `fn` so that every call runs in a span. See the module documentation for what the span covers.
 * `this`, arguments, the result and thrown values pass through unchanged; the wrapper keeps `fn`'s
 * `name`, `length`, own properties and reflect-metadata entries.
 *
 * @param fn the function to trace.
 * @param options span name (checked against the naming standard; with `strictNaming` a bad one throws
 *   here), attributes and kind.
 */
export function traced<F extends AnyFunction>(fn: F, options?: TracedOptions): F {
  if (typeof fn !== 'function') throw new TypeError(`traced() expects a function, got ${typeof fn}`);
  const name = options?.name ?? spanNameFromIdentifiers(fn.name);
  enforceName('span', name);
  return wrap(fn, name, spanOptionsFor(options));
}

function isClassConstructor(fn: Function): boolean {
  return Function.prototype.toString.call(fn).startsWith('class');
}

/** Options of {@link traceAll}: those of {@link traced}, where `name` is the prefix of every span name. */
export type TraceAllOptions = TracedOptions;

/**
 * Returns a copy of a module-like object (an ESM namespace, a CommonJS `exports`, a plain object of
 * functions) whose function properties are {@link traced}. Classes and other values are copied as they
 * are. The original is left untouched, so frozen ESM namespaces work.
 *
 * @param target the object whose own enumerable functions to trace.
 * @param options `name` prefixes every span name (`traceAll(db, { name: 'db' })` → `db.query`).
 */
export function traceAll<T extends object>(target: T, options?: TraceAllOptions): T {
  const out: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    if (descriptor === undefined || !descriptor.enumerable) continue;
    const value: unknown = (target as Record<PropertyKey, unknown>)[key];
    if (typeof value !== 'function' || typeof key !== 'string' || isClassConstructor(value) || isTraced(value)) {
      out[key] = value;
      continue;
    }
    const identifier = key === 'default' && value.name ? value.name : key;
    const name = options?.name
      ? spanNameFromIdentifiers(options.name, identifier)
      : spanNameFromIdentifiers(identifier);
    enforceName('span', name);
    out[key] = wrap(value, name, spanOptionsFor(options));
  }
  return out as T;
}

function className(target: unknown): string {
  if (typeof target === 'function') return target.name;
  const ctor = (target as { constructor?: { name?: unknown } } | null)?.constructor;
  return typeof ctor?.name === 'string' ? ctor.name : '';
}

function keyName(key: string | symbol): string {
  return typeof key === 'symbol' ? (key.description ?? '') : key.replace(/^#/, '');
}

/** Wraps every own prototype method of a class (not the constructor, accessors or symbol-keyed methods). */
function traceClassMethods(ctor: Function, options: TracedOptions): void {
  const prototype = (ctor as { prototype?: object }).prototype;
  if (prototype === undefined || prototype === null) return;
  const prefix = options.name ?? ctor.name;
  for (const key of Reflect.ownKeys(prototype)) {
    if (key === 'constructor' || typeof key === 'symbol') continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
    if (descriptor === undefined || typeof descriptor.value !== 'function' || isTraced(descriptor.value)) continue;
    if (!descriptor.configurable && !descriptor.writable) continue;
    const name = spanNameFromIdentifiers(prefix, key);
    enforceName('span', name);
    const wrapper = wrap(descriptor.value as Function, name, spanOptionsFor(options));
    Object.defineProperty(prototype, key, { ...descriptor, value: wrapper });
  }
}

function legacyMethod(
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor,
  options: TracedOptions,
): PropertyDescriptor {
  if (typeof descriptor.value !== 'function') {
    throw new TypeError(`@Traced() applies to methods and classes; ${String(key)} is not a method`);
  }
  const owner = className(target);
  const name = options.name ?? spanNameFromIdentifiers(owner, keyName(key));
  enforceName('span', name);
  const value = wrap(descriptor.value as Function, name, spanOptionsFor(options));
  return { ...descriptor, value };
}

interface StandardContext {
  readonly kind: string;
  readonly name: string | symbol | undefined;
  readonly static?: boolean;
  addInitializer?(initializer: (this: unknown) => void): void;
}

function isStandardContext(value: unknown): value is StandardContext {
  return value !== null && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string';
}

/** The class that owns a method — found once, from the first instance (or the class, for static ones). */
function ownerOf(self: unknown, key: string | symbol, wrapper: Function, isStatic: boolean): string {
  if (isStatic) return typeof self === 'function' ? self.name : '';
  for (let proto = Object.getPrototypeOf(self) as object | null; proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (Object.getOwnPropertyDescriptor(proto, key)?.value === wrapper) return className(proto);
  }
  return className(self);
}

function standardMethod(value: Function, ctx: StandardContext, options: TracedOptions): Function {
  const method = keyName(ctx.name ?? value.name);
  const name = options.name ?? spanNameFromIdentifiers(method);
  enforceName('span', name);
  const wrapper = wrap(value, name, spanOptionsFor(options));
  if (options.name === undefined && typeof ctx.addInitializer === 'function' && typeof ctx.name !== 'undefined') {
    // A standard method decorator does not see its class; the class is known once the first instance (or,
    // for a static method, the class itself) exists. Resolve the full name then, once.
    const plan = (wrapper as WithPlan)[PLAN] as TracePlan;
    const key = ctx.name;
    const isStatic = ctx.static === true;
    let resolved = false;
    ctx.addInitializer(function (this: unknown) {
      if (resolved) return;
      resolved = true;
      const owner = ownerOf(this, key, wrapper, isStatic);
      if (!owner) return;
      plan.name = spanNameFromIdentifiers(owner, method);
      enforceName('span', plan.name);
    });
  }
  return wrapper;
}

/**
 * What `@Traced()` returns: a decorator usable on methods and classes, under both TC39 standard
 * decorators and TypeScript's legacy `experimentalDecorators`.
 */
export interface TracedDecorator {
  /** TC39 standard method decorator. */
  <This, Args extends unknown[], Return>(
    value: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  /** TC39 standard class decorator. */
  <Class extends abstract new (...args: never) => unknown>(value: Class, context: ClassDecoratorContext<Class>): void;
  /** Legacy (`experimentalDecorators`) method decorator. */
  <T>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>;
  /** Legacy (`experimentalDecorators`) class decorator. */
  <TFunction extends Function>(target: TFunction): void;
}

/**
 * Decorator form of {@link traced}. On a method, traces it (span `class.method` unless `name` is given).
 * On a class, traces every own prototype method except the constructor, accessors and symbol-keyed ones
 * (span `<name or class>.<method>`); methods already decorated keep their own span.
 *
 * Works with TC39 standard decorators and with TypeScript `experimentalDecorators` (told apart at
 * runtime by the arguments). Metadata that other decorators put on the method (reflect-metadata, as
 * NestJS reads it) is copied to the wrapper, so decorator order does not matter.
 *
 * @param options the options of {@link traced}, or just the span name.
 */
export function Traced(options?: TracedOptions | string): TracedDecorator {
  const opts: TracedOptions = typeof options === 'string' ? { name: options } : (options ?? {});
  function decorate(target: unknown, contextOrKey?: unknown, descriptor?: PropertyDescriptor): unknown {
    if (isStandardContext(contextOrKey)) {
      if (contextOrKey.kind === 'method' && typeof target === 'function') {
        return standardMethod(target, contextOrKey, opts);
      }
      if (contextOrKey.kind === 'class' && typeof target === 'function') {
        traceClassMethods(target, opts);
        return undefined;
      }
      throw new TypeError(`@Traced() applies to methods and classes, not to a ${contextOrKey.kind}`);
    }
    if (contextOrKey === undefined && typeof target === 'function') {
      traceClassMethods(target, opts);
      return undefined;
    }
    if ((typeof contextOrKey === 'string' || typeof contextOrKey === 'symbol') && descriptor !== undefined) {
      return legacyMethod(target as object, contextOrKey, descriptor, opts);
    }
    throw new TypeError('@Traced() applies to methods and classes');
  }
  return decorate as TracedDecorator;
}
