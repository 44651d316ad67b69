/**
 * node-redis 4 (`redis@4`, `@redis/client` 1.x, which publishes no tracing channels), traced end to end
 * against a real Redis server: for Express, Fastify and Nest, an app in its own process loads node-redis 4
 * and node-redis 5 before telemetry starts or after, from CJS or from ESM without a loader flag, and creates
 * and connects its clients then. Each request's SERVER span has node-redis 4's
 * command spans as children with node-redis 5's names and attributes, no written value anywhere, ERROR with
 * the exception and `error.type` for a failing command, MULTI and pipeline spans; node-redis 5 in the same
 * process is traced once (by its channels); /metrics has the duration series. The twelve apps run three at a
 * time.
 */
import { type DumpedSpan, ensureServer, killAllChildren, type RealServer, startRedis } from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppRun,
  DUMPED,
  FRAMEWORKS,
  loadVariants,
  pooled,
  requestAndChildren,
  runQueryApp,
  STATUS,
} from './fixture-runs.js';

const { CLIENT } = DUMPED;
const { ERROR } = STATUS;

const unavailable = ensureServer('redis');

/** Apps run at once. */
const CONCURRENT_APPS = 3;

const VARIANTS = loadVariants();
const QUERIES = [
  'redis4',
  'redis4-fail',
  'redis4-multi',
  'redis4-pipeline',
  'redis4-multi-fail',
  'redis4-module',
  'redis',
  'redis-fail',
] as const;

let redis: RealServer | undefined;
const runs = new Map<string, AppRun>();
const keyOf = (framework: string, script: string, order: string): string => `${framework} ${script} ${order}`;

beforeAll(async () => {
  if (unavailable !== undefined) return;
  redis = await startRedis();
  const server = redis;
  const tasks = FRAMEWORKS.flatMap((framework) =>
    VARIANTS.map(([script, order]) => async () => {
      const env = { FRAMEWORK: framework, ORDER: order, REDIS_URL: server.url, LIBRARIES: 'redis,redis4' };
      runs.set(keyOf(framework, script, order), await runQueryApp(script, env, QUERIES, { retryStart: true }));
    }),
  );
  // A few apps at a time: twelve starting at once on a small machine miss their start timeout.
  await pooled(tasks, CONCURRENT_APPS);
}, 120_000);

afterAll(async () => {
  await killAllChildren();
  await redis?.stop();
});

