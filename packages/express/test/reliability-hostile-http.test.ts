/**
 * Hostile HTTP input through a real Express server (real sockets, the real pipeline exporting to memory):
 * malformed and oversized `traceparent`/`tracestate` per W3C Trace Context, huge URLs, invalid
 * percent-encoding, unknown methods, very large headers and 10,000 distinct URLs. Nothing throws (no
 * uncaught error, no lifecycle warning), no span ever continues a bad parent, the metric series stay few,
 * and the heap after a full GC stays flat.
 */
import { once } from 'node:events';
import { Agent, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestTelemetry, type TestTelemetry } from '@autotelemetry/core/testing';
import { context, SpanKind } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autotelemetry } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

let telemetry: TestTelemetry;
let server: Server;
let port: number;
const warnings: Error[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};

beforeAll(async () => {
  process.on('warning', onWarning);
  telemetry = await startTestTelemetry({ serviceName: 'reliability.hostile', logLevel: 'INFO' });
  const app = express();
  app.use(autotelemetry());
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.all('/any', (_req, res) => {
    res.send('ok');
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await telemetry.shutdown();
  process.off('warning', onWarning);
});

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** A request from the test, with its own tracing suppressed (no client span, no injected traceparent). */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]> } = {},
): Promise<number> {
  return context.with(suppressTracing(context.active()), () => {
    return new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
  });
}

/** Writes raw bytes (what no well-behaved client would send) and returns the status line's code. */
function sendRaw(raw: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.write(raw, 'latin1');
  });
}

function serverSpans(): ReadableSpan[] {
  return telemetry.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
}

