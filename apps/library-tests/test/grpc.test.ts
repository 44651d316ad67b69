/**
 * gRPC, traced end to end through a real OTLP receiver: two gRPC server processes (grpc-js, shop.Orders on a
 * free loopback port, telemetry started after the server was set up and listening, or before), and for Express,
 * Fastify and Nest an app in its own process whose handler calls one of them, with grpc-js loaded and the
 * client classes made before telemetry starts or after, from CJS or from ESM without a loader flag. Every
 * process exports its spans over OTLP gRPC, with the same grpc-js copy the app uses, so the exporter's own
 * calls must stay untraced. For each app: the request's SERVER span has the gRPC CLIENT span as a child, the
 * gRPC server's SERVER span continues the trace under it, the spans follow the stable RPC conventions, a
 * failing call is an ERROR with `error.type`, and both sides' duration histograms are on /metrics.
 */
import {
  freePort,
  httpCall,
  killAllChildren,
  type OtlpReceiver,
  type ReceivedSpan,
  spawnNode,
  startOtlpReceiver,
} from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, fixture, loadVariants, OTLP, pooled, requestAndChildren, STATUS } from './fixture-runs.js';

const { SERVER, CLIENT } = OTLP;
const { UNSET, ERROR } = STATUS;

const METHOD = 'shop.Orders/GetOrder';
const STREAM_METHOD = 'shop.Orders/ListOrders';
const CALLS = ['grpc', 'grpc-missing', 'grpc-crash', 'grpc-stream'] as const;

const VARIANTS = loadVariants('grpc-');

interface GrpcServer {
  readonly port: number;
  readonly promPort: number;
  /** Whether its service was registered and its port bound before telemetry started. */
  readonly order: 'before' | 'after';
}

interface Run {
  readonly id: string;
  readonly server: GrpcServer;
  answers: Record<string, number>;
  /** What GET /q/:name answered, parsed. */
  bodies: Record<string, { result?: { activeSpanId?: string | null; orders?: string[] } }>;
  metrics: string;
  spans: ReceivedSpan[];
}

let receiver: OtlpReceiver;
const grpcServers: GrpcServer[] = [];
const runs = new Map<string, Run>();
const serverMetrics: string[] = [];

const runId = (framework: string, script: string, order: string): string =>
  `${framework}-${script.replace(/\W+/g, '-')}-${order}`;
const runOf = (span: ReceivedSpan): unknown => span.resource['test.run'];

/**
 * Starts a fixture process and resolves with its port once it listens. Patient: a shared machine under load
 * can take many seconds to start a Nest app.
 */
async function startProcess(script: string, env: Record<string, string>) {
  const proc = spawnNode(script, { env, killAfterMs: 120_000 });
  const line = await proc
    .waitForLine((l) => l.includes('"event":"listening"'), { timeoutMs: 60_000 })
    .catch((error) => {
      throw new Error(`${script} did not start: ${error}\n${proc.stderr.join('\n')}`);
    });
  return { proc, port: (JSON.parse(line) as { port: number }).port };
}

async function startGrpcServer(order: 'before' | 'after'): Promise<GrpcServer> {
  const promPort = await freePort();
  const { port } = await startProcess(fixture('grpc-server.cjs'), {
    ORDER: order,
    OTLP_ENDPOINT: receiver.endpoint,
    PROM_PORT: String(promPort),
  });
  return { port, promPort, order };
}

async function runApp(run: Run, framework: string, script: string, order: string): Promise<void> {
  const promPort = await freePort();
  const { proc, port } = await startProcess(fixture(script), {
    FRAMEWORK: framework,
    ORDER: order,
    PROM_PORT: String(promPort),
    OTLP_ENDPOINT: receiver.endpoint,
    GRPC_TARGET: `127.0.0.1:${run.server.port}`,
    OTEL_RESOURCE_ATTRIBUTES: `test.run=${run.id}`,
  });
  for (const call of CALLS) {
    const answer = await httpCall(port, `/q/${call}`);
    run.answers[call] = answer.status;
    run.bodies[call] = JSON.parse(answer.body);
  }
  run.metrics = (await httpCall(promPort, '/metrics')).body;
  // One request span and one gRPC CLIENT span per call.
  run.spans = await receiver.waitForSpans(2 * CALLS.length, (span) => runOf(span) === run.id, {
    timeoutMs: 60_000,
  });
  proc.kill();
}

