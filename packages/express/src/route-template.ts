/**
 * The full route template of an Express request, built while Express routes it:
 *
 * - each time a router mounts (`app.use('/api/:version', router)`), Express sets `req.baseUrl` to the
 *   concrete prefix it matched (`/api/v2`) and, just before, `req.params` to that mount's parameters; the
 *   prefix is turned back into a template (`/api/:version`) by putting each parameter's name where its value
 *   stands, and kept on a small per-request stack that follows `baseUrl` back out of routers;
 * - when a route matches, Express sets `req.route`; the template is the mount template joined with the
 *   route's own path (`/users/:id`): `/api/:version/users/:id`.
 *
 * Reading both at match time (rather than when the response is written) is what keeps the template right
 * when an error handler outside the router answers: by then Express has restored `baseUrl`.
 */
import { joinRoutePaths, routePathText } from '@autotelemetry/core';

/** What a route object exposes (Express 4 `Route`, Express 5 router's `Route`). */
export interface ExpressRoute {
  readonly path: unknown;
}

/** The request fields read here. */
export interface RoutedRequest {
  url?: string;
  baseUrl?: unknown;
  params?: Record<string, unknown>;
}

interface MountFrame {
  readonly concrete: string;
  readonly template: string;
}

const MOUNTS = Symbol('autotelemetry.express.mounts');
const TEMPLATE_CACHE = Symbol('autotelemetry.express.template');

type WithMounts = RoutedRequest & { [MOUNTS]?: MountFrame[] };
type CachedRoute = ExpressRoute & { [TEMPLATE_CACHE]?: { readonly base: string; readonly template: string } };

function safeDecode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Puts `:name` where the value of each mount parameter stands in `suffix` (`/api/v2` with `{version: 'v2'}`
 * gives `/api/:version`). Parameters are placed left to right, each on the first segment after the previous
 * one that equals its value.
 */
export function templatizeMount(suffix: string, params: Record<string, unknown> | undefined): string {
  if (params === undefined) return suffix;
  let segments: string[] | undefined;
  let from = 0;
  for (const name in params) {
    const value = params[name];
    if (typeof value !== 'string' || value.length === 0) continue;
    segments ??= suffix.split('/');
    for (let i = Math.max(from, 1); i < segments.length; i++) {
      const segment = segments[i] as string;
      if (segment === value || safeDecode(segment) === value) {
        segments[i] = `:${name}`;
        from = i + 1;
        break;
      }
    }
  }
  return segments === undefined ? suffix : segments.join('/');
}

/** Follows a new `req.baseUrl` value: leaving routers pops frames, entering one pushes its template. */
export function trackBaseUrl(req: RoutedRequest, baseUrl: unknown): void {
  if (typeof baseUrl !== 'string') return;
  const r = req as WithMounts;
  let stack = r[MOUNTS];
  if (stack === undefined) {
    if (baseUrl.length === 0) return;
    stack = [];
    r[MOUNTS] = stack;
  }
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as MountFrame;
    if (baseUrl === top.concrete) return;
    if (baseUrl.startsWith(top.concrete) && baseUrl.charCodeAt(top.concrete.length) === 47 /* / */) break;
    stack.pop();
  }
  if (baseUrl.length === 0) return;
  const parent = stack[stack.length - 1];
  const suffix = baseUrl.slice(parent === undefined ? 0 : parent.concrete.length);
  stack.push({ concrete: baseUrl, template: (parent?.template ?? '') + templatizeMount(suffix, req.params) });
}

/**
 * The template of the current `req.baseUrl`. Express 5 assigns `baseUrl` through the hooked prototype, so
 * the tracked stack knows it. Express 4 first assigns it before switching the request's prototype to its own,
 * which makes it an own property the accessor never sees: there the concrete value is templatized with the
 * parameters current at match time (the mount's own, when the route is the first match in its router or the
 * router merges params) — right for static mounts, best effort for parametric ones.
 */
function mountTemplate(req: RoutedRequest): string {
  const baseUrl = req.baseUrl;
  if (typeof baseUrl !== 'string' || baseUrl.length === 0) return '';
  const stack = (req as WithMounts)[MOUNTS];
  const top = stack === undefined ? undefined : stack[stack.length - 1];
  if (top !== undefined && top.concrete === baseUrl) return top.template;
  return templatizeMount(baseUrl, req.params);
}

// Express path syntax (4: `:id`, `:id?`, `:id(\\d+)`, `*`; 5: `:id`, `*rest`, `{/:id}`) to a matcher, only to
// tell which element of an array path matched. Compiled once per distinct string.
const candidateMatchers = new Map<string, RegExp | null>();

function compileCandidate(path: string): RegExp | null {
  let source = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === ':' || (c === '*' && /[A-Za-z_$]/.test(path[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < path.length && /[A-Za-z0-9_$]/.test(path[j] as string)) j++;
      if (c === '*') source += '.*';
      else if (path[j] === '(') {
        let depth = 0;
        let k = j;
        for (; k < path.length; k++) {
          if (path[k] === '(') depth++;
          else if (path[k] === ')' && --depth === 0) break;
        }
        source += path.slice(j, k + 1);
        j = k + 1;
      } else source += '[^/]+?';
      i = j - 1;
    } else if (c === '*') source += '.*';
    else if (c === '{') source += '(?:';
    else if (c === '}') source += ')?';
    else if (c === '?' || c === '+' || c === '(' || c === ')') source += c;
    else source += c.replace(/[.\\^$|[\]/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${source}\\/?$`, 'i');
  } catch {
    return null;
  }
}

function candidateMatches(candidate: string | RegExp, path: string): boolean {
  if (candidate instanceof RegExp) {
    candidate.lastIndex = 0;
    return candidate.test(path);
  }
  let matcher = candidateMatchers.get(candidate);
  if (matcher === undefined) {
    matcher = compileCandidate(candidate);
    if (candidateMatchers.size >= 1000) candidateMatchers.clear();
    candidateMatchers.set(candidate, matcher);
  }
  return matcher?.test(path) === true;
}

/**
 * The full template of `route` matched for `req` now: the current mount template joined with the route's
 * path (a string as declared, a RegExp as its source, the matching element of an array).
 */
export function routeTemplate(req: RoutedRequest, route: ExpressRoute): string | undefined {
  const base = mountTemplate(req);
  const path = route.path;
  if (typeof path === 'string') {
    const r = route as CachedRoute;
    const cached = r[TEMPLATE_CACHE];
    if (cached !== undefined && cached.base === base) return cached.template;
    const template = joinRoutePaths(base, path);
    r[TEMPLATE_CACHE] = { base, template };
    return template;
  }
  // Inside the router that matched, `req.url` is relative to its mount point.
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const relative = q === -1 ? url : url.slice(0, q);
  const text = routePathText(path, (candidate) => candidateMatches(candidate, relative));
  return text === undefined ? undefined : joinRoutePaths(base, text);
}
