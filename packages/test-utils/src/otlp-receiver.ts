/**
 * A real OTLP receiver for tests: it listens on 127.0.0.1, speaks gRPC (with @grpc/grpc-js) or http/protobuf
 * (with node:http), decodes what exporters really send, and lets a test wait for what it expects.
 *
 * Faults can be injected per receiver to test exporters against a misbehaving collector: error statuses
 * (HTTP 500/429/503 or a gRPC code), slow answers, a black hole that accepts and never answers, and a closed
 * port (`stop()` then `restart()` on the same port).
 */
import { EventEmitter, once } from 'node:events';
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import {
  decodeLogs,
  decodeMetrics,
  decodeTraces,
  encodeExportResponse,
  grpcExportPath,
  type ReceivedLogRecord,
  type ReceivedMetric,
  type ReceivedSpan,
  type Signal,
  type Transport,
} from './otlp-decode.js';

/** A fault the receiver plays instead of (or before) answering. */
export type ReceiverFault =
  /** Answer normally. */
  | { readonly kind: 'none' }
  /** Reject every export: HTTP `httpStatus` (with `Retry-After` when given) or gRPC status `grpcCode`. */
  | {
      readonly kind: 'status';
      readonly httpStatus: number;
      readonly grpcCode: number;
      readonly retryAfterSeconds?: number;
    }
  /** Accept, then answer after `ms` (a slow collector). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Accept and never answer (a black hole); the exporter's own timeout must save it. */
  | { readonly kind: 'hang' };

/** Options of {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /** Wire protocol to serve. Default `grpc`. */
  readonly protocol?: Transport;
  /** Port to bind on 127.0.0.1; default 0 (any free port). */
  readonly port?: number;
  /** Fault to start with. Default `{ kind: 'none' }`. */
  readonly fault?: ReceiverFault;
}

/** Options of the `waitFor*` helpers. */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
}

