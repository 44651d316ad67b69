/**
 * `@Traced()` under both decorator semantics. Vitest's own transform does not lower TC39 decorators, and
 * the package's tsconfig does not turn on `experimentalDecorators`, so each form is compiled here by the
 * TypeScript compiler itself — type-checked against the real `traced.ts`, then transpiled to CommonJS and
 * run against the very module instance this test imports.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tracedModule from '../src/instrument/traced.js';
import { type TestPipeline, useTestPipeline } from './otel-test-pipeline.js';

const here = dirname(fileURLToPath(import.meta.url));
const tracedSource = join(here, '..', 'src', 'instrument', 'traced.js');

let pipeline: TestPipeline;
useTestPipeline((started) => {
  pipeline = started;
});

const LEGACY_FIXTURE = `
import 'reflect-metadata';
import { Traced } from ${JSON.stringify(tracedSource)};

export const ROUTE = 'custom:route';
/** A NestJS-like route decorator: metadata on descriptor.value, read back with Reflect.getMetadata. */
function Get(path: string): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(ROUTE, path, descriptor.value as object);
  };
}

export class UsersController {
  constructor(private readonly prefix: string) {}

  @Traced()
  @Get('/users')
  list(limit: number, offset: number): string[] {
    return [this.prefix, String(limit), String(offset)];
  }

  @Get('/users/:id')
  @Traced({ attributes: { 'users.source': 'db' } })
  async find(id: string): Promise<{ id: string }> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    return { id };
  }

  @Traced('users.purge')
  static purge(): number {
    throw new Error('purge refused');
  }
}

@Traced()
export class OrderService {
  @Get('/orders')
  create(item: string): string {
    return 'created ' + item;
  }

  async load(): Promise<number> {
    return 7;
  }

  get total(): number {
    return 3;
  }
}
`;

const STANDARD_FIXTURE = `
import { Traced } from ${JSON.stringify(tracedSource)};

/** A standard decorator of another library that marks the method itself. */
function tag(value: Function, _context: ClassMethodDecoratorContext): void {
  (value as Function & { tagged?: boolean }).tagged = true;
}

export class Cart {
  items: string[] = [];

  @Traced()
  @tag
  add(item: string, quantity: number): number {
    for (let i = 0; i < quantity; i++) this.items.push(item);
    return this.items.length;
  }

  @Traced({ name: 'cart.checkout' })
  async checkout(): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (this.items.length === 0) throw new Error('empty cart');
    return this.items;
  }

  @Traced()
  *each(): Generator<string> {
    yield* this.items;
  }

  @Traced()
  static empty(): Cart {
    return new Cart();
  }
}

export class GiftCart extends Cart {}

@Traced({ name: 'stock' })
export class Inventory {
  count(sku: string): number {
    return sku.length;
  }

