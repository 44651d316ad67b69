/**
 * The telemetry viewer in a real browser (Debian's Chromium, installed by scripts/ensure-chromium.sh and
 * driven by playwright-core): the Express demo runs as its own process in development, the tour's requests
 * go to it, and the viewer shows the failing request with ERROR, its waterfall (SERVER span, the traced()
 * renderer, the outgoing CLIENT call), its log lines with the same trace id, and a metric chart that moves.
 * In production the same demo serves no viewer. A screenshot is kept in test-artifacts/viewer.png.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTour, TOUR } from '../src/tour.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ARTIFACTS = `${ROOT}test-artifacts`;
const CHROMIUM = '/usr/bin/chromium';
/** The viewer's port in development when AUTOTELEMETRY_VIEWER_PORT is not set. */
const DEFAULT_VIEWER_PORT = 8001;

/** Listens on `port` (0: any) on loopback and closes; resolves with the port, or undefined when it is taken. */
async function tryListen(port: number): Promise<number | undefined> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!bound) return undefined;
  const address = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return address.port;
}

async function freePort(): Promise<number> {
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free port on 127.0.0.1');
  return port;
}

/**
 * The TCP ports process `pid` listens on, from /proc (its socket inodes matched against the kernel's
 * tables); undefined where /proc cannot tell (not Linux).
 */
function listeningPorts(pid: number): number[] | undefined {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
        if (match) inodes.add(match[1] as string);
      } catch {
        // The descriptor closed while listing.
      }
    }
    const ports = new Set<number>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text: string;
      try {
        text = readFileSync(table, 'utf8');
      } catch {
        continue;
      }
      for (const row of text.split('\n').slice(1)) {
        const fields = row.trim().split(/\s+/);
        // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
        if (fields[3] === '0A' && inodes.has(fields[9] as string)) {
          ports.add(Number.parseInt((fields[1] as string).split(':')[1] as string, 16));
        }
      }
    }
    return [...ports].sort((a, b) => a - b);
  } catch {
    return undefined;
  }
}

