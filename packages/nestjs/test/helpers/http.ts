/** A plain HTTP client for the tests: one request on a fresh connection, the whole answer as text. */
import { request } from 'node:http';
import { httpCall } from '@autotelemetry/test-utils';

/** An answer: status, headers, body text. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Sends `method path` to 127.0.0.1:`port` with `headers` and an optional JSON `body`. */
export function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return httpCall(port, path, {
    method,
    headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: payload,
  });
}

/**
 * POSTs `body` as JSON with its bytes sent in two writes `delayMs` apart, as a slow client would: the second
 * half arrives in another socket read, after the request has entered the app.
 */
export function postInTwoParts(port: number, path: string, body: unknown, delayMs = 100): Promise<Answer> {
  const payload = Buffer.from(JSON.stringify(body));
  const half = payload.length >> 1;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
    req.write(payload.subarray(0, half));
    setTimeout(() => req.end(payload.subarray(half)), delayMs);
  });
}