describe.skipIf(unavailable !== undefined).each(FRAMEWORKS)('%s', (framework) => {
  describe.each(VARIANTS)('%s (node-redis 4 loaded %s telemetry starts)', (script, order) => {
    const run = (): AppRun => {
      const found = runs.get(keyOf(framework, script, order));
      if (found === undefined) throw new Error('the app did not run');
      return found;
    };

    /** The request's SERVER span and the client spans under it. */
    function requestSpans(query: string): { server: DumpedSpan; clients: DumpedSpan[] } {
      const { request, children } = requestAndChildren(run().spans, query, CLIENT);
      return { server: request, clients: children };
    }

    const common = (): Record<string, unknown> => ({
      'db.system.name': 'redis',
      'db.namespace': '0',
      'server.address': '127.0.0.1',
      'server.port': redis?.port,
    });

    it('answers every query as the app wrote it (telemetry changes no answer)', () => {
      expect(run().answers).toEqual({
        redis4: 200,
        'redis4-fail': 500,
        'redis4-multi': 200,
        'redis4-pipeline': 200,
        'redis4-multi-fail': 500,
        'redis4-module': 500,
        redis: 200,
        'redis-fail': 500,
      });
    });

    it('a command method: SET and GET spans under the request, as node-redis 5 names them, no value', () => {
      const { clients } = requestSpans('redis4');
      expect(clients.map((s) => s.name)).toEqual(['SET', 'GET']);
      const [set, get] = clients;
      expect(get?.attributes).toEqual({
        ...common(),
        'db.operation.name': 'GET',
        'db.query.text': 'GET cart:carol',
      });
      expect(set?.attributes).toMatchObject({ 'db.operation.name': 'SET', 'db.query.text': 'SET cart:carol ?' });
      for (const span of clients) {
        expect(span.status.code).not.toBe(ERROR);
        expect(span.scope).toBe('@opentelemetry/instrumentation-redis');
      }
    });

    it('a failing command is an ERROR span with its exception and error.type', () => {
      const { clients } = requestSpans('redis4-fail');
      expect(clients).toHaveLength(1);
      const [failed] = clients;
      expect(failed?.name).toBe('NOSUCHCOMMAND');
      expect(failed?.status.code).toBe(ERROR);
      expect(failed?.events).toContain('exception');
      expect(failed?.attributes).toMatchObject({
        ...common(),
        'db.operation.name': 'NOSUCHCOMMAND',
        'db.query.text': 'NOSUCHCOMMAND ?',
        'error.type': 'ErrorReply',
      });
      // Redis echoes an unknown command's arguments in its error: left out of the status and the exception.
      expect(failed?.status.message).toBe("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ?");
    });

    it('a MULTI is one MULTI span with its batch size', () => {
      const { clients } = requestSpans('redis4-multi');
      expect(clients.map((s) => s.name)).toEqual(['MULTI']);
      expect(clients[0]?.attributes).toEqual({
        ...common(),
        'db.operation.name': 'MULTI',
        'db.operation.batch.size': 2,
      });
    });

    it('a pipeline is a PIPELINE span and one span per command beside it', () => {
      const { clients } = requestSpans('redis4-pipeline');
      expect(clients.map((s) => s.name).sort()).toEqual(['GET', 'INCR', 'PIPELINE']);
      expect(clients.find((s) => s.name === 'PIPELINE')?.attributes).toMatchObject({
        'db.operation.name': 'PIPELINE',
        'db.operation.batch.size': 2,
      });
      expect(clients.find((s) => s.name === 'INCR')?.attributes).toEqual({
        ...common(),
        'db.operation.name': 'INCR',
        'db.query.text': 'INCR visits',
        'db.operation.batch.size': 2,
      });
    });

    it('a MULTI with a failing command is an ERROR MULTI span with the exception', () => {
      const { clients } = requestSpans('redis4-multi-fail');
      expect(clients.map((s) => `${s.name} ${s.status.code}`)).toEqual([`MULTI ${ERROR}`]);
      expect(clients[0]?.events).toContain('exception');
      expect(clients[0]?.attributes['error.type']).toBe('ErrorReply');
    });

    it(`a module command is traced ${order === 'after' ? '(its client was created after the start)' : 'not (its client was created before the start)'}`, () => {
      const { clients } = requestSpans('redis4-module');
      if (order === 'before') {
        expect(clients).toEqual([]);
        return;
      }
      expect(clients.map((s) => s.name)).toEqual(['JSON.GET']);
      expect(clients[0]?.status.code).toBe(ERROR);
      expect(clients[0]?.attributes).toMatchObject({ 'db.operation.name': 'JSON.GET', 'db.query.text': 'JSON.GET ?' });
    });

    it('node-redis 5 in the same process is traced once, by its channels', () => {
      const { clients } = requestSpans('redis');
      expect(clients.map((s) => s.name)).toEqual(['SET', 'GET']);
      for (const span of clients) expect(span.scope).toBe('@autotelemetry/core/libraries');
      // Its failing command's status leaves out the arguments Redis echoes, as node-redis 4's does.
      const [failed] = requestSpans('redis-fail').clients;
      expect(failed?.status.message).toBe("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ?");
    });

    it('no connect span, no instrumentation name, no written value in any span', () => {
      const { spans } = run();
      expect(spans.filter((s) => s.name.startsWith('redis-')).map((s) => s.name)).toEqual([]);
      expect(JSON.stringify(spans)).not.toContain('hunter2');
    });

    it('records db.client.operation.duration for node-redis 4 on /metrics, errors with error_type', () => {
      const { metrics } = run();
      const series = metrics.split('\n').filter((line) => line.startsWith('db_client_operation_duration_count'));
      for (const operation of ['GET', 'SET', 'MULTI', 'PIPELINE', 'NOSUCHCOMMAND']) {
        expect(
          series.some(
            (line) =>
              line.includes('db_system_name="redis"') &&
              line.includes(`db_operation_name="${operation}"`) &&
              line.includes('db_namespace="0"') &&
              line.includes(`server_port="${redis?.port}"`),
          ),
          `redis ${operation} in:\n${series.join('\n')}`,
        ).toBe(true);
      }
      expect(series.some((line) => line.includes('error_type="ErrorReply"'))).toBe(true);
      expect(metrics).not.toContain('hunter2');
    });
  });
});
