/**
 * Where each HTTP request enters the core's request lifecycle, on `@nestjs/platform-express` and
 * `@nestjs/platform-fastify` alike.
 *
 * The lifecycle begins in a framework-free `(req, res, next)` middleware handed to the platform through
 * Nest's own HTTP adapter (`httpAdapter.use`) while the module's providers are created — that is during
 * `NestFactory.create()`, before `app.init()` registers the body parsers, the app's middleware and the
 * routes. So the span covers the whole request: body parsing, every middleware, guards, interceptors, pipes,
 * the handler and the exception filters all run inside it. (A `MiddlewareConsumer` in `configure()` would
 * run later, after body parsing, and only on the paths under the global prefix — requests outside it, 404s
 * included, would get no span.)
 *
 * The route template is the one Nest registered with the platform — global prefix, `RouterModule` path,
 * URI version, controller path and method path already joined by Nest — read from the platform once it
 * has matched: Express's `req.route.path` when the request ends (through the lifecycle's `findRoute`),
 * Fastify's `request.routeOptions.url` when the reply is sent (an `onSend` hook). Nothing of Nest's path
 * building is re-implemented, so it stays right for every versioning and prefix setup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getHttpLifecycle, getRequestRecord, type HttpAdapterHooks } from '@autotelemetry/core';

/** The slice of Nest's `AbstractHttpAdapter` used here. */
export interface NestHttpAdapterLike {
  use(...handlers: unknown[]): unknown;
  getType(): string;
  getInstance(): unknown;
}

/** The slice of Fastify's request the route is read from. */
interface FastifyRequestLike {
  readonly raw: IncomingMessage;
  readonly routeOptions?: { readonly url?: string };
}

type FastifyDone = (error: Error | null, payload?: unknown) => void;

interface FastifyLike {
  addHook(
    name: 'onSend',
    hook: (request: FastifyRequestLike, reply: unknown, payload: unknown, done: FastifyDone) => void,
  ): unknown;
}

/** At the end of a request: the path Express matched (`req.route` stays set after the route ran). */
function matchedExpressRoute(req: IncomingMessage): string | undefined {
  const path = (req as { route?: { path?: unknown } }).route?.path;
  return typeof path === 'string' ? path : undefined;
}

const NEST_HOOKS: HttpAdapterHooks = Object.freeze({ findRoute: matchedExpressRoute });

/** The one middleware function: begins the request's lifecycle and runs everything after it in its context. */
export function telemetryMiddleware(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
  const lifecycle = getHttpLifecycle();
  if (lifecycle === undefined) {
    next();
    return;
  }
  const record = lifecycle.begin(req, res, NEST_HOOKS);
  if (record === undefined) next();
  else record.run(next);
}

/** Fastify `onSend`: the route Fastify matched (undefined for a 404), before the answer is written. */
function routeOnSend(request: FastifyRequestLike, _reply: unknown, payload: unknown, done: FastifyDone): void {
  try {
    const record = getRequestRecord(request.raw);
    if (record !== undefined && record.route === undefined) {
      const url = request.routeOptions?.url;
      if (typeof url === 'string' && url.length > 0) record.setRoute(url);
    }
  } catch {
    // The span keeps the method-only name.
  }
  done(null, payload);
}

const installed = new WeakSet<object>();

/**
 * Installs the middleware (and, on Fastify, the route hook) on Nest's HTTP adapter, once per adapter.
 * Does nothing without an HTTP adapter (microservices, standalone application contexts). Returns whether
 * it installed.
 */
export function installHttpEntry(adapter: NestHttpAdapterLike | undefined | null): boolean {
  if (adapter === undefined || adapter === null || installed.has(adapter)) return false;
  installed.add(adapter);
  adapter.use(telemetryMiddleware);
  if (adapter.getType() === 'fastify') {
    (adapter.getInstance() as FastifyLike).addHook('onSend', routeOnSend);
  }
  return true;
}
