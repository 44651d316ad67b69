/**
 * Reliability at exit, in real child processes against a real OTLP receiver: whatever way the process ends —
 * SIGTERM, SIGINT, the event loop running dry, `process.exit()` called by the app, an uncaught exception,
 * an unhandled rejection, an app with its own `uncaughtException` handler — every span already ended and
 * every log line already written reaches the collector (and stdout), and the process ends exactly as Node
 * would have ended it without AutoTelemetry (same exit code or signal, same stderr).
 *
 * 600 spans are ended before each exit: above the batch size (512), so one batch is in flight at the moment
 * of the exit and the rest still queued — both must arrive.
 */
import { fileURLToPath } from 'node:url';
import {
  type ChildExit,
  killAllChildren,
  type NodeProcess,
  type OtlpReceiver,
  spawnNode,
  startOtlpReceiver,
  type Transport,
} from '@autotelemetry/test-utils';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./fixtures/reliability-exit.mjs', import.meta.url));
const WORK_SPANS = 600;

let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await killAllChildren();
  await receiver?.close();
  receiver = undefined;
});

/** Sent vs received per exit path, printed at the end (the README quotes them). */
const figures: Record<string, unknown>[] = [];
afterAll(() => {
  if (figures.length > 0) console.log(`exit figures:\n${figures.map((f) => JSON.stringify(f)).join('\n')}`);
});

interface ExitPath {
  /** What the test calls it. */
  readonly label: string;
  /** FIXTURE_EXIT of the app. */
  readonly mode: string;
  /** Signal the test sends once the app is READY. */
  readonly signal?: NodeJS.Signals;
  readonly protocol: Transport;
  /** How Node ends the process. */
  readonly expected: ChildExit;
  /** Whether the app dies of an exception thrown inside the span `fixture.crash`. */
  readonly crash?: 'Uncaught exception' | 'Unhandled promise rejection';
}

const PATHS: readonly ExitPath[] = [
  {
    label: 'SIGTERM',
    mode: 'signal',
    signal: 'SIGTERM',
    protocol: 'grpc',
    expected: { code: null, signal: 'SIGTERM' },
  },
  { label: 'SIGINT', mode: 'signal', signal: 'SIGINT', protocol: 'grpc', expected: { code: null, signal: 'SIGINT' } },
  { label: 'normal exit', mode: 'natural', protocol: 'grpc', expected: { code: 0, signal: null } },
  { label: 'process.exit(3)', mode: 'process-exit', protocol: 'grpc', expected: { code: 3, signal: null } },
  { label: 'process.exit(3)', mode: 'process-exit', protocol: 'http/protobuf', expected: { code: 3, signal: null } },
  {
    label: 'uncaught exception',
    mode: 'uncaught',
    protocol: 'grpc',
    expected: { code: 1, signal: null },
    crash: 'Uncaught exception',
  },
  {
    label: 'unhandled rejection',
    mode: 'rejection',
    protocol: 'http/protobuf',
    expected: { code: 1, signal: null },
    crash: 'Unhandled promise rejection',
  },
  {
    label: "uncaught exception, app's own handler exits 4",
    mode: 'uncaught-handled',
    protocol: 'grpc',
    expected: { code: 4, signal: null },
  },
];

function run(mode: string, env: Record<string, string>): NodeProcess {
  return spawnNode(APP, {
    env: {
      AUTOTELEMETRY_ENVIRONMENT: 'production',
      AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
      AUTOTELEMETRY_RUNTIME_METRICS: 'false',
      FIXTURE_SPANS: String(WORK_SPANS),
      FIXTURE_EXIT: mode,
      ...env,
    },
  });
}

/** Stderr's non-empty lines (Node's crash report). */
function nodeCrashReport(lines: readonly string[]): string[] {
  return lines.filter((line) => line.trim() !== '');
}

describe('every exit path delivers what already ended', () => {
  it.each(PATHS)('$label over $protocol', async (path) => {
    receiver = await startOtlpReceiver({ protocol: path.protocol });
    const child = run(path.mode, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: path.protocol,
    });
    if (path.signal !== undefined) {
      await child.waitForLine('READY');
      child.kill(path.signal);
    }
    const exit = await child.exited;
    expect(exit, child.stderr.join('\n')).toEqual(path.expected);

    // The child is gone: whatever is not at the receiver now was lost.
    const work = receiver.spans.filter((s) => s.name === 'fixture.work');
    const workIds = new Set(work.map((s) => s.spanId));
    const workLogs = receiver.logs.filter((r) => r.body === 'work done');
    const workLogIndexes = new Set(workLogs.map((r) => r.attributes.index));
    const stdoutWork = child.json().filter((line) => line.message === 'work done');
    figures.push({
      path: `${path.label} (${path.protocol})`,
      exit: path.expected.signal ?? path.expected.code,
      spans_sent: WORK_SPANS + 1,
      spans_received: work.length + receiver.spans.filter((s) => s.name === 'fixture.batch').length,
      spans_distinct: workIds.size + 1,
      log_records_sent: WORK_SPANS,
      log_records_received: workLogs.length,
      stdout_lines: stdoutWork.length,
    });
    expect(workIds.size).toBe(WORK_SPANS);
    expect(receiver.spans.filter((s) => s.name === 'fixture.batch')).toHaveLength(1);
    expect(workLogIndexes.size).toBe(WORK_SPANS);
    expect(stdoutWork).toHaveLength(WORK_SPANS);
    expect(receiver.decodeErrors).toEqual([]);
  });
});