  async reserve(sku: string): Promise<boolean> {
    return sku !== 'none';
  }
}
`;

const BASE_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};

/** Type-checks a fixture as if it sat in this folder; returns the diagnostics as text. */
function typeCheck(source: string, options: ts.CompilerOptions): string[] {
  const fileName = join(here, `__fixture_${options.experimentalDecorators ? 'legacy' : 'standard'}.mts`);
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => (f === fileName ? source : readFile(f));
  host.fileExists = (f) => f === fileName || fileExists(f);
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) =>
    f === fileName
      ? ts.createSourceFile(f, source, languageVersion, true)
      : getSourceFile(f, languageVersion, onError, shouldCreate);
  const program = ts.createProgram([fileName], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === fileName)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** Transpiles a fixture to CommonJS and runs it with `traced.ts` bound to the module under test. */
async function load(source: string, options: ts.CompilerOptions): Promise<Record<string, unknown>> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { ...options, module: ts.ModuleKind.CommonJS, noEmit: false },
  });
  const modules: Record<string, unknown> = { [tracedSource]: tracedModule };
  if (options.experimentalDecorators) modules['reflect-metadata'] = await import('reflect-metadata');
  const exports: Record<string, unknown> = {};
  const requireShim = (id: string) => {
    if (!(id in modules)) throw new Error(`fixture requires an unexpected module: ${id}`);
    return modules[id];
  };
  new Function('exports', 'require', outputText)(exports, requireShim);
  return exports;
}

function only(name: string): ReadableSpan {
  const spans = pipeline.spansNamed(name);
  expect(spans.map((s) => s.name)).toEqual([name]);
  return spans[0] as ReadableSpan;
}

type Ctor = new (...args: never[]) => Record<string, (...args: unknown[]) => unknown>;

describe('@Traced() with TypeScript legacy experimentalDecorators (+ emitDecoratorMetadata, reflect-metadata)', () => {
  const options: ts.CompilerOptions = { ...BASE_OPTIONS, experimentalDecorators: true, emitDecoratorMetadata: true };
  let fixture: Record<string, unknown>;
  let getMetadata: (key: unknown, target: object) => unknown;

  beforeAll(async () => {
    fixture = await load(LEGACY_FIXTURE, options);
    getMetadata = (Reflect as unknown as { getMetadata: typeof getMetadata }).getMetadata;
  });

  it('type-checks', () => {
    expect(typeCheck(LEGACY_FIXTURE, options)).toEqual([]);
  });

  it('traces a method as class.method, keeps this, name, length and the route metadata of the other decorator', async () => {
    const Controller = fixture.UsersController as Ctor & { prototype: Record<string, Function> };
    const controller = new (
      Controller as unknown as new (
        prefix: string,
      ) => {
        list(limit: number, offset: number): string[];
        find(id: string): Promise<{ id: string }>;
      }
    )('p');
    expect(controller.list(10, 20)).toEqual(['p', '10', '20']);
    expect(await controller.find('42')).toEqual({ id: '42' });

    expect(only('users_controller.list').attributes).toEqual({});
    expect(only('users_controller.find').attributes['users.source']).toBe('db');

    const list = Controller.prototype.list as Function;
    const find = Controller.prototype.find as Function;
    expect(tracedModule.isTraced(list)).toBe(true);
    expect(tracedModule.isTraced(find)).toBe(true);
    expect(list.name).toBe('list');
    expect(list.length).toBe(2);
    // @Traced() above @Get(): the metadata was put on the original and must have been copied over.
    expect(getMetadata(fixture.ROUTE, list)).toBe('/users');
    // @Get() above @Traced(): the metadata lands on the wrapper directly.
    expect(getMetadata(fixture.ROUTE, find)).toBe('/users/:id');
    // emitDecoratorMetadata's design types stay readable on the prototype.
    const getMetadataOfKey = (Reflect as unknown as { getMetadata(k: unknown, t: object, p: string): unknown })
      .getMetadata;
    expect(getMetadataOfKey('design:paramtypes', Controller.prototype, 'list')).toEqual([Number, Number]);
  });

  it('traces a static method with an explicit name and records its error', () => {
    const Controller = fixture.UsersController as unknown as { purge(): number };
    expect(() => Controller.purge()).toThrow('purge refused');
    expect(only('users.purge').status).toEqual({ code: SpanStatusCode.ERROR, message: 'purge refused' });
  });

  it('on a class, traces every prototype method except the constructor and accessors, keeping metadata', async () => {
    const Service = fixture.OrderService as unknown as {
      new (): { create(item: string): string; load(): Promise<number>; total: number };
      prototype: Record<string, Function>;
    };
    const service = new Service();
    expect(service.create('book')).toBe('created book');
    expect(await service.load()).toBe(7);
    expect(service.total).toBe(3);
    expect(
      pipeline
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['order_service.create', 'order_service.load']);
    expect(getMetadata(fixture.ROUTE, Service.prototype.create as Function)).toBe('/orders');
    expect(tracedModule.isTraced(Service)).toBe(false);
  });
});

describe('@Traced() with TC39 standard decorators', () => {
  const options: ts.CompilerOptions = { ...BASE_OPTIONS };
  let fixture: Record<string, unknown>;

  beforeAll(async () => {
    fixture = await load(STANDARD_FIXTURE, options);
  });

  it('type-checks', () => {
    expect(typeCheck(STANDARD_FIXTURE, options)).toEqual([]);
  });

  it('traces methods under their class name, nested, keeping this, name, length and marks of other decorators', async () => {
    type CartInstance = { items: string[]; add(item: string, n: number): number; checkout(): Promise<string[]> };
    const Cart = fixture.Cart as { new (): CartInstance; prototype: Record<string, Function>; empty(): CartInstance };
    const cart = new Cart();
    await trace.getTracer('test').startActiveSpan('shop.session', async (session) => {
      expect(cart.add('apple', 2)).toBe(2);
      expect(await cart.checkout()).toEqual(['apple', 'apple']);
      session.end();
    });
    const session = only('shop.session');
    const add = only('cart.add');
    expect(add.parentSpanContext?.spanId).toBe(session.spanContext().spanId);
    expect(only('cart.checkout').parentSpanContext?.spanId).toBe(session.spanContext().spanId);

    const addMethod = Cart.prototype.add as Function & { tagged?: boolean };
    expect(addMethod.name).toBe('add');
    expect(addMethod.length).toBe(2);
    expect(addMethod.tagged).toBe(true);
  });

  it('records a rejected async method, and traces generator and static methods', async () => {
    type CartInstance = { checkout(): Promise<string[]>; each(): Iterable<string>; add(i: string, n: number): number };
    const Cart = fixture.Cart as { new (): CartInstance; empty(): CartInstance };
    const empty = Cart.empty();
    await expect(empty.checkout()).rejects.toThrow('empty cart');
    expect(only('cart.checkout').status).toEqual({ code: SpanStatusCode.ERROR, message: 'empty cart' });
    expect(only('cart.empty').status.code).toBe(SpanStatusCode.UNSET);

    empty.add('pear', 1);
    expect([...empty.each()]).toEqual(['pear']);
    expect(only('cart.each').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('names an inherited method after the class that defines it', () => {
    const GiftCart = fixture.GiftCart as new () => { add(item: string, n: number): number };
    new GiftCart().add('card', 1);
    expect(pipeline.spans().map((s) => s.name)).toContain('cart.add');
  });

  it('on a class, traces every prototype method with the given name as prefix', async () => {
    const Inventory = fixture.Inventory as new () => {
      count(sku: string): number;
      reserve(sku: string): Promise<boolean>;
    };
    const inventory = new Inventory();
    expect(inventory.count('abc')).toBe(3);
    expect(await inventory.reserve('abc')).toBe(true);
    expect(
      pipeline
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['stock.count', 'stock.reserve']);
  });

  it('refuses to decorate a field or accessor', () => {
    const decorate = tracedModule.Traced() as unknown as (
      value: unknown,
      context: { kind: string; name: string },
    ) => void;
    expect(() => decorate(undefined, { kind: 'field', name: 'x' })).toThrow(/methods and classes, not to a field/);
    expect(() => decorate(() => 1, { kind: 'getter', name: 'x' })).toThrow(TypeError);
  });
});
