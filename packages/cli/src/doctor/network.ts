/**
 * Network probes of the doctor: can a TCP connection be opened, is a port free to listen on, what does an
 * HTTP endpoint answer. Each is bounded by a timeout and never throws.
 *
 * @packageDocumentation
 */
import { connect, createServer } from 'node:net';

/** Outcome of {@link tcpConnect}. */
export interface ConnectResult {
  readonly reachable: boolean;
  /** `ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`… when not reachable. */
  readonly error?: string;
  readonly ms: number;
}

/** Opens (and closes) a TCP connection to host:port, giving up after `timeoutMs`. */
export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<ConnectResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: ConnectResult) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ reachable: false, error: 'ETIMEDOUT', ms: elapsed() }));
    socket.once('connect', () => done({ reachable: true, ms: elapsed() }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ reachable: false, error: error.code ?? error.message, ms: elapsed() }),
    );
  });
}

/** Outcome of {@link portStatus}. */
export type PortStatus = { readonly free: true } | { readonly free: false; readonly error: string };

/** Tries to listen on host:port and closes at once: `EADDRINUSE` means another process holds it. */
export function portStatus(host: string, port: number): Promise<PortStatus> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ free: false, error: error.code ?? error.message }),
    );
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve({ free: true }));
    });
  });
}

/** An HTTP answer, or why there was none. */
export type HttpProbe =
  | { readonly ok: true; readonly status: number; readonly contentType: string; readonly body: string }
  | { readonly ok: false; readonly error: string };

/** GETs a URL with a timeout; reads at most `maxBytes` of the body. */
export async function httpGet(url: string, timeoutMs: number, maxBytes = 8 * 1024 * 1024): Promise<HttpProbe> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    const text = await response.text();
    return {
      ok: true,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: text.length > maxBytes ? text.slice(0, maxBytes) : text,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const name = (error as Error).name;
    return { ok: false, error: cause?.code ?? (name === 'TimeoutError' ? 'ETIMEDOUT' : (error as Error).message) };
  }
}

/** Host and port of an http(s) URL, with the scheme's default port when none is written. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
}
