/**
 * What the library test files share: the fixture apps' paths and their load variants (CJS with the libraries
 * loaded before or after telemetry starts, ESM before, ESM after), the span kinds and status codes as the
 * fixtures dump them and as OTLP numbers them, running one app through a list of `/q/:name` calls (answers,
 * dumped spans, /metrics), running tasks a few at a time, and finding a request's SERVER span with the spans
 * under it. Each test file keeps its own assertions; only the setup lives here.
 */
import { fileURLToPath } from 'node:url';
import { type DumpedSpan, freePort, httpCall, startFixtureApp } from '@autotelemetry/test-utils';
import { expect } from 'vitest';

/** Span kinds as the fixture apps dump them (the API's SpanKind: 0 internal, 1 server, 2 client, 3 producer). */
export const DUMPED = { SERVER: 1, CLIENT: 2, PRODUCER: 3 } as const;

/** Span kinds as OTLP numbers them (1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
export const OTLP = { INTERNAL: 1, SERVER: 2, CLIENT: 3, CONSUMER: 5 } as const;

/** Span status codes, the same in both numberings. */
export const STATUS = { UNSET: 0, ERROR: 2 } as const;

/** The frameworks each fixture app can serve with. */
export const FRAMEWORKS = ['express', 'fastify', 'nest'] as const;

/** The absolute path of `./fixtures/<name>`. */
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * The four ways a fixture loads its libraries, as `[script, order]`: `<prefix>cjs.cjs` before and after
 * telemetry starts, `<prefix>esm-before.mjs` (before, without a loader flag) and `<prefix>esm-after.mjs`.
 */
export function loadVariants<P extends string = ''>(prefix: P = '' as P) {
  return [
    [`${prefix}cjs.cjs`, 'before'],
    [`${prefix}cjs.cjs`, 'after'],
    [`${prefix}esm-before.mjs`, 'before'],
    [`${prefix}esm-after.mjs`, 'after'],
  ] as const;
}

/** What one app run gave: the status of each `/q/:name` call, its dumped spans, its /metrics text. */
export interface AppRun {
  readonly answers: Record<string, number>;
  readonly spans: DumpedSpan[];
  readonly metrics: string;
}

/** Options of {@link runQueryApp}. */
export interface RunQueryAppOptions {
  /** Start it once more (on other ports) when it misses its start timeout: the machine may be busy. */
  readonly retryStart?: boolean;
}

/**
 * Starts `script` with `env` and a free `PROM_PORT`, calls `GET /q/<query>` for each query in order, reads
 * `/__spans` and the Prometheus `/metrics`, and stops the app (also when a call fails, whose error then
 * carries the app's stderr).
 */
export async function runQueryApp(
  script: string,
  env: Record<string, string>,
  queries: readonly string[],
  options: RunQueryAppOptions = {},
): Promise<AppRun> {
  const start = async () => {
    const promPort = await freePort();
    const app = await startFixtureApp(fixture(script), { ...env, PROM_PORT: String(promPort) });
    return { ...app, promPort };
  };
  const { proc, port, promPort } = await (options.retryStart ? start().catch(start) : start());
  try {
    const answers: Record<string, number> = {};
    for (const query of queries) answers[query] = (await httpCall(port, `/q/${query}`)).status;
    const spans = JSON.parse((await httpCall(port, '/__spans')).body) as DumpedSpan[];
    const metrics = (await httpCall(promPort, '/metrics')).body;
    return { answers, spans, metrics };
  } catch (error) {
    throw new Error(`${script} ${JSON.stringify(env)}: ${error}\n${proc.stderr.join('\n')}`);
  } finally {
    proc.kill();
  }
}

/** Runs `tasks` at most `limit` at a time (the machine has few cores; apps, Nest's most, start slowly). */
export async function pooled(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let task = queue.shift(); task !== undefined; task = queue.shift()) await task();
    }),
  );
}

/** The fields of a span that {@link requestAndChildren} reads: a dumped span and an OTLP-received one have them. */
interface SpanLike {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * The one SERVER span of `GET /q/<query>` among `spans` (named by the route, `GET /q/:name`) and the spans of
 * kind `childKind` directly under it, each in its trace. `serverKind` is SERVER in the numbering `spans` use.
 */
export function requestAndChildren<S extends SpanLike>(
  spans: readonly S[],
  query: string,
  childKind: number,
  serverKind: number = DUMPED.SERVER,
): { request: S; children: S[] } {
  const requests = spans.filter((s) => s.kind === serverKind && s.attributes['url.path'] === `/q/${query}`);
  expect(requests, `one SERVER span for /q/${query}`).toHaveLength(1);
  const request = requests[0] as S;
  expect(request.name).toBe('GET /q/:name');
  const children = spans.filter((s) => s.kind === childKind && s.parentSpanId === request.spanId);
  for (const child of children) expect(child.traceId).toBe(request.traceId);
  return { request, children };
}
