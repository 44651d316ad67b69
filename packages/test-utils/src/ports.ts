/** Network helpers for tests: everything binds 127.0.0.1 only. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';

/** A port that was free a moment ago on 127.0.0.1 (bound with port 0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A TCP server that holds a port: accepts connections and never answers. Close it when done. */
export interface HeldPort {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Occupies a port on 127.0.0.1 so the code under test finds it in use (`EADDRINUSE`). Connections are accepted
 * and left unanswered, which also makes it a black-hole endpoint for exporters.
 */
export async function holdPort(port = 0): Promise<HeldPort> {
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
