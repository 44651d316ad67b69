/**
 * Reliability through every adapter, not just the core: each adapter's fixture app runs as a child process
 * (production environment, OTLP to a real receiver, `/metrics` on) and gets
 *
 * - hostile log data through the framework's own request logger (`req.log` in Express, `request.log` in
 *   Fastify, Nest's `Logger`): circular, BigInt, throwing getters and `toJSON`, a Proxy, a 5 MB string,
 *   control characters, 10,000 levels of nesting, 100,000 keys, lone surrogates — one valid JSON line each,
 *   its message kept, and one OTLP log record each;
 * - malformed `traceparent` headers: answered, and never continued;
 * - a secret in every place (query, `authorization`/`cookie`/`x-api-key`/`proxy-authorization` headers, a
 *   `set-cookie` answer, log data and context, span and event attributes, a metric attribute, a key added to
 *   the redaction list): it appears in no exported span, metric or log record, no `/metrics` line and no
 *   output line — while the redaction markers show each place was reached.
 *
 * Adding an adapter is one entry in `ADAPTER_APPS` (adapter-apps.ts) and one fixture app with the same routes.
 */
import { randomBytes } from 'node:crypto';
import { get as httpGet, request } from 'node:http';
import {
  freePort,
  killAllChildren,
  type NodeProcess,
  type OtlpReceiver,
  spawnNode,
  startOtlpReceiver,
} from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTER_APPS } from './adapter-apps.js';
import { EXTRA_REDACTED_KEY, HOSTILE_PAYLOADS, hostileMessage } from './fixtures/reliability-routes.mjs';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

function call(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** Everything the receiver decoded, as text (BigInt times as strings). */
function receivedText(receiver: OtlpReceiver): string {
  return JSON.stringify({ spans: receiver.spans, metrics: receiver.metrics, logs: receiver.logs }, (_key, value) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

afterAll(async () => {
  await killAllChildren();
});

describe.each(ADAPTER_APPS)('$name adapter', (adapter) => {
  const secret = `s3cr3t-${randomBytes(12).toString('hex')}`;
  let receiver: OtlpReceiver;
  let app: NodeProcess;
  let port: number;
  let metricsPort: number;

  beforeAll(async () => {
    receiver = await startOtlpReceiver({ protocol: 'grpc' });
    metricsPort = await freePort();
    app = spawnNode(adapter.app, {
      env: {
        AUTOTELEMETRY_ENVIRONMENT: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        AUTOTELEMETRY_PROMETHEUS_PORT: String(metricsPort),
        AUTOTELEMETRY_RUNTIME_METRICS: 'false',
        FIXTURE_SECRET: secret,
      },
    });
    port = Number((await app.waitForLine(/^READY \d+$/)).split(' ')[1]);
  });

  afterAll(async () => {
    app.kill('SIGKILL');
    await app.exited;
    await receiver.close();
  });

  it('writes one valid JSON line per hostile payload through the request logger, message kept', async () => {
    const names = Object.keys(HOSTILE_PAYLOADS);
    for (const name of names) {
      expect((await call(port, `/hostile-log/${name}`)).status, name).toBe(200);
    }
    for (const name of names) {
      const message = hostileMessage(name);
      await app.waitForLine((line) => line.includes(`"message":"${message}"`), { timeoutMs: 10_000 });
      const lines = app.stdout.filter((line) => line.includes(`"message":"${message}"`));
      expect(lines, name).toHaveLength(1);
      const line = lines[0] as string;
      // One line: nothing the payload contained split it, and its size is bounded.
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed.message, name).toBe(message);
      expect(parsed.level, name).toBe('INFO');
      expect(parsed.trace_id, name).toMatch(/^[0-9a-f]{32}$/);
      expect(line.length, name).toBeLessThan(400_000);
    }
    const records = await receiver.waitForLogs(names.length, (r) => String(r.body).startsWith('hostile '), {
      timeoutMs: 10_000,
    });
    expect(records.map((r) => r.body).sort()).toEqual(names.map(hostileMessage).sort());
    // The app is still fine.
    expect((await call(port, '/items/1')).status).toBe(200);
  });

  it('never continues a malformed traceparent', async () => {
    const bad = [
      `ff-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`,
      `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-01-extra`,
      'x'.repeat(600),
    ];
    for (const [i, traceparent] of bad.entries()) {
      expect((await call(port, `/items/tp-${i}`, { traceparent, tracestate: 'a=b' })).status).toBe(200);
    }
    const spans = await receiver.waitForSpans(
      bad.length,
      (s) => String(s.attributes['url.path']).startsWith('/items/tp-'),
      { timeoutMs: 10_000 },
    );
    for (const span of spans) {
      expect(span.parentSpanId).toBe('');
      expect(span.traceId).not.toBe(TRACE_ID);
      expect(span.traceState).toBe('');
    }
  });

  it('lets a secret sent or handled in every place reach no exported signal and no output line', async () => {
    const response = await call(port, `/secret?token=${secret}&access_token=${secret}&api_key=${secret}&q=visible`, {
      authorization: `Bearer ${secret}`,
      cookie: `sid=${secret}`,
      'x-api-key': secret,
      'proxy-authorization': `Basic ${secret}`,
      'user-agent': 'reliability-test',
    });
    expect(response.status).toBe(200);
    // The app did hand the secret to the client: only telemetry must not keep it.
    expect(String(response.headers['set-cookie'])).toContain(secret);

    const [span] = await receiver.waitForSpans(1, (s) => s.attributes['url.path'] === '/secret', {
      timeoutMs: 10_000,
    });
    await receiver.waitForLogs(2, (r) => r.body === 'secret handled' || r.body === 'secret in context', {
      timeoutMs: 10_000,
    });
    const metric = await receiver.waitForMetric('app.secret.uses', undefined, { timeoutMs: 10_000 });
    const scraped = await scrape(metricsPort);
    // Flush and end the app, so that whatever it still held is out too.
    app.kill('SIGTERM');
    await app.exited;

    // Each place was reached, and masked.
    expect(span?.attributes['url.query']).toBe('token=REDACTED&access_token=REDACTED&api_key=REDACTED&q=visible');
    expect(span?.attributes['app.token']).toBe('[REDACTED]');
    expect(span?.attributes.password).toBe('[REDACTED]');
    expect(span?.attributes[`app.${EXTRA_REDACTED_KEY}`]).toBe('[REDACTED]');
    expect(span?.events.find((e) => e.name === 'login')?.attributes).toEqual({
      'user.password': '[REDACTED]',
      'user.name': 'ada',
    });
    expect(
      metric.points.some((p) => p.attributes.api_key === '[REDACTED]' && p.attributes['app.kind'] === 'login'),
    ).toBe(true);
    const lines = app.json();
    const handled = lines.find((l) => l.message === 'secret handled');
    expect(handled?.data).toMatchObject({
      password: '[REDACTED]',
      nested: { token: '[REDACTED]', passwd: '[REDACTED]' },
      api_key: '[REDACTED]',
      [EXTRA_REDACTED_KEY]: '[REDACTED]',
      harmless: 'visible',
    });
    expect(lines.find((l) => l.message === 'secret in context')?.context).toMatchObject({
      secret: '[REDACTED]',
      harmless_context: 'visible',
    });
    expect(scraped).toContain('app_secret_uses');

    // And the secret itself is nowhere.
    expect(receivedText(receiver)).not.toContain(secret);
    expect(scraped).not.toContain(secret);
    expect(app.stdout.join('\n')).not.toContain(secret);
    expect(app.stderr.join('\n')).not.toContain(secret);
  });
});
