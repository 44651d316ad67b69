/**
 * The zero-code entry, in real child processes: `--import`/`--require @autotelemetry/node/register` gives an
 * app with no telemetry code spans for its outgoing calls (with `traceparent` sent), a JSON startup line,
 * and log records at the collector — for an ESM app and a CommonJS app.
 */
import { fileURLToPath } from 'node:url';
import { killAllChildren, type OtlpReceiver, spawnNode, startOtlpReceiver } from '@autotelemetry/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const ESM_APP = fileURLToPath(new URL('./fixtures/zero-code-app.mjs', import.meta.url));
const CJS_APP = fileURLToPath(new URL('./fixtures/zero-code-app.cjs', import.meta.url));

let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await killAllChildren();
  await receiver?.close();
  receiver = undefined;
});

const CASES = [
  { name: 'an ESM app with --import', app: ESM_APP, preload: '--import' },
  { name: 'a CommonJS app with --require', app: CJS_APP, preload: '--require' },
  { name: 'a CommonJS app with --import', app: CJS_APP, preload: '--import' },
] as const;

describe.each(CASES)('zero-code: $name', ({ app, preload }) => {
  it('traces outgoing calls, sends traceparent, and writes JSON logs, from environment variables only', async () => {
    receiver = await startOtlpReceiver({ protocol: 'grpc' });
    const child = spawnNode(app, {
      // Resolved from the working directory, as a user's `node --import` would be from their project.
      cwd: PACKAGE_DIR,
      execArgv: [preload, '@autotelemetry/node/register'],
      env: {
        OTEL_SERVICE_NAME: 'zero.code',
        AUTOTELEMETRY_ENVIRONMENT: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
        AUTOTELEMETRY_RUNTIME_METRICS: 'false',
      },
    });
    expect(await child.exited, child.stderr.join('\n')).toEqual({ code: 0, signal: null });

    // The startup line: JSON, the seed's schema, naming what was started.
    const started = child.json().find((line) => line.message === 'AutoTelemetry started');
    expect(started).toMatchObject({
      level: 'INFO',
      logger: 'autotelemetry',
      'service.name': 'zero.code',
      'deployment.environment': 'production',
      data: { service: 'zero.code', traces: 'otlp', otlp: `${receiver.endpoint} (grpc)` },
    });

    // Both outgoing calls (fetch, then http.get) carried a traceparent naming their CLIENT span.
    const traceparents = child.stdout
      .filter((line) => line.startsWith('TRACEPARENT '))
      .map((line) => line.slice('TRACEPARENT '.length));
    expect(traceparents).toHaveLength(2);
    const spans = await receiver.waitForSpans(2);
    expect(spans.map((span) => span.kind)).toEqual([3, 3]);
    for (const [index, header] of traceparents.entries()) {
      const span = spans[index];
      expect(header).toBe(`00-${span?.traceId}-${span?.spanId}-01`);
      expect(span?.resource['service.name']).toBe('zero.code');
      expect(span?.attributes['http.response.status_code']).toBe(200);
    }

    if (app === ESM_APP) expect(child.stdout).toContain('HTTPS_PATCHED true');

    // The startup line also went out as an OTLP log record.
    const records = await receiver.waitForLogs(1, (record) => record.body === 'AutoTelemetry started');
    expect(records[0]?.resource['service.name']).toBe('zero.code');
  });
});

describe('zero-code configuration errors', () => {
  it('stops the process with an error naming the bad variable', async () => {
    const child = spawnNode(ESM_APP, {
      cwd: PACKAGE_DIR,
      execArgv: ['--import', '@autotelemetry/node/register'],
      env: { OTEL_SERVICE_NAME: 'zero.code', AUTOTELEMETRY_PROMETHEUS_PORT: '99999' },
    });
    const exit = await child.exited;
    expect(exit.code).not.toBe(0);
    expect(child.stderr.join('\n')).toContain('prometheusPort');
    expect(child.stdout.filter((line) => line.startsWith('TRACEPARENT'))).toEqual([]);
  });
});
