/** Starts a built fixture app as a child process and reads what it recorded. */
import { type DumpedSpan, type NodeProcess, spawnNode } from '@autotelemetry/test-utils';
import type { FixtureApp } from './fixture-app.js';
import { call } from './http.js';

/** A span as the fixture's debug controller serves it (kind: 0 internal, 1 server, 2 client). */
export type { DumpedSpan };

/** A metric as the fixture's debug controller serves it. */
export interface DumpedMetric {
  name: string;
  points: { attributes: Record<string, unknown>; value: number }[];
}

export const SPAN_KIND = { INTERNAL: 0, SERVER: 1, CLIENT: 2 } as const;

/** A running fixture app. */
export interface RunningApp {
  readonly proc: NodeProcess;
  readonly port: number;
  spans(): Promise<DumpedSpan[]>;
  metrics(): Promise<DumpedMetric[]>;
  /** Stops the app (SIGTERM: the pipeline flushes and the process exits) and returns its JSON log lines. */
  stop(): Promise<Record<string, unknown>[]>;
}

/** Starts `app` with `env` (PLATFORM, ADAPTER, OFFICIAL_INCOMING, TELEMETRY_ASYNC) and waits until it listens. */
export async function startApp(app: FixtureApp, env: Record<string, string>): Promise<RunningApp> {
  const proc = spawnNode(app.entry, { cwd: app.dir, env, killAfterMs: 25_000 });
  const line = await proc
    .waitForLine((l) => l.includes('"event":"listening"'), { timeoutMs: 15_000 })
    .catch((error: unknown) => {
      throw new Error(`the Nest ${app.major} app did not start: ${String(error)}\n${proc.stderr.join('\n')}`);
    });
  const port = (JSON.parse(line) as { port: number }).port;
  return {
    proc,
    port,
    async spans() {
      return JSON.parse((await call(port, 'GET', '/api/__telemetry/spans')).body) as DumpedSpan[];
    },
    async metrics() {
      return JSON.parse((await call(port, 'GET', '/api/__telemetry/metrics')).body) as DumpedMetric[];
    },
    async stop() {
      proc.kill('SIGTERM');
      await proc.exited;
      return proc.json().filter((l) => typeof l.timestamp === 'string');
    },
  };
}
