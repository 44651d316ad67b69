/**
 * The real servers of servers.ts, driven by the real client libraries: each one is installed when missing
 * (its ensure script), started on a free loopback port, used for a real operation, refuses a wrong password,
 * and after stop() no longer accepts connections and has left no temporary folder behind. The four start
 * concurrently in beforeAll, so the file takes about as long as the slowest (RabbitMQ).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  ensureServer,
  type RealServer,
  startMariadb,
  startPostgres,
  startRabbitmq,
  startRedis,
} from '../src/servers.js';

type Kind = RealServer['kind'];

const STARTERS: Readonly<Record<Kind, () => Promise<RealServer>>> = {
  postgresql: startPostgres,
  mariadb: startMariadb,
  redis: startRedis,
  rabbitmq: startRabbitmq,
};

interface Started {
  readonly server: RealServer;
  readonly startMs: number;
}

const unavailable = new Map<Kind, string>();
const starting = new Map<Kind, Promise<Started>>();

beforeAll(() => {
  for (const kind of Object.keys(STARTERS) as Kind[]) {
    // Installs the Debian package when missing (minutes the first time); a reason means: skip.
    const reason = ensureServer(kind);
    if (reason !== undefined) {
      unavailable.set(kind, reason);
      continue;
    }
    const begin = performance.now();
    const started = STARTERS[kind]().then((server) => ({ server, startMs: performance.now() - begin }));
    // Awaited by the kind's test; a failure is reported there, not as an unhandled rejection here.
    started.catch(() => {});
    starting.set(kind, started);
  }
}, 20 * 60_000);

afterAll(async () => {
  const results = await Promise.allSettled(starting.values());
  await Promise.all(results.map((result) => (result.status === 'fulfilled' ? result.value.server.stop() : undefined)));
});

/** The kind's server, or a skip with the ensure script's reason. */
async function serverFor(kind: Kind, context: TestContext): Promise<RealServer> {
  const reason = unavailable.get(kind);
  if (reason !== undefined) context.skip(`${kind} unavailable: ${reason}`);
  const started = starting.get(kind);
  if (started === undefined) throw new Error(`${kind} was not started`);
  const { server, startMs } = await started;
  console.log(`${kind}: ready in ${Math.round(startMs)} ms on ${server.host}:${server.port}`);
  return server;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The temporary folder of the server listening on `port`: the working directory of the process that holds
 * the listening socket (found in /proc), up to its top folder under os.tmpdir().
 */
function serverFolder(port: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local address, state 0A (LISTEN), inode
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9]) inodes.add(`socket:[${fields[9]}]`);
    }
  }
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!inodes.has(target)) continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const inside = relative(tmpdir(), cwd);
      const top = inside.split(sep)[0];
      if (top === undefined || inside.startsWith('..') || !top.startsWith('autotelemetry-')) {
        throw new Error(`the listener on port ${port} runs in ${cwd}, not in a folder under ${tmpdir()}`);
      }
      return join(tmpdir(), top);
    }
  }
  throw new Error(`no process listens on port ${port}`);
}

/** Stops the server; then its port refuses connections and its folder is gone. */
async function stopAndCheck(server: RealServer): Promise<void> {
  const folder = serverFolder(server.port);
  expect(folder).toContain(`autotelemetry-${server.kind}-`);
  expect(readdirSync(tmpdir())).toContain(folder.slice(tmpdir().length + 1));
  const begin = performance.now();
  await server.stop();
  console.log(`${server.kind}: stopped in ${Math.round(performance.now() - begin)} ms`);
  await server.stop(); // idempotent
  expect(await accepts(server.port)).toBe(false);
  expect(readdirSync(tmpdir())).not.toContain(folder.slice(tmpdir().length + 1));
}

