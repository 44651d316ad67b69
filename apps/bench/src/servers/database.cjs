// The database workload's clients: one PostgreSQL pool and one Redis connection (PG_URL, REDIS_URL, set by
// the runner once it has started the real servers). Required by the app when it is built, so each
// contender's instrumentation is in place as its own docs ask (the official SDK starts before the app).
'use strict';

/** Opens the clients; `lookup(id)` runs one pg query and one Redis GET, as a handler reading a row and a cache. */
function openDatabase() {
  const pg = require('pg');
  const Redis = require('ioredis');
  const pool = new pg.Pool({ connectionString: process.env.PG_URL, max: 10 });
  const redis = new Redis(process.env.REDIS_URL);
  return {
    async lookup(id) {
      const [{ rows }, cached] = await Promise.all([
        pool.query('SELECT id, name, units FROM stock WHERE id = $1', [id]),
        redis.get(`stock:${id}`),
      ]);
      return { item: rows[0] ?? null, reserved: Number(cached ?? 0) };
    },
  };
}

module.exports = { openDatabase };
