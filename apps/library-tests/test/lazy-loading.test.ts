/**
 * A client library the app never loads costs nothing: with telemetry started and no client loaded, no
 * instrumentation module is in the module cache; once the app loads pg, pg's instrumentation is (and still
 * not graphql's); once it loads graphql, graphql's is. gRPC's is loaded only once a server of the app's
 * @grpc/grpc-js registers a service (a client alone, as the OTLP gRPC exporter's, loads none). node-redis 5,
 * traced by its channels, loads no instrumentation; node-redis 4 loads the redis one.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('instrumentation modules', () => {
  it('are loaded only for a library the app loads', () => {
    const script = fileURLToPath(new URL('./fixtures/lazy.cjs', import.meta.url));
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
    const [before, after, afterGraphql, grpcBefore, grpcClientOnly, grpcAfter, redis5, redis4] = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(before).toEqual({ before: [] });
    expect(after.after).toBeGreaterThan(0);
    expect(after.graphqlAfterPg).toBe(0);
    expect(afterGraphql.afterGraphql).toBeGreaterThan(0);
    expect(grpcBefore).toEqual({ grpcBefore: [] });
    expect(grpcClientOnly).toEqual({ grpcClientOnly: [] });
    expect(grpcAfter.grpcAfter).toBeGreaterThan(0);
    expect(redis5).toEqual({ redis5: false });
    expect(redis4).toEqual({ redis4: true });
  });
});
