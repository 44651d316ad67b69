/**
 * The viewer's read-only HTTP server: the page, its script and style, a small JSON API over the store and
 * one Server-Sent Events stream for live updates. Loopback by default, GET and HEAD only, and a `Host`
 * check so a web page elsewhere cannot read it through DNS rebinding. It is a plain `node:http` server the
 * adapters never see, so its own requests are not traced. Never throws into the application: a port in use
 * gives one warning.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isLoopbackHost, listenQuietly } from '../local-server.js';
import type { Notices } from '../notices.js';
import type { MetricSample, MetricsSampler } from './metrics.js';
import { VIEWER_CHARTS } from './metrics.js';
import { PAGE_HTML, PAGE_SCRIPT, PAGE_STYLE } from './page.js';
import type { TraceSummary, ViewerStore } from './store.js';

/** Where the viewer is served. */
export const VIEWER_PATH = '/_telemetry';

/** What the page shows in its header. */
export interface ViewerInfo {
  readonly service: string;
  readonly version: string;
  readonly environment: string;
}

/** A started viewer server. */
export interface ViewerServer {
  /** The viewer's URL once listening; undefined when it could not listen. */
  readonly ready: Promise<string | undefined>;
  /** Sends the traces changed since the last call to the open pages. */
  pushTraces(changed: readonly TraceSummary[]): void;
  /** Sends one metric sample to the open pages. */
  pushSample(sample: MetricSample): void;
  close(): Promise<void>;
}

const SECURITY_HEADERS = Object.freeze({
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
});

const ASSETS: Readonly<Record<string, readonly [string, string]>> = Object.freeze({
  '/': ['text/html; charset=utf-8', PAGE_HTML],
  '/app.js': ['text/javascript; charset=utf-8', PAGE_SCRIPT],
  '/app.css': ['text/css; charset=utf-8', PAGE_STYLE],
});

/** The host name of a `Host` header, without the port. */
function hostName(header: string | undefined): string {
  if (header === undefined) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.indexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

/** Starts the server. `host`/`port` as configured (port 0: any free one). */
export function startViewerServer(
  store: ViewerStore,
  sampler: MetricsSampler,
  info: ViewerInfo,
  host: string,
  port: number,
  notices: Notices,
): ViewerServer {
  const { createServer } = process.getBuiltinModule('node:http');
  const streams = new Set<ServerResponse>();
  const checkHost = isLoopbackHost(host);

  const json = (res: ServerResponse, status: number, body: unknown, head: boolean): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
    res.end(head ? undefined : text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (checkHost && !isLoopbackHost(hostName(req.headers.host))) {
      res.writeHead(403, { ...SECURITY_HEADERS, 'content-type': 'text/plain' }).end('viewer: loopback only\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD' }).end();
      return;
    }
    const head = req.method === 'HEAD';
    const url = new URL(req.url ?? '/', 'http://viewer');
    const path = url.pathname;
    if (path === VIEWER_PATH || path === '/') {
      res.writeHead(302, { ...SECURITY_HEADERS, location: `${VIEWER_PATH}/` }).end();
      return;
    }
    if (!path.startsWith(`${VIEWER_PATH}/`)) {
      json(res, 404, { error: 'not found' }, head);
      return;
    }
    const route = path.slice(VIEWER_PATH.length);
    const asset = ASSETS[route];
    if (asset !== undefined) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset[0] });
      res.end(head ? undefined : asset[1]);
      return;
    }
    if (route === '/api/info') {
      json(res, 200, { ...info, charts: VIEWER_CHARTS, limits: store.limits }, head);
    } else if (route === '/api/traces') {
      json(res, 200, { traces: store.summaries(), droppedTraces: store.droppedTraces }, head);
    } else if (route.startsWith('/api/traces/')) {
      const trace = store.trace(decodeURIComponent(route.slice('/api/traces/'.length)));
      if (trace === undefined) json(res, 404, { error: 'trace not kept (or never seen)' }, head);
      else json(res, 200, trace, head);
    } else if (route === '/api/logs') {
      json(res, 200, { logs: store.logs.toArray() }, head);
    } else if (route === '/api/operations') {
      json(res, 200, { operations: store.operations.toArray(), anomalies: store.anomalies.toArray() }, head);
    } else if (route === '/api/metrics') {
      json(res, 200, { samples: sampler.samples.toArray() }, head);
    } else if (route === '/api/events' && !head) {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/event-stream; charset=utf-8',
        connection: 'keep-alive',
      });
      res.write('retry: 1000\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
    } else {
      json(res, 404, { error: 'not found' }, head);
    }
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  });
  // An open page keeps its event stream connected: that must not keep a finished script alive.
  server.on('connection', (socket) => socket.unref());
  const listener = listenQuietly(server, host, port, (reason, error) => {
    notices.warn(
      `Telemetry viewer not started: ${reason} (host ${host}). The application keeps running. ` +
        'Set viewerPort (AUTOTELEMETRY_VIEWER_PORT) to a free port, 0 for any, or false to turn the viewer off.',
      { port, host, error },
    );
  });
  const ready = listener.ready.then((address) => {
    if (address === undefined) return undefined;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${shown === '0.0.0.0' || shown === '[::]' ? '127.0.0.1' : shown}:${address.port}${VIEWER_PATH}/`;
  });

  const broadcast = (event: string, data: unknown): void => {
    if (streams.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const stream of streams) stream.write(frame);
  };

  return {
    ready,
    pushTraces: (changed) => {
      if (changed.length > 0) broadcast('traces', changed);
    },
    pushSample: (sample) => broadcast('metrics', sample),
    close() {
      for (const stream of streams) stream.end();
      return listener.close();
    },
  };
}
