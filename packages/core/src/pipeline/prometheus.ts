/**
 * The Prometheus `/metrics` endpoint. It reads the pipeline's own metric reader (the same MeterProvider that
 * feeds OTLP, so both show the same metrics) and formats with @opentelemetry/exporter-prometheus's serializer,
 * imported on first use.
 *
 * The HTTP server is this module's rather than the exporter's built-in one, for three reasons: a port in use
 * must give one clear warning (the built-in server reports it through `diag` only), the response needs the
 * content type Prometheus 3 requires (`text/plain; version=0.0.4`), and the server must be `unref`'d so that a
 * script still ends by itself.
 *
 * `node:http` is taken with `process.getBuiltinModule` rather than a static ESM import: importing it as an ES
 * module builds its namespace, which reads its lazy `WebSocket`-style getters and loads Node's bundled undici
 * (tens of milliseconds of start-up for an endpoint that does not need it).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Config } from '../config/types.js';
import type { SnapshotMetricReader } from '../export/memory-exporters.js';
import { listenQuietly } from '../local-server.js';
import type { Notices } from '../notices.js';

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The running endpoint. */
export interface PrometheusEndpoint {
  /** Resolves with the bound port once listening, or undefined if the port could not be bound. */
  readonly ready: Promise<number | undefined>;
  /** Closes the server and its open connections. */
  close(): Promise<void>;
}

type Serializer = { serialize(resourceMetrics: import('@opentelemetry/sdk-metrics').ResourceMetrics): string };

/** Renders the reader's current metrics in the Prometheus text format. */
export async function renderPrometheusText(reader: SnapshotMetricReader): Promise<string> {
  const metrics = await reader.snapshot();
  if (!metrics) return '';
  const serializer = await loadSerializer();
  return serializer.serialize(metrics);
}

let serializerPromise: Promise<Serializer> | undefined;

function loadSerializer(): Promise<Serializer> {
  serializerPromise ??= import('@opentelemetry/exporter-prometheus').then(
    ({ PrometheusSerializer }) => new PrometheusSerializer(),
  );
  return serializerPromise;
}

function handle(reader: SnapshotMetricReader, req: IncomingMessage, res: ServerResponse): void {
  const path = req.url?.split('?')[0];
  if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are served on /metrics\n');
    return;
  }
  renderPrometheusText(reader).then(
    (text) => {
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    (error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`# metrics collection failed: ${String(error)}\n`);
    },
  );
}

/**
 * Serves `/metrics` on `config.prometheusPort`. Never throws and never rejects: a port in use (or any listen
 * error) gives ONE warning naming the port, and the application keeps running without the endpoint.
 */
export function startPrometheusEndpoint(
  reader: SnapshotMetricReader,
  config: Config,
  notices: Notices,
): PrometheusEndpoint {
  // The pipeline starts the endpoint only when a port is configured.
  const port = config.prometheusPort as number;
  const { createServer } = process.getBuiltinModule('node:http');
  const server: Server = createServer((req, res) => handle(reader, req, res));
  const listener = listenQuietly(server, config.prometheusHost, port, (reason, error) => {
    notices.warn(
      `Prometheus endpoint not started: ${reason} (host ${config.prometheusHost}). The application keeps running; ` +
        'metrics still go to the other exporters. Set prometheusPort (AUTOTELEMETRY_PROMETHEUS_PORT) to a free port, or false to disable it.',
      { port, host: config.prometheusHost, error },
    );
  });
  return {
    ready: listener.ready.then((address) => address?.port),
    close: () => listener.close(),
  };
}