async function spanFor(path: string): Promise<ReadableSpan> {
  const started = Date.now();
  for (;;) {
    const span = serverSpans().find((s) => s.attributes['url.path'] === path);
    if (span !== undefined) return span;
    if (Date.now() - started > 5000) throw new Error(`no server span for ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Heap after full collections, taken from a fresh macrotask: temporaries of the calling async function (an
 * array of 10,000 spans just filtered, say) can otherwise still be reachable from its frame.
 */
async function heapAfterGc(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The attribute sets of `http.server.request.duration`, as sorted strings. */
async function durationSeries(): Promise<string[]> {
  const metric = (await telemetry.getMetric('http.server.request.duration')) as HistogramMetricData | undefined;
  return (metric?.dataPoints ?? []).map((p) => JSON.stringify(p.attributes)).sort();
}

describe('hostile HTTP input', () => {
  it('never continues a malformed traceparent: each one starts a new trace', async () => {
    const bad: Record<string, string | string[]> = {
      'version ff': `ff-${TRACE_ID}-${PARENT_ID}-01`,
      'all-zero trace id': `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
      'all-zero parent id': `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      'short trace id': `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`,
      'long trace id': `00-${TRACE_ID}a-${PARENT_ID}-01`,
      'short parent id': `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`,
      'one-digit flags': `00-${TRACE_ID}-${PARENT_ID}-1`,
      'one-digit version': `0-${TRACE_ID}-${PARENT_ID}-01`,
      'upper-case trace id': `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`,
      'upper-case parent id': `00-${TRACE_ID}-${PARENT_ID.toUpperCase()}-01`,
      'version 00 with extra fields': `00-${TRACE_ID}-${PARENT_ID}-01-extra`,
      'non-hex characters': `00-${TRACE_ID.slice(0, 30)}zz-${PARENT_ID}-01`,
      'wrong separators': `00_${TRACE_ID}_${PARENT_ID}_01`,
      garbage: 'hello world',
      'only dashes': '---',
      'over 512 characters': `00-${TRACE_ID}-${PARENT_ID}-01${'-x'.repeat(300)}`,
      '8 KB value': 'f'.repeat(8192),
      'two traceparent values': [`00-${TRACE_ID}-${PARENT_ID}-01`, `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`],
    };
    let i = 0;
    for (const [name, traceparent] of Object.entries(bad)) {
      const path = `/items/bad-${i++}`;
      const status = await send(path, { headers: { traceparent, tracestate: 'vendor=value' } });
      expect(status, name).toBe(200);
      const span = await spanFor(path);
      expect(span.parentSpanContext, name).toBeUndefined();
      expect(span.spanContext().traceId, name).not.toBe(TRACE_ID);
      expect(span.spanContext().traceId, name).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanContext().traceState, name).toBeUndefined();
    }
  });

  it('continues a valid traceparent and bounds tracestate per W3C (32 members, 512 characters)', async () => {
    const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;
    const cases: Record<string, string> = {
      valid: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      'too many members': Array.from({ length: 40 }, (_, k) => `v${k}=x${k}`).join(','),
      'over 512 characters': Array.from({ length: 20 }, (_, k) => `k${k}=${'y'.repeat(40)}`).join(','),
      'malformed members': 'UPPER=1,ok=1,=nokey,novalue=,a=b=c,sp ace=1,good@tenant=2',
      'one huge member': `big=${'z'.repeat(600)}`,
    };
    let i = 0;
    for (const [name, tracestate] of Object.entries(cases)) {
      const path = `/items/state-${i++}`;
      expect(await send(path, { headers: { traceparent, tracestate } }), name).toBe(200);
      const span = await spanFor(path);
      expect(span.spanContext().traceId, name).toBe(TRACE_ID);
      expect(span.parentSpanContext?.spanId, name).toBe(PARENT_ID);
      const serialized = span.spanContext().traceState?.serialize() ?? '';
      expect(serialized.length, name).toBeLessThanOrEqual(512);
      expect(serialized === '' ? 0 : serialized.split(',').length, name).toBeLessThanOrEqual(32);
      for (const member of serialized === '' ? [] : serialized.split(',')) {
        expect(member, name).toMatch(
          /^[a-z0-9][a-z0-9_\-*/@]*=[\x20-\x2b\x2d-\x3c\x3e-\x7e]*[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/,
        );
      }
    }
    expect(
      serverSpans()
        .find((s) => s.attributes['url.path'] === '/items/state-0')
        ?.spanContext()
        .traceState?.get('rojo'),
    ).toBe('00f067aa0ba902b7');
  });

  it('answers huge URLs, invalid percent-encoding, unknown methods and very large headers without a throw', async () => {
    // A 12 KB path fits Node's default 16 KB header limit: the app answers it and the span records it.
    const longPath = `/items/${'a'.repeat(12_000)}`;
    expect(await send(longPath)).toBe(200);
    expect((await spanFor(longPath)).name).toBe('GET /items/:id');
    // Past the limit Node answers 431 itself; the app never sees it, and keeps serving.
    expect(await sendRaw(`GET /items/${'b'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toBe(431);

    // Invalid percent-encoding: Express refuses to decode the parameter (400); no span name or metric breaks.
    for (const path of ['/items/%E0%A4%A', '/items/%', '/items/%zz', '/items/%00%ff']) {
      const status = await send(path);
      expect([200, 400], path).toContain(status);
      const span = await spanFor(path);
      expect(span.attributes['http.response.status_code'], path).toBe(status);
    }

    // Methods outside the HTTP semantic conventions' list are `_OTHER`, the original kept aside.
    for (const method of ['PROPFIND', 'PURGE', 'MKCOL', 'SEARCH']) {
      const path = `/any?m=${method}`;
      expect(await send(path, { method }), method).toBe(200);
    }
    const others = serverSpans().filter((s) => s.attributes['http.request.method'] === '_OTHER');
    expect(others.map((s) => s.attributes['http.request.method_original']).sort()).toEqual([
      'MKCOL',
      'PROPFIND',
      'PURGE',
      'SEARCH',
    ]);
    expect(new Set(others.map((s) => s.name))).toEqual(new Set(['_OTHER /any']));
    // A method Node's parser does not know never reaches the app: Node answers 400.
    expect(await sendRaw('FOOBAR /any HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(400);

    // Very large headers: 15 KB of cookie and a 10 KB user agent are accepted; the cookie is never recorded.
    const cookie = `session=${'c'.repeat(15_000)}`;
    expect(await send('/items/big-headers', { headers: { cookie, 'x-filler': 'f'.repeat(500) } })).toBe(200);
    const span = await spanFor('/items/big-headers');
    expect(JSON.stringify(span.attributes)).not.toContain('ccccc');
    expect(await sendRaw(`GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Huge: ${'h'.repeat(20_000)}\r\n\r\n`)).toBe(431);

    // The server still answers normally, and nothing warned or threw on the way.
    expect(await send('/items/after')).toBe(200);
    expect(warnings.filter((w) => String((w as { code?: string }).code).startsWith('AUTOTELEMETRY'))).toEqual([]);
  });

  it('10,000 distinct URLs: few metric series, few span names, flat memory', async () => {
    const run = async (from: number, count: number): Promise<void> => {
      let next = from;
      const worker = async (): Promise<void> => {
        while (next < from + count) {
          const i = next++;
          // Matched routes with distinct ids, unmatched paths (404), and distinct query strings.
          const path = i % 3 === 0 ? `/items/${i}?q=${i}` : i % 3 === 1 ? `/nope/${i}/deeper` : `/x${i}`;
          await send(path);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    };
    // Warm-up: code gets optimised and the bounded caches fill (route entries, key fragments, hosts).
    await run(0, 3000);
    telemetry.reset();
    const seriesBefore = await durationSeries();
    const warmHeap = await heapAfterGc();
    await run(3000, 10_000);
    const spanNames = new Set(serverSpans().map((s) => s.name));
    telemetry.reset();
    const endHeap = await heapAfterGc();
    const seriesAfter = await durationSeries();

    expect(spanNames).toEqual(new Set(['GET /items/:id', 'GET']));
    // The warm-up made every series this traffic can make; 10,000 new URLs add none.
    expect(seriesAfter).toEqual(seriesBefore);
    expect(seriesAfter.filter((key) => key.includes('/items/')).length).toBeGreaterThan(0);
    // 10,000 more requests leave the heap where it was (the spans and log lines captured were reset).
    expect((endHeap - warmHeap) / 1024 / 1024).toBeLessThan(4);
    console.log(
      `10,000 distinct URLs: heap after GC ${(warmHeap / 1048576).toFixed(1)} MB -> ${(endHeap / 1048576).toFixed(1)} MB, ${seriesAfter.length} duration series`,
    );
    // A few seconds on an idle machine; generous for a loaded one.
  }, 120_000);
});
