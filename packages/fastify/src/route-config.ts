/**
 * The matched route's config of a Fastify request, read without allocating.
 *
 * Fastify routes before `onRequest`, so the route is known when the request's span starts. Its public
 * accessor, `request.routeOptions`, builds a fresh object of a dozen fields on every read; the same `config`
 * (`{ ...route config, url, method }`, built once per route) hangs on the route context that Fastify keeps on
 * each request under an unregistered symbol described `fastify.context`. That symbol is found once, from the
 * first request, and checked on every read: a Fastify whose requests do not carry it (another major version,
 * a second copy of Fastify) gets the public accessor instead.
 */

/** What the adapter reads from a route's config: the declared URL (with plugin prefixes) and the opt-out flag. */
export interface RouteConfigView {
  /** The route's full declared URL (`/api/v1/users/:id`); undefined for Fastify's not-found handler. */
  readonly url?: string;
  /** `false` opts the route out of telemetry. */
  readonly telemetry?: unknown;
}

/** The slice of a Fastify request read here. */
export interface RoutedRequest {
  readonly routeOptions: { readonly config?: unknown };
}

const ROUTE_CONTEXT_DESCRIPTION = 'fastify.context';

/** Fastify's route-context key, once found; null when the first request did not carry one. */
let routeContextKey: symbol | null | undefined;

function findRouteContextKey(request: object): symbol | null {
  for (const key of Object.getOwnPropertySymbols(request)) {
    if (key.description === ROUTE_CONTEXT_DESCRIPTION) return key;
  }
  return null;
}

function publicConfig(request: RoutedRequest): RouteConfigView | undefined {
  try {
    const config = request.routeOptions.config;
    return config !== null && typeof config === 'object' ? (config as RouteConfigView) : undefined;
  } catch {
    return undefined;
  }
}

/** The config of the route `request` matched (Fastify's not-found route included), if it can be read. */
export function routeConfig(request: RoutedRequest): RouteConfigView | undefined {
  if (routeContextKey === undefined) routeContextKey = findRouteContextKey(request);
  if (routeContextKey !== null) {
    const context = (request as unknown as Record<symbol, { config?: RouteConfigView } | undefined>)[routeContextKey];
    const config = context?.config;
    if (config !== undefined && config !== null && typeof config === 'object') return config;
  }
  return publicConfig(request);
}
