/**
 * `server.address` / `server.port` from the `Host` header. A service sees few distinct Host values, but
 * clients choose them, so parsed results are cached in a small bounded map.
 */

/** The parts of a `Host` header. */
export interface HostParts {
  readonly address: string | undefined;
  readonly port: number | undefined;
}

const NO_HOST: HostParts = Object.freeze({ address: undefined, port: undefined });
const CACHE_LIMIT = 64;

function parsePort(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  const port = Number(text);
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined;
}

/** Splits `host[:port]` and `[v6]:port`; the port defaults to the scheme's (80, 443). */
export function parseHostHeader(host: string, scheme: string): HostParts {
  const defaultPort = scheme === 'https' ? 443 : 80;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    if (close === -1) return { address: host, port: defaultPort };
    const address = host.slice(1, close);
    const rest = host.slice(close + 1);
    return { address, port: rest.startsWith(':') ? parsePort(rest.slice(1)) : defaultPort };
  }
  const colon = host.lastIndexOf(':');
  if (colon === -1) return { address: host, port: defaultPort };
  return { address: host.slice(0, colon), port: parsePort(host.slice(colon + 1)) };
}

/** A bounded cache in front of {@link parseHostHeader}. */
export class HostCache {
  private readonly http = new Map<string, HostParts>();
  private readonly https = new Map<string, HostParts>();

  /** The parts of `host` (a request's `Host` header, possibly absent). */
  get(host: string | undefined, scheme: string): HostParts {
    if (host === undefined || host.length === 0) return NO_HOST;
    const cache = scheme === 'https' ? this.https : this.http;
    let parts = cache.get(host);
    if (parts === undefined) {
      parts = Object.freeze(parseHostHeader(host, scheme));
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(host, parts);
    }
    return parts;
  }
}