beforeAll(async () => {
  receiver = await startOtlpReceiver({ protocol: 'grpc' });
  grpcServers.push(...(await Promise.all([startGrpcServer('before'), startGrpcServer('after')])));
  const tasks: Array<() => Promise<void>> = [];
  let i = 0;
  for (const framework of FRAMEWORKS) {
    for (const [script, order] of VARIANTS) {
      const id = runId(framework, script, order);
      const server = grpcServers[i++ % 2] as GrpcServer;
      const run: Run = { id, server, answers: {}, bodies: {}, metrics: '', spans: [] };
      runs.set(id, run);
      tasks.push(() => runApp(run, framework, script, order));
    }
  }
  await pooled(tasks, 3);
  // Every call reached a server: one SERVER span each, from either server process.
  await receiver.waitForSpans(runs.size * CALLS.length, (s) => s.kind === SERVER && s.name.startsWith('shop.'), {
    timeoutMs: 60_000,
  });
  for (const server of grpcServers) serverMetrics.push((await httpCall(server.promPort, '/metrics')).body);
}, 240_000);

afterAll(async () => {
  await killAllChildren();
  await receiver?.close();
});

describe.each(FRAMEWORKS)('%s', (framework) => {
  describe.each(VARIANTS)('%s (grpc-js loaded %s telemetry starts)', (script, order) => {
    const run = (): Run => {
      const found = runs.get(runId(framework, script, order));
      if (found === undefined) throw new Error('run not made');
      return found;
    };

    /** The request's SERVER span, the gRPC CLIENT span under it and the gRPC server's span under that. */
    function callSpans(
      call: string,
      method = METHOD,
    ): { request: ReceivedSpan; client: ReceivedSpan; server: ReceivedSpan } {
      const { request, children: clients } = requestAndChildren(run().spans, call, CLIENT, SERVER);
      expect(clients.map((s) => s.name)).toEqual([method]);
      const client = clients[0] as ReceivedSpan;
      const servers = receiver.spans.filter((s) => s.kind === SERVER && s.parentSpanId === client.spanId);
      expect(servers, `the gRPC server's span under ${method}`).toHaveLength(1);
      return { request, client, server: servers[0] as ReceivedSpan };
    }

    it('answers every call as the app wrote it (telemetry changes no answer)', () => {
      expect(run().answers).toEqual({ grpc: 200, 'grpc-missing': 500, 'grpc-crash': 500, 'grpc-stream': 200 });
      expect(run().bodies['grpc-stream']?.result?.orders).toEqual(['41', '42']);
    });

    it("runs the app's callbacks under the caller's span, not the CLIENT span", () => {
      for (const call of ['grpc', 'grpc-stream']) {
        const { request } = callSpans(call, call === 'grpc' ? METHOD : STREAM_METHOD);
        expect(run().bodies[call]?.result?.activeSpanId, call).toBe(request.spanId);
      }
    });

    it('a server stream: CLIENT and SERVER spans, the same trace, from start to status', () => {
      const { client, server } = callSpans('grpc-stream', STREAM_METHOD);
      expect(client.attributes).toMatchObject({ 'rpc.method': STREAM_METHOD, 'rpc.status_code': 'OK' });
      expect(client.status.code).toBe(UNSET);
      expect(server.name).toBe(STREAM_METHOD);
      expect(server.attributes).toEqual({
        'rpc.system.name': 'grpc',
        'rpc.method': STREAM_METHOD,
        'rpc.status_code': 'OK',
      });
      expect(server.traceId).toBe(client.traceId);
    });

    it('a CLIENT span under the request, by the stable RPC conventions', () => {
      const { client } = callSpans('grpc');
      expect(client.attributes).toEqual({
        'rpc.system.name': 'grpc',
        'rpc.method': METHOD,
        'rpc.status_code': 'OK',
        'server.address': '127.0.0.1',
        'server.port': run().server.port,
      });
      expect(client.status.code).toBe(UNSET);
      expect(client.scope.name).toBe('@autotelemetry/core/libraries');
    });

    it("the gRPC server's SERVER span continues the caller's trace under the CLIENT span", () => {
      const { client, server } = callSpans('grpc');
      expect(server.traceId).toBe(client.traceId);
      expect(server.name).toBe(METHOD);
      expect(server.resource['service.name']).toBe('grpc.server.test');
      expect(server.attributes).toEqual({
        'rpc.system.name': 'grpc',
        'rpc.method': METHOD,
        'rpc.status_code': 'OK',
      });
      expect(server.status.code).toBe(UNSET);
      expect(server.startTimeUnixNano).toBeGreaterThanOrEqual(client.startTimeUnixNano);
      expect(server.endTimeUnixNano).toBeLessThanOrEqual(client.endTimeUnixNano);
    });

    it('NOT_FOUND: an ERROR client span with error.type; the server answered, its span is no error', () => {
      const { client, server } = callSpans('grpc-missing');
      expect(client.status).toEqual({ code: ERROR, message: 'no order missing' });
      expect(client.attributes).toMatchObject({ 'rpc.status_code': 'NOT_FOUND', 'error.type': 'NOT_FOUND' });
      expect(server.attributes['rpc.status_code']).toBe('NOT_FOUND');
      expect(server.attributes['error.type']).toBeUndefined();
      expect(server.status.code).toBe(UNSET);
    });

    it('a handler error (UNKNOWN) is an ERROR with error.type on both sides', () => {
      const { client, server } = callSpans('grpc-crash');
      for (const span of [client, server]) {
        expect(span.status.code).toBe(ERROR);
        expect(span.attributes).toMatchObject({ 'rpc.status_code': 'UNKNOWN', 'error.type': 'UNKNOWN' });
      }
    });

    it('records rpc.client.call.duration per method and status on /metrics, failures with error_type', () => {
      const series = run()
        .metrics.split('\n')
        .filter((line) => line.startsWith('rpc_client_call_duration_count'));
      for (const status of ['OK', 'NOT_FOUND', 'UNKNOWN']) {
        const line = series.find((l) => l.includes(`rpc_status_code="${status}"`));
        expect(line, `${status} in:\n${series.join('\n')}`).toBeDefined();
        expect(line).toContain('rpc_system_name="grpc"');
        expect(line).toContain(`rpc_method="${METHOD}"`);
        expect(line).toContain(`server_port="${run().server.port}"`);
        if (status !== 'OK') expect(line).toContain(`error_type="${status}"`);
        expect(line).toMatch(/ 1$/);
      }
    });
  });
});

