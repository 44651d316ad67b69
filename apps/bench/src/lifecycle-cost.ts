/**
 * The request lifecycle's own CPU cost per request, without a framework, a socket or a load generator: real
 * `IncomingMessage`/`ServerResponse` objects go through `begin` → `run` → `setRoute` → `finish`, in batches,
 * with the event loop turning between batches so the batch span/log processors and their OTLP exports (to a
 * sink in this process) run as they would in a server. The process's CPU time over many requests, minus the
 * same loop without telemetry, divided by the request count: a figure that moves little with the machine's
 * load, for taking the per-request cost apart one change at a time.
 *
 *   node src/lifecycle-cost.ts [--requests 200000] [--rounds 5] [--access-log auto|false] [--log-sink per-line]
 *                              [--trace-exporter otlp|none] [--anomaly true|false] [--sampling 0.1]
 */
import { openSync, writeSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { getHttpLifecycle, startTelemetry } from '@autotelemetry/core';
import { freePort, startOtlpSink } from './http.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '200000' },
    'access-log': { type: 'string', default: 'auto' },
    rounds: { type: 'string', default: '5' },
    // 'per-line': a writer that writes each line at once (the unbatched path), for A/B against the default.
    'log-sink': { type: 'string', default: 'default' },
    // Leave-one-out switches, to see what each signal costs.
    'trace-exporter': { type: 'string', default: 'otlp' },
    anomaly: { type: 'string', default: 'true' },
    sampling: { type: 'string', default: '1' },
  },
});
const total = Number(values.requests);
const BATCH = 500;

const sink = await startOtlpSink();
const client = startTelemetry({
  serviceName: 'bench.lifecycle',
  environment: 'production',
  otlpEndpoint: sink.endpoint,
  otlpProtocol: 'http/protobuf',
  prometheusPort: await freePort(),
  prometheusHost: '127.0.0.1',
  logDestination:
    values['log-sink'] === 'per-line'
      ? (() => {
          const fd = openSync('/dev/null', 'w');
          return { write: (line: string) => writeSync(fd, line) };
        })()
      : '/dev/null',
  ...(values['access-log'] === 'false' ? { accessLog: false as const } : {}),
  ...(values['trace-exporter'] === 'none' ? { traceExporter: 'none' as const } : {}),
  anomalyDetection: values.anomaly !== 'false',
  samplingRatio: Number(values.sampling),
});
const lifecycle = getHttpLifecycle();
if (lifecycle === undefined) throw new Error('no lifecycle');

const socket = new Socket();
Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' });
const HEADERS = { host: '127.0.0.1:3000', 'user-agent': 'wrk', accept: '*/*' };

function makeRequest(): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/items/7';
  req.httpVersion = '1.1';
  req.headers = HEADERS;
  const res = new ServerResponse(req);
  return { req, res };
}

function handler(this: ServerResponse, record: { setRoute(route: string): void }): void {
  record.setRoute('/items/:id');
  this.statusCode = 200;
  this.emit('finish');
}

async function loop(count: number, telemetry: boolean): Promise<number> {
  const start = process.cpuUsage();
  for (let done = 0; done < count; done += BATCH) {
    for (let i = 0; i < BATCH; i++) {
      const { req, res } = makeRequest();
      if (telemetry) {
        const record = lifecycle?.begin(req, res);
        if (record !== undefined) record.run(handler, res, record);
      } else {
        res.statusCode = 200;
        res.emit('finish');
      }
    }
    await turn();
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

await loop(20_000, true);
await loop(20_000, false);
const added: number[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const bare = await loop(total / 4, false);
  const withTelemetry = await loop(total, true);
  added.push(withTelemetry - bare);
}
added.sort((a, b) => a - b);
// Not console.log: in production the pipeline writes console output as log lines (to /dev/null here).
process.stdout.write(
  `lifecycle CPU added per request: median ${added[added.length >> 1]?.toFixed(2)} µs (rounds: ${added.map((a) => a.toFixed(2)).join(', ')})\n`,
);
await client.shutdown();
sink.close();
