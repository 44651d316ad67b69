/**
 * The exit export's sender: delivering what is pending when the process ends without giving the pipeline a turn of the event loop:
 * `process.exit()` called by the application, or an uncaught exception. Node then runs only the synchronous
 * `exit` listeners, so an ordinary (asynchronous) export never leaves the process.
 *
 * In the `exit` listener, every span and log record request not yet acknowledged by the collector — waiting,
 * in flight, or still being filled — is taken from the export queues (encoded-queue.ts: already OTLP
 * protobuf), and one short-lived Node child process started with `spawnSync` sends them to the collector (gRPC
 * over `node:http2`, or http/protobuf) and exits. The parent blocks on it for at
 * most {@link EXIT_EXPORT_TIMEOUT_MS}. A child process is used rather than a worker thread because it needs
 * nothing from the dying process (no event loop turn, no thread start-up inside `exit`), and a hung collector
 * cannot keep it alive past the timeout.
 *
 * What this does not cover, on purpose: metrics (their collection is asynchronous; the last interval's
 * deltas are lost on `process.exit()`), spans not yet ended, Zipkin, custom TLS certificates, and a
 * collector already known to be down (nothing is attempted, so the exit is not delayed). A batch that was
 * in flight is sent again, so a collector may receive it twice (at-least-once at exit, never lost by us).
 */
import { spawnSync } from 'node:child_process';
import type { OtlpProtocol } from '../config/types.js';
import type { EncodedBatch } from '../otlp/batch-encoder.js';
import type { PendingRequests } from './encoded-queue.js';

/** Longest time the exit may be held up by the synchronous export. */
export const EXIT_EXPORT_TIMEOUT_MS = 2000;

/** Where the exit export goes and what it needs to know about the pipeline. */
export interface ExitExportSources {
  /** Collector base URL (`http://host:port`). */
  readonly endpoint: string;
  readonly protocol: OtlpProtocol;
  /** The span requests not yet acknowledged, when spans go to OTLP. */
  readonly spans?: PendingRequests;
  /** The log record requests not yet acknowledged, when logs go to OTLP. */
  readonly logs?: PendingRequests;
  /** True when the collector is known to be down: then nothing is attempted. */
  readonly isDown: () => boolean;
}

/** What an exit export did. */
export interface ExitExportReport {
  /** Ended spans that were pending. */
  readonly spans: number;
  /** Log records that were pending. */
  readonly logs: number;
  /** `sent` (the collector accepted everything), `failed`, `nothing` pending, or `skipped` (collector down). */
  readonly outcome: 'sent' | 'failed' | 'nothing' | 'skipped';
}

