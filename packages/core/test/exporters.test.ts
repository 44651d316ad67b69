/**
 * Exporters against a collector that is down, misbehaves or comes back: the app keeps running, one warning
 * per outage (not one per batch), one "recovered" line, bounded memory. Plus the compact console line and
 * the guard around exporters that throw.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  killAllChildren,
  type OtlpReceiver,
  spawnNode,
  startOtlpReceiver,
  type Transport,
} from '@autotelemetry/test-utils';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { CompactConsoleSpanExporter, formatSpanLine } from '../src/export/console-span-exporter.js';
import { ExportHealth, PROBE_INTERVAL_MS, RECOVERY_CONFIRM_MS } from '../src/export/export-health.js';
import { ResilientExporter } from '../src/export/resilient-exporter.js';
import { createNotices } from '../src/notices.js';
import { startTelemetry } from '../src/sdk.js';
import { LogCapture } from '../src/testing.js';

const FLOOD = fileURLToPath(new URL('./fixtures/pipeline-flood.mjs', import.meta.url));

let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await killAllChildren();
  await receiver?.close();
  receiver = undefined;
});

function pipelineLines(json: Record<string, unknown>[], level: string): Record<string, unknown>[] {
  return json.filter((line) => line.logger === 'autotelemetry' && line.level === level);
}

describe.each<Transport>(['grpc', 'http/protobuf'])('an unreachable collector (%s)', (protocol) => {
  it('keeps the app running, warns once, and keeps memory bounded', async () => {
    const closedPort = await freePort();
    const child = spawnNode(FLOOD, {
      execArgv: ['--expose-gc'],
      env: {
        AUTOTELEMETRY_ENVIRONMENT: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
        AUTOTELEMETRY_RUNTIME_METRICS: 'false',
        FIXTURE_RUN_MS: '3000',
      },
    });
    const started = Date.now();
    const exit = await child.exited;
    expect(exit, child.stderr.join('\n')).toEqual({ code: 0, signal: null });
    // Ends by itself after its work and at most one OTLP timeout (10 s) of export retries: once the collector is
    // known down, batches are dropped without new attempts, and the exit flush does not wait for it.
    expect(Date.now() - started).toBeLessThan(18_000);

    const json = child.json();
    const warnings = pipelineLines(json, 'WARN');
    expect(warnings, JSON.stringify(warnings, null, 1)).toHaveLength(1);
    expect(String(warnings[0]?.message)).toContain(`Telemetry export to OTLP collector http://127.0.0.1:${closedPort}`);
    expect(json.filter((line) => line.level === 'ERROR')).toEqual([]);

    const memory = json.find((line) => line.probe === 'memory') as
      | { spans: number; warmHeap: number; endHeap: number }
      | undefined;
    expect(memory).toBeDefined();
    // Tens of thousands of spans went nowhere; the bounded queues kept the heap flat.
    expect(memory?.spans).toBeGreaterThan(20_000);
    expect((memory?.endHeap ?? Infinity) - (memory?.warmHeap ?? 0)).toBeLessThan(20 * 1024 * 1024);
    expect(child.json().filter((line) => line.message === 'flood progress').length).toBe(
      Math.floor((memory?.spans ?? 0) / 100),
    );
  });
});

describe('an outage that ends', () => {
  it('gives one warning when exports start failing and one info line when they recover', async () => {
    receiver = await startOtlpReceiver({
      protocol: 'http/protobuf',
      fault: { kind: 'status', httpStatus: 500, grpcCode: 13 },
    });
    const child = spawnNode(FLOOD, {
      env: {
        AUTOTELEMETRY_ENVIRONMENT: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
        AUTOTELEMETRY_RUNTIME_METRICS: 'false',
        // Long enough for the probe that follows the failure (PROBE_INTERVAL_MS later).
        FIXTURE_RUN_MS: '7000',
      },
    });
    await receiver.waitForRequests('traces', 1);
    expect(receiver.spans).toHaveLength(0);
    receiver.setFault({ kind: 'none' });
    await receiver.waitForSpans(1);
    // While down, batches were dropped without attempts: one probe, not one request per batch.
    expect(receiver.requests.traces + receiver.requests.logs).toBeLessThan(10);
    expect((await child.exited).code).toBe(0);

    const json = child.json();
    const warnings = pipelineLines(json, 'WARN').map((line) => String(line.message));
    expect(warnings.filter((message) => message.startsWith('Telemetry export'))).toHaveLength(1);
    expect(warnings[0]).toContain('failed: Internal Server Error (500)');
    // The flood outruns any exporter; the only other warning allowed is the (once-only) full-queue one.
    expect(warnings.filter((message) => !message.startsWith('Telemetry export'))).toEqual(
      warnings.length > 1
        ? [
            expect.stringMatching(
              /^OpenTelemetry warning: Dropped # spans because maxQueueSize reached$|Dropped \d+ spans/,
            ),
          ]
        : [],
    );
    const recovered = pipelineLines(json, 'INFO').filter((line) => String(line.message).includes('recovered'));
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.data).toMatchObject({ dropped_items: expect.any(Number) });
    expect((recovered[0]?.data as { dropped_items: number } | undefined)?.dropped_items).toBeGreaterThan(0);
    expect(receiver.decodeErrors).toEqual([]);
  });
});

describe('ResilientExporter', () => {
  function harness(inner: { export(items: string[], cb: (result: ExportResult) => void): void }): {
    exporter: ResilientExporter<string[]>;
    health: ExportHealth;
    lines: string[];
    clock: { now: number };
  } {
    const lines: string[] = [];
    const notices = createNotices();
    notices.setSink({ warn: (m) => lines.push(`WARN ${m}`), info: (m) => lines.push(`INFO ${m}`) });
    const clock = { now: 1_000_000 };
    const health = new ExportHealth('test collector', notices, () => clock.now);
    const exporter = new ResilientExporter(
      'traces',
      async () => ({ ...inner, shutdown: async () => {} }),
      health,
      (items: string[]) => items.length,
    );
    return { exporter, health, lines, clock };
  }

  function exportOnce(exporter: ResilientExporter<string[]>, items: string[]): Promise<ExportResult> {
    return new Promise((resolve) => exporter.export(items, resolve));
  }

  it('turns throwing and failing exports into counted drops with one warning, never a rejection', async () => {
    let mode: 'throw' | 'fail' | 'ok' = 'throw';
    let attempts = 0;
    const { exporter, health, lines, clock } = harness({
      export(_items, cb) {
        attempts++;
        if (mode === 'throw') throw new Error('boom');
        cb(
          mode === 'fail'
            ? { code: ExportResultCode.FAILED, error: new Error('nope') }
            : { code: ExportResultCode.SUCCESS },
        );
      },
    });
    expect((await exportOnce(exporter, ['a', 'b'])).code).toBe(ExportResultCode.SUCCESS);
    mode = 'fail';
    // While down, batches are dropped without an attempt...
    for (let i = 0; i < 20; i++) await exportOnce(exporter, ['c']);
    expect(attempts).toBe(1);
    // ...except one probe per interval.
    clock.now += PROBE_INTERVAL_MS;
    await exportOnce(exporter, ['c']);
    await exportOnce(exporter, ['c']);
    expect(attempts).toBe(2);
    expect(health.snapshot()).toEqual({ down: true, outages: 1, dropped: { traces: 24, metrics: 0, logs: 0 } });
    mode = 'ok';
    clock.now += PROBE_INTERVAL_MS;
    await exportOnce(exporter, ['d']);
    expect(health.isDown).toBe(false);
    // Recovered once it answered for RECOVERY_CONFIRM_MS without failing.
    clock.now += RECOVERY_CONFIRM_MS;
    await exportOnce(exporter, ['d']);
    mode = 'fail';
    await exportOnce(exporter, ['e']);
    expect(attempts).toBe(5);
    expect(lines).toEqual([
      'WARN Telemetry export to test collector failed: boom. The application keeps running; telemetry is dropped until the collector answers again (reported once per outage).',
      'INFO Telemetry export to test collector recovered.',
      'WARN Telemetry export to test collector failed: nope. The application keeps running; telemetry is dropped until the collector answers again (reported once per outage).',
    ]);
    expect(health.snapshot().outages).toBe(2);
    await exporter.shutdown();
    expect((await exportOnce(exporter, ['late'])).code).toBe(ExportResultCode.FAILED);
  });

  it('reports an exporter module that cannot load once, and drops what it was given', async () => {
    const lines: string[] = [];
    const notices = createNotices();
    notices.setSink({ warn: (m) => lines.push(m), info: (m) => lines.push(m) });
    const health = new ExportHealth('nowhere', notices);
    const exporter = new ResilientExporter<string[]>(
      'logs',
      () => Promise.reject(new Error('Cannot find module')),
      health,
      (items) => items.length,
    );
    await exportOnce(exporter, ['a']);
    await exportOnce(exporter, ['b', 'c']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('cannot load the exporter');
    expect(health.snapshot().dropped.logs).toBe(3);
  });
});

describe('compact console span exporter', () => {
  it('writes one line per span with name, duration, status, ids and attributes', async () => {
    const written: string[] = [];
    const exporter = new CompactConsoleSpanExporter({ write: (chunk: string) => written.push(chunk) });
    const spans: Parameters<typeof exporter.export>[0] = [];
    const provider = new TracerProvider({
      spanProcessors: [
        {
          onStart: () => {},
          onEnd: (span) => spans.push(span),
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
    });
    const tracer = provider.getTracer('t');
    const parent = tracer.startSpan('orders.import', { attributes: { rows: 150 } });
    const child = tracer.startSpan(
      'GET',
      { kind: SpanKind.CLIENT, attributes: { 'url.full': 'http://x/y z' } },
      trace.setSpan(context.active(), parent),
    );
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
    child.end();
    parent.end();
    exporter.export(spans, () => {});
    const lines = written.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    const [clientLine, parentLine] = lines;
    expect(clientLine).toMatch(
      new RegExp(
        `^span GET \\d+\\.\\dms ERROR\\(timeout\\) CLIENT trace_id=${parent.spanContext().traceId} span_id=${child.spanContext().spanId} parent_id=${parent.spanContext().spanId} url\\.full="http://x/y z"$`,
      ),
    );
    expect(parentLine).toMatch(
      /^span orders\.import \d+\.\dms UNSET trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16} rows=150$/,
    );
    expect(formatSpanLine(spans[1] as (typeof spans)[number])).toBe(parentLine);
  });
});

describe('Zipkin export', () => {
  it('sends spans as Zipkin JSON to the configured endpoint', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        bodies.push({ path: req.url, spans: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = startTelemetry({
        serviceName: 'zipkin.test',
        environment: 'test',
        traceExporter: 'zipkin',
        zipkinEndpoint: `http://127.0.0.1:${port}/api/v2/spans`,
        prometheusPort: false,
        runtimeMetrics: false,
        logDestination: new LogCapture(),
      });
      client
        .getTracer('zipkin')
        .startSpan('orders.import', { attributes: { rows: 3 } })
        .end();
      await client.shutdown();
      expect(bodies).toEqual([
        {
          path: '/api/v2/spans',
          spans: [
            expect.objectContaining({
              name: 'orders.import',
              localEndpoint: { serviceName: 'zipkin.test' },
              tags: expect.objectContaining({ rows: '3' }),
            }),
          ],
        },
      ]);
    } finally {
      server.close();
    }
  });
});
