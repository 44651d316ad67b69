/**
 * What the adapters' child-process tests share: a span as the fixture apps print it, a plain HTTP call to
 * a fixture on loopback, and starting a fixture that announces its port with a `{"event":"listening"}` line.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { type NodeProcess, spawnNode } from './processes.js';

/** A finished span as the fixture apps dump it (one JSON line each). */
export interface DumpedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  traceState: string | null;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  events: string[];
  scope: string;
}

/** An HTTP answer: status, body text and response headers. */
export interface HttpAnswer {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
}

/** Sends one request to 127.0.0.1:`port` on a fresh connection and reads the whole answer. */
export function httpCall(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Starts a fixture app and waits for its `{"event":"listening","port":…}` line. */
export async function startFixtureApp(
  script: string,
  env: Record<string, string>,
): Promise<{ proc: NodeProcess; port: number }> {
  const proc = spawnNode(script, { env, killAfterMs: 25_000 });
  const line = await proc
    .waitForLine((l) => l.includes('"event":"listening"'), { timeoutMs: 15_000 })
    .catch((error) => {
      throw new Error(`${script} did not start: ${error}\n${proc.stderr.join('\n')}`);
    });
  return { proc, port: (JSON.parse(line) as { port: number }).port };
}