/** One OTLP request for the sender child. */
interface ExitRequest {
  readonly url: string;
  readonly path: string;
  readonly grpc: boolean;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

const GRPC_PATHS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

/** `OTEL_EXPORTER_OTLP_HEADERS` and the per-signal variable, as the OTLP exporters read them (`k=v,k2=v2`). */
function otlpHeaders(signal: 'traces' | 'logs', env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of [env.OTEL_EXPORTER_OTLP_HEADERS, env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`]]) {
    if (raw === undefined) continue;
    for (const pair of raw.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      try {
        headers[decodeURIComponent(pair.slice(0, eq).trim()).toLowerCase()] = decodeURIComponent(
          pair.slice(eq + 1).trim(),
        );
      } catch {
        // A malformed escape: the OTLP exporters skip such a header too.
      }
    }
  }
  return headers;
}

function request(
  sources: ExitExportSources,
  signal: 'traces' | 'logs',
  body: Uint8Array | undefined,
  env: NodeJS.ProcessEnv,
): ExitRequest | undefined {
  if (body === undefined || body.length === 0) return undefined;
  const base = sources.endpoint.replace(/\/+$/, '');
  const grpc = sources.protocol === 'grpc';
  return {
    url: grpc ? base : `${base}/v1/${signal}`,
    path: GRPC_PATHS[signal],
    grpc,
    headers: otlpHeaders(signal, env),
    body,
  };
}

/**
 * The sender, run as `node -e`: reads length-prefixed `[header JSON][body]` frames from stdin, sends every
 * request at once, exits 0 when all were accepted. Plain CommonJS with only `node:` modules, so it loads in
 * a few tens of milliseconds and depends on nothing installed.
 */
const SENDER_SOURCE = `'use strict';
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks);
  const sends = [];
  for (let at = 0; at < input.length; ) {
    const headLength = input.readUInt32BE(at); at += 4;
    const head = JSON.parse(input.subarray(at, at + headLength).toString('utf8')); at += headLength;
    const bodyLength = input.readUInt32BE(at); at += 4;
    const body = input.subarray(at, at + bodyLength); at += bodyLength;
    sends.push(head.grpc ? sendGrpc(head, body) : sendHttp(head, body));
  }
  Promise.all(sends).then((results) => process.exit(results.every(Boolean) ? 0 : 1));
});
function sendHttp(head, body) {
  return new Promise((resolve) => {
    const url = new URL(head.url);
    const transport = url.protocol === 'https:' ? require('node:https') : require('node:http');
    const headers = Object.assign({}, head.headers, { 'content-type': 'application/x-protobuf', 'content-length': body.length });
    const req = transport.request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode >= 200 && res.statusCode < 300));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.end(body);
  });
}
function sendGrpc(head, body) {
  return new Promise((resolve) => {
    let ok = false;
    const session = require('node:http2').connect(head.url);
    session.on('error', () => resolve(false));
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    const headers = Object.assign({}, head.headers, { ':method': 'POST', ':path': head.path, 'content-type': 'application/grpc', te: 'trailers' });
    const req = session.request(headers);
    req.on('response', (h) => { if (h['grpc-status'] !== undefined) ok = h['grpc-status'] === '0'; });
    req.on('trailers', (t) => { ok = t['grpc-status'] === '0'; });
    req.on('data', () => {});
    req.on('error', () => resolve(false));
    req.on('close', () => { session.close(); resolve(ok); });
    req.end(frame);
  });
}
`;

function frame(requests: readonly ExitRequest[]): Buffer {
  const parts: Buffer[] = [];
  for (const { body, ...head } of requests) {
    const headBytes = Buffer.from(JSON.stringify(head), 'utf8');
    const lengths = Buffer.alloc(4);
    lengths.writeUInt32BE(headBytes.length, 0);
    const bodyLength = Buffer.alloc(4);
    bodyLength.writeUInt32BE(body.length, 0);
    parts.push(lengths, headBytes, bodyLength, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  return Buffer.concat(parts);
}

/** The sender's environment: the process's, without what would load AutoTelemetry (or anything) into it. */
function senderEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, ELECTRON_RUN_AS_NODE: '1' };
  delete out.NODE_OPTIONS;
  return out;
}

/**
 * Sends everything pending, synchronously. Meant for the `exit` event only (it blocks the thread for up to
 * {@link EXIT_EXPORT_TIMEOUT_MS}); never throws.
 */
export function exportPendingSync(
  sources: ExitExportSources,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs: number = EXIT_EXPORT_TIMEOUT_MS,
): ExitExportReport {
  try {
    const spanBatches = sources.spans?.takePending() ?? [];
    const logBatches = sources.logs?.takePending() ?? [];
    const spans = countOf(spanBatches);
    const logs = countOf(logBatches);
    if (spans === 0 && logs === 0) return { spans: 0, logs: 0, outcome: 'nothing' };
    if (sources.isDown()) return { spans, logs, outcome: 'skipped' };
    const requests: ExitRequest[] = [];
    const traceRequest = spans > 0 ? request(sources, 'traces', merged(spanBatches), env) : undefined;
    if (traceRequest) requests.push(traceRequest);
    const logRequest = logs > 0 ? request(sources, 'logs', merged(logBatches), env) : undefined;
    if (logRequest) requests.push(logRequest);
    const result = spawnSync(process.execPath, ['-e', SENDER_SOURCE], {
      input: frame(requests),
      env: senderEnv(env),
      stdio: ['pipe', 'ignore', 'ignore'],
      timeout: timeoutMs,
      windowsHide: true,
    });
    return { spans, logs, outcome: result.status === 0 && requests.length > 0 ? 'sent' : 'failed' };
  } catch {
    return { spans: 0, logs: 0, outcome: 'failed' };
  }
}

function countOf(batches: readonly EncodedBatch[]): number {
  let count = 0;
  for (const batch of batches) count += batch.count;
  return count;
}

/**
 * One request of every batch: concatenated protobuf messages are their merge, and the repeated
 * `resource_spans` / `resource_logs` fields of the requests follow each other.
 */
function merged(batches: readonly EncodedBatch[]): Uint8Array {
  return batches.length === 1 ? (batches[0] as EncodedBatch).bytes : Buffer.concat(batches.map((b) => b.bytes));
}