describe('an uncaught exception or unhandled rejection', () => {
  it.each(PATHS.filter((p) => p.crash !== undefined))(
    '$label: one FATAL line with the span it happened in, that span exported, and Node ends the process as it would',
    async (path) => {
      receiver = await startOtlpReceiver({ protocol: path.protocol });
      const withTelemetry = run(path.mode, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: path.protocol,
      });
      // The same app without AutoTelemetry: what Node does by itself.
      const bare = run(path.mode, { FIXTURE_TELEMETRY: 'off' });
      const [exit, bareExit] = await Promise.all([withTelemetry.exited, bare.exited]);
      expect(exit).toEqual(bareExit);
      expect(exit).toEqual({ code: 1, signal: null });
      // Node's own report on stderr (source line, caret, stack, version), unchanged by the library.
      expect(nodeCrashReport(withTelemetry.stderr)).toEqual(nodeCrashReport(bare.stderr));
      expect(withTelemetry.stderr.join('\n')).toMatch(/^Error: fixture (crash|rejection)$/m);

      const json = withTelemetry.json();
      const crashSpan = json.find((line) => line.crash_span !== undefined)?.crash_span as {
        traceId: string;
        spanId: string;
      };
      const fatal = json.filter((line) => line.level === 'FATAL');
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatchObject({
        logger: 'process',
        message: `${path.crash}: fixture ${path.mode === 'rejection' ? 'rejection' : 'crash'}`,
        trace_id: crashSpan.traceId,
        span_id: crashSpan.spanId,
        error: { type: 'Error', message: expect.stringMatching(/^fixture /) },
      });
      // The FATAL line is the process's last line on stdout.
      expect(withTelemetry.stdout.at(-1)).toContain('"level":"FATAL"');

      const exported = receiver.spans.find((s) => s.name === 'fixture.crash');
      expect(exported).toMatchObject({ traceId: crashSpan.traceId, spanId: crashSpan.spanId, status: { code: 2 } });
      expect(exported?.events.filter((e) => e.name === 'exception')).toHaveLength(1);
      const fatalRecord = receiver.logs.find((r) => r.severityText === 'FATAL');
      expect(fatalRecord).toMatchObject({ traceId: crashSpan.traceId, spanId: crashSpan.spanId });
    },
  );

  it("leaves the exception to the app's own uncaughtException handler (no FATAL line, its exit code)", async () => {
    receiver = await startOtlpReceiver({ protocol: 'grpc' });
    const child = run('uncaught-handled', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(await child.exited).toEqual({ code: 4, signal: null });
    const json = child.json();
    expect(json.filter((line) => line.level === 'FATAL')).toEqual([]);
    expect(json.filter((line) => line.message === 'app handler caught')).toHaveLength(1);
    expect(child.stderr.join('\n')).not.toContain('fixture crash');
    // The app's own last line left the process too (it was written in the handler, then process.exit()).
    expect(receiver.logs.filter((r) => r.body === 'app handler caught')).toHaveLength(1);
  });
});

describe('exit while the collector is down', () => {
  it('does not hold the exit: process.exit() with a closed collector port ends at once', async () => {
    receiver = await startOtlpReceiver({ protocol: 'grpc' });
    const endpoint = receiver.endpoint;
    await receiver.stop();
    const started = Date.now();
    const child = run('process-exit', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    expect(await child.exited).toEqual({ code: 3, signal: null });
    // Start-up plus at most the bounded exit export (2 s); never an OTLP timeout (10 s).
    expect(Date.now() - started).toBeLessThan(6000);
    expect(child.json().filter((line) => line.message === 'work done')).toHaveLength(WORK_SPANS);
  });
});

describe('a request answered just before process.exit()', () => {
  it("delivers its span, access line and log record, timed at the response's end", async () => {
    receiver = await startOtlpReceiver({ protocol: 'http/protobuf' });
    const child = spawnNode(fileURLToPath(new URL('./fixtures/request-then-exit.mjs', import.meta.url)), {
      env: {
        AUTOTELEMETRY_ENVIRONMENT: 'production',
        AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
        AUTOTELEMETRY_RUNTIME_METRICS: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        FIXTURE_BLOCK_MS: '40',
      },
    });
    const port = Number((await child.waitForLine(/^PORT \d+$/)).split(' ')[1]);
    const response = await fetch(`http://127.0.0.1:${port}/orders/7`);
    expect(await response.text()).toBe('ok');
    const exit = await child.exited;
    expect(exit, child.stderr.join('\n')).toEqual({ code: 5, signal: null });

    const [span, ...others] = receiver.spans.filter((s) => s.kind === 2);
    expect(others).toEqual([]);
    expect(span?.name).toBe('GET /orders/:id');
    expect(span?.attributes['http.response.status_code']).toBe(200);
    const records = receiver.logs.filter((r) => r.attributes['logger.name'] === 'http');
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record?.body).toMatch(/^GET \/orders\/7 200 [\d.]+ ms$/);
    expect(record?.attributes).toMatchObject({ method: 'GET', route: '/orders/:id', path: '/orders/7', status: 200 });
    expect(record?.spanId).toBe(span?.spanId);
    // The record tells of the response's end, not of the exit that wrote it 40 ms later.
    const endMs = Number((span?.endTimeUnixNano ?? 0n) / 1_000_000n);
    const recordMs = Number((record?.timeUnixNano ?? 0n) / 1_000_000n);
    const observedMs = Number((record?.observedTimeUnixNano ?? 0n) / 1_000_000n);
    expect(Math.abs(recordMs - endMs)).toBeLessThanOrEqual(2);
    expect(observedMs - endMs).toBeGreaterThanOrEqual(35);

    const line = child.json().find((l) => l.logger === 'http');
    expect(line).toMatchObject({ message: record?.body, span_id: span?.spanId, data: { route: '/orders/:id' } });
    expect(Math.abs(Date.parse(String(line?.timestamp)) - endMs)).toBeLessThanOrEqual(2);
    expect(receiver.decodeErrors).toEqual([]);
  });
});
