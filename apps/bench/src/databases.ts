/**
 * The real PostgreSQL and Redis servers of the database group (Debian's packages, installed by the project's
 * scripts when missing; free loopback ports, temporary folders), with the rows the handler reads. They are
 * children of the runner, so when the run is pinned they share the load generator's CPU, not the server's.
 * Their URLs go to the servers through PG_URL and REDIS_URL.
 */
import { ensureServer, startPostgres, startRedis } from '@autotelemetry/test-utils';
import pg from 'pg';

export interface BenchDatabases {
  stop(): Promise<void>;
}

export async function startBenchDatabases(log: (line: string) => void): Promise<BenchDatabases> {
  const unavailable = ensureServer('postgresql') ?? ensureServer('redis');
  if (unavailable !== undefined) throw new Error(`the database group needs PostgreSQL and Redis: ${unavailable}`);
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  await client.query('CREATE TABLE stock (id int PRIMARY KEY, name text, units int)');
  await client.query("INSERT INTO stock SELECT i, 'item ' || i, i * 3 FROM generate_series(1, 100) AS i");
  await client.end();
  process.env.PG_URL = postgres.url;
  process.env.REDIS_URL = redis.url;
  log(`database group: PostgreSQL on :${postgres.port}, Redis on :${redis.port}`);
  return {
    async stop() {
      await Promise.all([postgres.stop(), redis.stop()]);
    },
  };
}
