/**
 * The HTTP servers the pipeline runs itself — the Prometheus endpoint, the telemetry viewer — listen the same
 * way: `unref`'d so a script still ends by itself, a listen error turned into one warning (never an `'error'`
 * event the application would have to handle), and a close that ends open connections too.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server started with {@link listenQuietly}. */
export interface QuietListener {
  /** The bound address once listening; undefined when the server could not listen. */
  readonly ready: Promise<AddressInfo | undefined>;
  /** Closes the server and its open connections; nothing to do when it never listened. */
  close(): Promise<void>;
}

/**
 * Makes `server` listen on `host`:`port`. A listen error calls `onFailure` once, with the reason in words
 * (`port 8000 is already in use`) and the error's code or message, and `ready` resolves with undefined.
 */
export function listenQuietly(
  server: Server,
  host: string,
  port: number,
  onFailure: (reason: string, error: string) => void,
): QuietListener {
  server.unref();
  let listening = false;
  const ready = new Promise<AddressInfo | undefined>((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} is already in use`
          : error.code === 'EACCES'
            ? `no permission to listen on port ${port}`
            : error.message;
      onFailure(reason, error.code ?? error.message);
      resolve(undefined);
    });
    server.listen({ port, host }, () => {
      listening = true;
      // Later errors (none are expected once listening) must not become unhandled 'error' events.
      server.on('error', () => {});
      resolve(server.address() as AddressInfo);
    });
  });
  return {
    ready,
    async close() {
      await ready;
      if (!listening) return;
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Whether `host` names this machine's loopback interface: `localhost`, `127.x.x.x` or `::1`. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}