/** A running OTLP receiver and everything it has decoded so far. */
export interface OtlpReceiver {
  /** `grpc` or `http/protobuf`. */
  readonly protocol: Transport;
  /** Port it listens on. */
  readonly port: number;
  /** Base URL to give an exporter (`OTEL_EXPORTER_OTLP_ENDPOINT`), e.g. `http://127.0.0.1:43117`. */
  readonly endpoint: string;
  /** Spans received, in arrival order. */
  readonly spans: readonly ReceivedSpan[];
  /** Metrics received (one entry per metric per export), in arrival order. */
  readonly metrics: readonly ReceivedMetric[];
  /** Log records received, in arrival order. */
  readonly logs: readonly ReceivedLogRecord[];
  /** Export requests seen per signal, including rejected ones. */
  readonly requests: Readonly<Record<Signal, number>>;
  /** Requests that could not be decoded (a wrong payload is a test failure, so check it is 0). */
  readonly decodeErrors: readonly string[];
  /** Changes the fault played from now on. */
  setFault(fault: ReceiverFault): void;
  /** Resolves when at least `count` spans matching `filter` have arrived; rejects on timeout with what did. */
  waitForSpans(count: number, filter?: (span: ReceivedSpan) => boolean, options?: WaitOptions): Promise<ReceivedSpan[]>;
  /** Resolves with the first received metric named `name` (matching `filter`); rejects on timeout. */
  waitForMetric(
    name: string,
    filter?: (metric: ReceivedMetric) => boolean,
    options?: WaitOptions,
  ): Promise<ReceivedMetric>;
  /** Resolves when at least `count` log records matching `filter` have arrived; rejects on timeout. */
  waitForLogs(
    count: number,
    filter?: (record: ReceivedLogRecord) => boolean,
    options?: WaitOptions,
  ): Promise<ReceivedLogRecord[]>;
  /** Resolves when `requests[signal]` reaches `count`. */
  waitForRequests(signal: Signal, count: number, options?: WaitOptions): Promise<void>;
  /** Forgets everything received so far. */
  reset(): void;
  /** Stops listening (the port becomes closed) but keeps the data; `restart()` binds the same port again. */
  stop(): Promise<void>;
  /** Listens again on the same port after `stop()`. */
  restart(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

const SIGNAL_BY_HTTP_PATH: Readonly<Record<string, Signal>> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

/** Keeps a test receiver's memory bounded even if a test floods it. */
const MAX_ITEMS = 200_000;

class ReceivedStore extends EventEmitter {
  spans: ReceivedSpan[] = [];
  metrics: ReceivedMetric[] = [];
  logs: ReceivedLogRecord[] = [];
  requests: Record<Signal, number> = { traces: 0, metrics: 0, logs: 0 };
  decodeErrors: string[] = [];

  record(signal: Signal, payload: Uint8Array, transport: Transport): void {
    try {
      if (signal === 'traces') push(this.spans, decodeTraces(payload, transport));
      else if (signal === 'metrics') push(this.metrics, decodeMetrics(payload, transport));
      else push(this.logs, decodeLogs(payload, transport));
    } catch (error) {
      this.decodeErrors.push(`${signal}: ${(error as Error).message}`);
    }
    this.emit('data');
  }

  countRequest(signal: Signal): void {
    this.requests[signal]++;
    this.emit('data');
  }

  reset(): void {
    this.spans = [];
    this.metrics = [];
    this.logs = [];
    this.requests = { traces: 0, metrics: 0, logs: 0 };
    this.decodeErrors = [];
  }

  /** Re-evaluates `check` on every arrival until it returns a value or the timeout passes. */
  waitUntil<T>(check: () => T | undefined, describe: () => string, timeoutMs = 10_000): Promise<T> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const onData = (): void => {
        const value = check();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`OTLP receiver: timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('data', onData);
      };
      this.on('data', onData);
    });
  }
}

function push<T>(target: T[], items: readonly T[]): void {
  for (const item of items) if (target.length < MAX_ITEMS) target.push(item);
}

function decompress(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip') return gunzipSync(body);
  if (encoding === 'deflate') return inflateSync(body);
  return body;
}

interface Transporter {
  readonly port: number;
  stop(): Promise<void>;
}

function startHttp(store: ReceivedStore, getFault: () => ReceiverFault, port: number): Promise<Transporter> {
  const pending = new Set<ServerResponse>();
  const server: HttpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const signal = SIGNAL_BY_HTTP_PATH[req.url?.split('?')[0] ?? ''];
    if (req.method !== 'POST' || !signal) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      store.countRequest(signal);
      const fault = getFault();
      if (fault.kind === 'status') {
        const headers: Record<string, string> = { 'content-type': 'text/plain' };
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        res.writeHead(fault.httpStatus, headers).end('injected fault');
        return;
      }
      if (fault.kind === 'hang') {
        pending.add(res);
        return;
      }
      const answer = (): void => {
        const type = req.headers['content-type'] ?? '';
        if (!type.startsWith('application/x-protobuf')) {
          res.writeHead(415, { 'content-type': 'text/plain' }).end(`unsupported content-type ${type}`);
          return;
        }
        let body: Buffer;
        try {
          body = decompress(Buffer.concat(chunks), req.headers['content-encoding']);
        } catch (error) {
          store.decodeErrors.push(`${signal}: cannot decompress: ${(error as Error).message}`);
          res.writeHead(400).end();
          return;
        }
        store.record(signal, body, 'http/protobuf');
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(encodeExportResponse(signal));
      };
      if (fault.kind === 'delay') setTimeout(answer, fault.ms);
      else answer();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        stop: async () => {
          for (const res of pending) res.destroy();
          pending.clear();
          server.closeAllConnections();
          server.close();
          await once(server, 'close');
        },
      });
    });
  });
}

function startGrpc(store: ReceivedStore, getFault: () => ReceiverFault, port: number): Promise<Transporter> {
  const server = new grpc.Server();
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    const response = Buffer.from(encodeExportResponse(signal));
    const definition: grpc.ServiceDefinition = {
      Export: {
        path: grpcExportPath(signal),
        requestStream: false,
        responseStream: false,
        // Decoding happens in the handler, where a bad payload can be recorded instead of failing the call.
        requestSerialize: (value: Buffer) => value,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (value: Buffer) => value,
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    };
    const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      store.countRequest(signal);
      const fault = getFault();
      if (fault.kind === 'status') {
        callback({ code: fault.grpcCode, details: 'injected fault' });
        return;
      }
      if (fault.kind === 'hang') return;
      const answer = (): void => {
        store.record(signal, call.request, 'grpc');
        callback(null, response);
      };
      if (fault.kind === 'delay') setTimeout(answer, fault.ms);
      else answer();
    };
    server.addService(definition, { Export: handler as grpc.UntypedHandleCall });
  }
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error) {
        reject(error);
        return;
      }
      resolve({
        port: boundPort,
        stop: async () => {
          server.forceShutdown();
        },
      });
    });
  });
}

/** Starts a receiver on 127.0.0.1 (port 0 unless given). Close it in `afterEach`/`afterAll`. */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const protocol = options.protocol ?? 'grpc';
  const store = new ReceivedStore();
  let fault: ReceiverFault = options.fault ?? { kind: 'none' };
  const getFault = (): ReceiverFault => fault;
  const start = (port: number): Promise<Transporter> =>
    protocol === 'grpc' ? startGrpc(store, getFault, port) : startHttp(store, getFault, port);
  let transport: Transporter | undefined = await start(options.port ?? 0);
  const port = transport.port;

  const describeCounts = (): string =>
    `(received so far: ${store.spans.length} spans, ${store.metrics.length} metrics, ${store.logs.length} log records; ` +
    `requests ${JSON.stringify(store.requests)}; decode errors ${store.decodeErrors.length})`;

  return {
    protocol,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    get spans() {
      return store.spans;
    },
    get metrics() {
      return store.metrics;
    },
    get logs() {
      return store.logs;
    },
    get requests() {
      return store.requests;
    },
    get decodeErrors() {
      return store.decodeErrors;
    },
    setFault(next) {
      fault = next;
    },
    waitForSpans(count, filter = () => true, waitOptions = {}) {
      return store.waitUntil(
        () => {
          const matched = store.spans.filter(filter);
          return matched.length >= count ? matched : undefined;
        },
        () => `${count} spans ${describeCounts()}`,
        waitOptions.timeoutMs,
      );
    },
    waitForMetric(name, filter = () => true, waitOptions = {}) {
      return store.waitUntil(
        () => store.metrics.find((m) => m.name === name && filter(m)),
        () =>
          `metric "${name}" ${describeCounts()}; names seen: ${[...new Set(store.metrics.map((m) => m.name))].join(', ')}`,
        waitOptions.timeoutMs,
      );
    },
    waitForLogs(count, filter = () => true, waitOptions = {}) {
      return store.waitUntil(
        () => {
          const matched = store.logs.filter(filter);
          return matched.length >= count ? matched : undefined;
        },
        () => `${count} log records ${describeCounts()}`,
        waitOptions.timeoutMs,
      );
    },
    async waitForRequests(signal, count, waitOptions = {}) {
      await store.waitUntil(
        () => (store.requests[signal] >= count ? true : undefined),
        () => `${count} ${signal} requests ${describeCounts()}`,
        waitOptions.timeoutMs,
      );
    },
    reset() {
      store.reset();
    },
    async stop() {
      await transport?.stop();
      transport = undefined;
    },
    async restart() {
      if (!transport) transport = await start(port);
    },
    async close() {
      await transport?.stop();
      transport = undefined;
      store.removeAllListeners();
    },
  };
}
