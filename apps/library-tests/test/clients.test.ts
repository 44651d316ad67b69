/**
 * The database and cache clients, traced end to end: real PostgreSQL, MariaDB and Redis servers (installed by
 * the project's scripts when missing, each on a free loopback port in a temp dir), and for Express, Fastify
 * and Nest an app in its own process that loads pg, mysql2, ioredis and node-redis before telemetry starts
 * or after, from CJS or from ESM without a loader flag. For each client, a request that runs a query gives
 * its SERVER span with the client span as a child, the database conventions' attributes, the statement with
 * its literals replaced, ERROR and an exception event for a failing call, and a duration series on /metrics.
 */
import {
  type DumpedSpan,
  ensureServer,
  killAllChildren,
  type RealServer,
  startMariadb,
  startPostgres,
  startRedis,
} from '@autotelemetry/test-utils';
import mysql2 from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUMPED, FRAMEWORKS, loadVariants, requestAndChildren, runQueryApp, STATUS } from './fixture-runs.js';

const { CLIENT } = DUMPED;
const { ERROR } = STATUS;

const unavailable = ensureServer('postgresql') ?? ensureServer('mariadb') ?? ensureServer('redis');

const servers: { pg?: RealServer; mysql?: RealServer; redis?: RealServer } = {};

beforeAll(async () => {
  if (unavailable !== undefined) return;
  [servers.pg, servers.mysql, servers.redis] = await Promise.all([startPostgres(), startMariadb(), startRedis()]);
  const client = new pg.Client({ connectionString: servers.pg.url });
  await client.connect();
  await client.query('CREATE TABLE orders (id serial PRIMARY KEY, customer text, note text, total int)');
  await client.query("INSERT INTO orders (customer, note, total) VALUES ('alice', 'first', 42)");
  await client.end();
  const mysql = await mysql2.createConnection({ uri: servers.mysql.url });
  await mysql.query('CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, customer text, note text, total int)');
  await mysql.query("INSERT INTO orders (customer, note, total) VALUES ('alice', 'first', 42)");
  await mysql.end();
}, 120_000);

afterAll(async () => {
  await killAllChildren();
  await Promise.all(Object.values(servers).map((server) => server?.stop()));
});

const VARIANTS = loadVariants();

/** What each query's client span must say: its name, system, operation, statement and target. */
const EXPECTED = {
  pg: {
    name: 'SELECT shop.orders',
    system: 'postgresql',
    operation: 'SELECT',
    text: 'SELECT id, total FROM orders WHERE customer = $1 AND note <> ? AND total > ?',
    literal: 'hunter2-pg',
  },
  mysql: {
    name: 'SELECT shop.orders',
    system: 'mysql',
    operation: 'SELECT',
    text: 'SELECT id, total FROM orders WHERE customer = ? AND note <> ?',
    literal: 'hunter2-mysql',
  },
  ioredis: { name: 'GET', system: 'redis', operation: 'GET', text: 'GET cart:alice', literal: 'hunter2-ioredis' },
  redis: { name: 'GET', system: 'redis', operation: 'GET', text: 'GET cart:bob', literal: 'hunter2-redis' },
} as const;

type QueryName = keyof typeof EXPECTED;

function serverOf(query: QueryName): RealServer {
  const server = query === 'pg' ? servers.pg : query === 'mysql' ? servers.mysql : servers.redis;
  if (server === undefined) throw new Error('servers not started');
  return server;
}

describe.skipIf(unavailable !== undefined).each(FRAMEWORKS)('%s', (framework) => {
  describe.each(VARIANTS)('%s (libraries loaded %s telemetry starts)', (script, order) => {
    let spans: DumpedSpan[] = [];
    let metrics = '';
    let answers: Record<string, number> = {};

    beforeAll(async () => {
      ({ answers, spans, metrics } = await runQueryApp(
        script,
        {
          FRAMEWORK: framework,
          ORDER: order,
          PG_URL: serverOf('pg').url,
          MYSQL_URL: serverOf('mysql').url,
          REDIS_URL: serverOf('redis').url,
        },
        ['pg', 'pg-fail', 'mysql', 'mysql-fail', 'ioredis', 'ioredis-fail', 'redis', 'redis-fail'],
      ));
    }, 60_000);

    it('answers every query as the app wrote it (telemetry changes no answer)', () => {
      expect(answers).toEqual({
        pg: 200,
        'pg-fail': 500,
        mysql: 200,
        'mysql-fail': 500,
        ioredis: 200,
        'ioredis-fail': 500,
        redis: 200,
        'redis-fail': 500,
      });
    });

    /** The request's SERVER span and the client spans under it. */
    function requestSpans(query: string): { server: DumpedSpan; clients: DumpedSpan[] } {
      const { request, children } = requestAndChildren(spans, query, CLIENT);
      return { server: request, clients: children };
    }

    it.each(Object.keys(EXPECTED) as QueryName[])(
      '%s: a client span under the request, by the conventions, no literal',
      (query) => {
        const expected = EXPECTED[query];
        const { clients } = requestSpans(query);
        const span = clients.find((s) => s.name === expected.name);
        expect(span, `${expected.name} under GET /q/${query}: ${clients.map((s) => s.name)}`).toBeDefined();
        const server = serverOf(query);
        expect(span?.attributes).toMatchObject({
          'db.system.name': expected.system,
          'db.operation.name': expected.operation,
          'db.query.text': expected.text,
          'server.address': '127.0.0.1',
          'server.port': server.port,
        });
        if (query === 'pg' || query === 'mysql') {
          expect(span?.attributes).toMatchObject({ 'db.namespace': 'shop', 'db.collection.name': 'orders' });
        } else {
          expect(span?.attributes['db.namespace']).toBe('0');
        }
        expect(span?.status.code).not.toBe(ERROR);
        expect(JSON.stringify(spans)).not.toContain(expected.literal);
      },
    );

    it.each(Object.keys(EXPECTED) as QueryName[])('%s: a failing call is an ERROR span with its exception', (query) => {
      const { clients } = requestSpans(`${query}-fail`);
      const failed = clients.filter((s) => s.status.code === ERROR);
      expect(failed, clients.map((s) => `${s.name} ${s.status.code}`).join(', ')).toHaveLength(1);
      expect(failed[0]?.events).toContain('exception');
      expect(failed[0]?.attributes['error.type']).toEqual(expect.any(String));
      expect(failed[0]?.attributes['db.system.name']).toBe(EXPECTED[query].system);
    });

    it('records db.client.operation.duration per system and operation on /metrics, errors with error_type', () => {
      const series = metrics.split('\n').filter((line) => line.startsWith('db_client_operation_duration_count'));
      for (const [system, operation] of [
        ['postgresql', 'SELECT'],
        ['mysql', 'SELECT'],
        ['redis', 'GET'],
        ['redis', 'SET'],
      ]) {
        expect(
          series.some(
            (line) => line.includes(`db_system_name="${system}"`) && line.includes(`db_operation_name="${operation}"`),
          ),
          `${system} ${operation} in:\n${series.join('\n')}`,
        ).toBe(true);
      }
      expect(series.some((line) => line.includes('db_system_name="postgresql"') && line.includes('error_type='))).toBe(
        true,
      );
      expect(metrics).not.toContain('hunter2');
    });
  });
});
