/**
 * Route templates as adapters hand them to the lifecycle: a mount prefix joined to a route's own path,
 * without doubled or trailing slashes, whatever the framework's conventions for `'/'` and prefixes are.
 */

/**
 * Joins a mount prefix (`/api`, `/api/`, `''`) and a route path (`/users/:id`, `/`, `''`) into one template:
 * `joinRoutePaths('/api', '/users/:id')` is `/api/users/:id`; `joinRoutePaths('/api', '/')` is `/api`;
 * `joinRoutePaths('', '/')` is `/`. A trailing slash the route itself declares is kept (`/users/` stays).
 */
export function joinRoutePaths(prefix: string, path: string): string {
  if (prefix.length === 0 || prefix === '/') return path.length === 0 ? '/' : leadingSlash(path);
  const base = prefix.charCodeAt(prefix.length - 1) === 47 /* / */ ? prefix.slice(0, -1) : prefix;
  if (path.length === 0 || path === '/') return leadingSlash(base);
  return leadingSlash(base) + leadingSlash(path);
}

function leadingSlash(path: string): string {
  return path.charCodeAt(0) === 47 /* / */ ? path : `/${path}`;
}

/**
 * The text of a route path declared as a string, a RegExp (`/\/abc|\/xyz/`, kept as its source) or an array
 * of those; for an array, the first element `matches` accepts (else the elements joined with `|`).
 */
export function routePathText(path: unknown, matches?: (candidate: string | RegExp) => boolean): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  if (Array.isArray(path)) {
    const flat = (path as unknown[]).flat(Number.POSITIVE_INFINITY) as unknown[];
    if (matches !== undefined) {
      for (const candidate of flat) {
        if ((typeof candidate === 'string' || candidate instanceof RegExp) && matches(candidate)) {
          return routePathText(candidate);
        }
      }
    }
    const texts = flat.map((p) => routePathText(p)).filter((t): t is string => t !== undefined);
    return texts.length > 0 ? texts.join('|') : undefined;
  }
  return undefined;
}