interface Demo {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

function startDemo(env: NodeJS.ProcessEnv): Demo {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const append = (chunk: Buffer): void => {
    text += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => text,
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = text.match(pattern);
        if (match) return match;
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the demo did not print ${pattern} (exit ${child.exitCode}):\n${text}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

let browser: BrowserContext | undefined;
let profile: string | undefined;

beforeAll(async () => {
  const ensured = spawnSync('sh', [`${ROOT}scripts/ensure-chromium.sh`], { encoding: 'utf8', timeout: 600_000 });
  if (ensured.status !== 0) {
    throw new Error(`scripts/ensure-chromium.sh failed (${ensured.status ?? ensured.signal}): ${ensured.stderr}`);
  }
  // A fresh profile: Playwright takes it as the persistent context's folder and passes --user-data-dir itself.
  profile = mkdtempSync(join(tmpdir(), 'autotelemetry-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 620_000);

afterAll(async () => {
  await browser?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

describe('the telemetry viewer of the Express demo, in Chromium', () => {
  const demos: Demo[] = [];
  afterAll(async () => {
    await Promise.all(demos.map((demo) => demo.stop()));
  });

  it('lists the failing request, opens its waterfall and its log lines, and charts live metrics', async () => {
    const [port, viewerPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];
    const demo = startDemo({
      NODE_ENV: 'development',
      PORT: String(port),
      AUTOTELEMETRY_VIEWER_PORT: String(viewerPort),
      AUTOTELEMETRY_PROMETHEUS_PORT: String(prometheusPort),
    });
    demos.push(demo);
    const [, viewerUrl] = await demo.waitFor(/telemetry viewer: (http:\/\/\S+\/_telemetry\/)/);
    expect(viewerUrl).toBe(`http://127.0.0.1:${viewerPort}/_telemetry/`);
    await demo.waitFor(/listening on/);
    const base = `http://127.0.0.1:${port}`;
    const statuses = await runTour(base);
    const invoice = TOUR.findIndex((step) => step.path === '/api/orders/1000/invoice');
    expect(statuses[invoice]).toBe(500);

    const page: Page = await (browser as BrowserContext).newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.goto(viewerUrl as string);
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 10_000 }).toBe('live');

    // The failing request, listed with ERROR.
    const failing = page.getByTestId('trace-row').filter({ hasText: 'GET /api/orders/:id/invoice' });
    await failing.first().waitFor({ timeout: 10_000 });
    expect(await failing.count()).toBe(1);
    expect(await failing.getAttribute('data-status')).toBe('ERROR');
    expect(await failing.textContent()).toContain('500');
    // Errors first: it is the first row.
    expect(await page.getByTestId('trace-row').first().getAttribute('data-trace-id')).toBe(
      await failing.getAttribute('data-trace-id'),
    );
    const traceId = (await failing.getAttribute('data-trace-id')) as string;

    // Its waterfall: the SERVER span, the traced() renderer under it, the outgoing call under that.
    await failing.click();
    const spans = page.getByTestId('waterfall').getByTestId('span-row');
    const server = spans.and(page.locator('[data-span-kind="SERVER"][data-span-name="GET /api/orders/:id/invoice"]'));
    await server.waitFor({ timeout: 10_000 });
    expect(await server.getAttribute('data-depth')).toBe('0');
    expect(await server.getAttribute('data-status')).toBe('ERROR');
    const renderer = spans.and(page.locator('[data-span-kind="INTERNAL"][data-span-name="billing.render_invoice"]'));
    expect(await renderer.getAttribute('data-depth')).toBe('1');
    const call = spans.and(page.locator('[data-span-kind="CLIENT"]'));
    expect(await call.getAttribute('data-depth')).toBe('2');
    expect(await call.getAttribute('data-status')).toBe('ERROR');
    expect(await call.getAttribute('data-span-name')).toBe('GET');

    // The SERVER span's details: its route and the exception with its stack.
    await server.click();
    const detail = page.getByTestId('span-detail');
    await expect.poll(() => detail.textContent()).toContain('http.route');
    const detailText = (await detail.textContent()) as string;
    expect(detailText).toContain('event exception');
    expect(detailText).toContain('invoice service unavailable for order 1000 (503)');
    expect(await detail.locator('pre').first().textContent()).toMatch(/\n\s+at /);

    // Its log lines: all of this trace, among them the handler's own and the error line.
    const lines = page.getByTestId('trace-logs').getByTestId('log-line');
    await lines.filter({ hasText: 'rendering invoice' }).waitFor({ timeout: 10_000 });
    const lineTraceIds = await lines.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-trace-id')));
    expect(lineTraceIds.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lineTraceIds)).toEqual(new Set([traceId]));
    expect(await lines.and(page.locator('[data-level="ERROR"]')).count()).toBeGreaterThanOrEqual(1);

    // A chart that moves: the request rate, sampled every second, shows the next requests.
    const charts = page.getByTestId('metric-chart');
    expect(await charts.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-metric')))).toEqual(
      expect.arrayContaining([
        'http.server.request.rate',
        'http.server.request.duration.p50',
        'http.server.request.duration.p99',
        'nodejs.eventloop.delay.p99',
        'v8js.memory.heap.used',
      ]),
    );
    const rate = charts.and(page.locator('[data-metric="http.server.request.rate"]'));
    const samplesBefore = Number(await rate.getAttribute('data-samples'));
    const load = (async () => {
      for (let i = 0; i < 40; i++) {
        await (await fetch(`${base}/api/catalog/products`)).arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await expect
      .poll(
        async () => {
          const samples = Number(await rate.getAttribute('data-samples'));
          const last = Number(await rate.getAttribute('data-last'));
          return samples > samplesBefore && last > 0;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(true);
    await load;
    expect(await rate.locator('polyline').getAttribute('points')).not.toBe('');
    // The new requests are listed too, live, without a reload.
    await expect
      .poll(() => page.getByTestId('trace-row').filter({ hasText: 'GET /api/catalog/products' }).count())
      .toBeGreaterThan(10);

    // The waterfall is still open for the screenshot.
    await server.waitFor({ timeout: 10_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/viewer.png`, fullPage: true });

    const origin = new URL(viewerUrl as string).origin;
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('serves no viewer in production', async () => {
    const port = await freePort();
    // 8001, the development default, tells something only when nothing held it before the demo started.
    const defaultWasFree = (await tryListen(DEFAULT_VIEWER_PORT)) !== undefined;
    const demo = startDemo({
      NODE_ENV: 'production',
      PORT: String(port),
      OTEL_TRACES_EXPORTER: 'none',
      AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
    });
    demos.push(demo);
    await demo.waitFor(/listening on/);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(demo.output()).not.toContain('telemetry viewer');
    expect(demo.output()).not.toContain('/_telemetry/');
    if (defaultWasFree) {
      const ports = listeningPorts(demo.child.pid as number);
      if (ports !== undefined) {
        // Its only listener is the service itself (another test file may hold 8001 by now; not this child).
        expect(ports).toEqual([port]);
      } else {
        const probe = await fetch(`http://127.0.0.1:${DEFAULT_VIEWER_PORT}/_telemetry/`).then(
          (response) => response.status,
          () => 'refused',
        );
        expect(probe).toBe('refused');
      }
    }
  }, 30_000);
});