describe('the gRPC server processes', () => {
  it('trace a server set up and listening before telemetry started, and one set up after', () => {
    for (const server of grpcServers) {
      const fromServer = [...runs.values()].filter((run) => run.server === server);
      const clientIds = new Set(
        fromServer.flatMap((run) => run.spans.filter((s) => s.kind === CLIENT).map((s) => s.spanId)),
      );
      const spans = receiver.spans.filter((s) => s.kind === SERVER && clientIds.has(s.parentSpanId));
      expect(spans, `server registered ${server.order}`).toHaveLength(fromServer.length * CALLS.length);
    }
  });

  it('record rpc.server.call.duration on /metrics, server failures with error_type', () => {
    for (const metrics of serverMetrics) {
      const series = metrics.split('\n').filter((line) => line.startsWith('rpc_server_call_duration_count'));
      for (const method of [METHOD, STREAM_METHOD]) {
        expect(series.some((l) => l.includes(`rpc_method="${method}"`) && l.includes('rpc_status_code="OK"'))).toBe(
          true,
        );
      }
      expect(series.find((l) => l.includes('rpc_status_code="NOT_FOUND"'))).not.toContain('error_type');
      expect(series.find((l) => l.includes('rpc_status_code="UNKNOWN"'))).toContain('error_type="UNKNOWN"');
    }
  });

  it("no span for the OTLP exporters' own gRPC calls, and every export decoded", () => {
    expect(
      receiver.spans.filter((s) => String(s.attributes['rpc.method'] ?? s.name).includes('opentelemetry')),
    ).toEqual([]);
    const names = new Set(receiver.spans.map((s) => s.name));
    expect([...names].sort()).toEqual(['GET /q/:name', METHOD, STREAM_METHOD]);
    expect(receiver.decodeErrors).toEqual([]);
  });
});