describe('real servers', () => {
  it('PostgreSQL: pg creates, fills and reads a table; a wrong password is refused', async (context) => {
    const server = await serverFor('postgresql', context);
    expect(server).toMatchObject({ host: '127.0.0.1', database: 'shop' });
    expect(server.url).toBe(`postgres://${server.user}:${server.password}@127.0.0.1:${server.port}/shop`);

    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)');
      await client.query('INSERT INTO items (name) VALUES ($1), ($2)', ['apple', 'pear']);
      const { rows } = await client.query<{ name: string }>('SELECT name FROM items ORDER BY id');
      expect(rows.map((row) => row.name)).toEqual(['apple', 'pear']);
      const { rows: where } = await client.query<{ db: string; addr: string }>(
        'SELECT current_database() AS db, inet_server_addr()::text AS addr',
      );
      expect(where[0]).toEqual({ db: 'shop', addr: '127.0.0.1/32' });
    } finally {
      await client.end();
    }

    const intruder = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: 'wrong',
      database: server.database,
    });
    await expect(intruder.connect()).rejects.toThrow(/password authentication failed/);
    await intruder.end().catch(() => {});

    await stopAndCheck(server);
  });

  it('MariaDB: mysql2 creates, fills and reads a table; a wrong password is refused', async (context) => {
    const server = await serverFor('mariadb', context);
    expect(server).toMatchObject({ host: '127.0.0.1', database: 'shop' });
    expect(server.url).toBe(`mysql://${server.user}:${server.password}@127.0.0.1:${server.port}/shop`);

    const connection = await mysql.createConnection(server.url);
    try {
      await connection.query('CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL)');
      await connection.execute('INSERT INTO items (name) VALUES (?), (?)', ['apple', 'pear']);
      const [rows] = await connection.query('SELECT name FROM items ORDER BY id');
      expect((rows as { name: string }[]).map((row) => row.name)).toEqual(['apple', 'pear']);
      const [version] = await connection.query('SELECT VERSION() AS version, DATABASE() AS db');
      expect((version as { version: string; db: string }[])[0]).toMatchObject({
        version: expect.stringContaining('MariaDB'),
        db: 'shop',
      });
    } finally {
      await connection.end();
    }

    await expect(
      mysql.createConnection({
        host: server.host,
        port: server.port,
        user: server.user,
        password: 'wrong',
        database: server.database,
      }),
    ).rejects.toThrow(/Access denied/);

    await stopAndCheck(server);
  });

  it('Redis: ioredis sets and gets a key after AUTH; a wrong password is refused', async (context) => {
    const server = await serverFor('redis', context);
    expect(server).toMatchObject({ host: '127.0.0.1', user: 'default', database: '0' });

    const redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      expect(await redis.set('cart:1', 'apple')).toBe('OK');
      expect(await redis.get('cart:1')).toBe('apple');
    } finally {
      redis.disconnect();
    }

    // Without the password the server answers nothing but NOAUTH; with a wrong one AUTH fails.
    const errors: Error[] = [];
    const intruder = new Redis({
      host: server.host,
      port: server.port,
      username: server.user,
      password: 'wrong',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    intruder.on('error', (error: Error) => errors.push(error));
    await intruder.connect().catch((error: Error) => errors.push(error));
    await intruder.get('cart:1').catch((error: Error) => errors.push(error));
    intruder.disconnect();
    expect(errors.map((error) => error.message).join('\n')).toMatch(/WRONGPASS/);

    await stopAndCheck(server);
  });

  it('RabbitMQ: amqplib sends a message to a queue and gets it back; a wrong password is refused', async (context) => {
    const server = await serverFor('rabbitmq', context);
    expect(server).toMatchObject({ host: '127.0.0.1', database: '/' });
    expect(server.url).toBe(`amqp://${server.user}:${server.password}@127.0.0.1:${server.port}`);

    const connection = await amqplib.connect(server.url);
    try {
      const channel = await connection.createChannel();
      await channel.assertQueue('orders', { durable: false });
      expect(channel.sendToQueue('orders', Buffer.from('order 42'))).toBe(true);
      let message: amqplib.GetMessage | false = false;
      for (let tries = 0; tries < 50 && message === false; tries++) {
        message = await channel.get('orders', { noAck: true });
        if (message === false) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(message === false ? undefined : message.content.toString()).toBe('order 42');
      await channel.close();
    } finally {
      await connection.close();
    }

    const wrong = `amqp://${server.user}:wrong@127.0.0.1:${server.port}`;
    await expect(amqplib.connect(wrong)).rejects.toThrow(/ACCESS.REFUSED/);

    await stopAndCheck(server);
  }, 90_000);
});
