/**
 * Every log line of a production app is JSON and carries the trace ids: an Express app in its own process
 * (environment production, OTLP pointed at a port where nothing listens) with its own pino and winston
 * loggers — the libraries loaded and the loggers made before telemetry starts or after, from CJS or from ESM
 * without a loader flag — and console calls from the app and from a library, inside a request and outside
 * any. Every stdout and stderr line must parse; lines written in a request carry its SERVER span's
 * `trace_id`/`span_id` (the trace continued from the `traceparent` sent), lines outside carry none; the
 * app's pino and winston lines keep their own shape; hostile values neither crash the app nor lose the message.
 */
import {
  type ChildExit,
  type DumpedSpan,
  freePort,
  httpCall,
  killAllChildren,
  type NodeProcess,
  startFixtureApp,
} from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUMPED, fixture, loadVariants } from './fixture-runs.js';

const { SERVER } = DUMPED;

afterAll(() => killAllChildren());

const VARIANTS = loadVariants('logs-');

type Line = Record<string, unknown>;

/** The message of a line, whichever logger wrote it (pino's `msg`, the others' `message`). */
const messageOf = (line: Line): string => String(line.msg ?? line.message ?? '');

/** The console lines, in call order: tag, level, how the message starts. */
function consoleCalls(where: string): Array<[string, string, (message: string) => boolean]> {
  return [
    ['console.log', 'INFO', (m) => m === `console-log ${where} { order: 7 }`],
    ['console.info', 'INFO', (m) => m === `console-info ${where}`],
    ['console.debug', 'DEBUG', (m) => m === `console-debug ${where}`],
    ['console.warn', 'WARN', (m) => m === `console-warn ${where}`],
    ['console.error', 'ERROR', (m) => m.startsWith(`console-error ${where} Error: failed ${where}\n    at `)],
    ['console.trace', 'TRACE', (m) => m.startsWith(`Trace: console-trace ${where}\n    at writeLines `)],
    ['console.dir', 'INFO', (m) => m === `{ tag: 'console-dir ${where}', nested: { deep: { deeper: [Object] } } }`],
    ['library console.log', 'INFO', (m) => m === `[chatty-lib] working ${where}`],
    ['library console.warn', 'WARN', (m) => m === `[chatty-lib] deprecated call ${where}`],
  ];
}

const CONSOLE_KEYS = [
  'timestamp',
  'level',
  'logger',
  'message',
  'service.name',
  'service.version',
  'deployment.environment',
];

describe.each(VARIANTS)('%s (pino and winston loaded %s telemetry starts)', (script, order) => {
  let proc: NodeProcess;
  let lines: Line[] = [];
  let notJson: string[] = [];
  let spans: DumpedSpan[] = [];
  let answers: number[] = [];
  let exit: ChildExit | undefined;
  const whens = order === 'before' ? ['before', 'after'] : ['after'];
  const incoming = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7' };

  beforeAll(async () => {
    ({ proc } = await startFixtureApp(fixture(script), { ORDER: order, DEAD_PORT: String(await freePort()) }));
    const port = Number((proc.json().find((l) => l.event === 'listening') as { port: number }).port);
    const traceparent = `00-${incoming.traceId}-${incoming.parentId}-01`;
    answers = [
      (await httpCall(port, '/work', { headers: { traceparent } })).status,
      (await httpCall(port, '/hostile')).status,
    ];
    spans = JSON.parse((await httpCall(port, '/__spans')).body) as DumpedSpan[];
    // pino writes through its own asynchronous destination: wait for its last lines before stopping.
    await proc.waitForLine((l) => l.includes('pino-child-after inside'), { timeoutMs: 10_000 });
    await proc.waitForLine((l) => l.includes('pino-after inside bell'), { timeoutMs: 10_000 });
    proc.kill('SIGTERM');
    exit = await proc.exited;
    lines = [];
    notJson = [];
    for (const raw of [...proc.stdout, ...proc.stderr]) {
      try {
        const parsed = JSON.parse(raw) as unknown;
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) notJson.push(raw);
        else lines.push(parsed as Line);
      } catch {
        notJson.push(raw);
      }
    }
  }, 60_000);

  /** The SERVER span of one path. */
  function serverSpan(path: string): DumpedSpan {
    const found = spans.filter((s) => s.kind === SERVER && s.attributes['url.path'] === path);
    expect(found, `one SERVER span for ${path}`).toHaveLength(1);
    return found[0] as DumpedSpan;
  }

  /** The one line whose message satisfies `match`. */
  function lineWhere(match: (message: string) => boolean, what: string): Line {
    const found = lines.filter((line) => match(messageOf(line)));
    expect(found, `one line for ${what}`).toHaveLength(1);
    return found[0] as Line;
  }

  it('writes nothing but JSON objects on stdout and stderr, and answers every request', () => {
    expect(answers).toEqual([200, 200]);
    expect(notJson).toEqual([]);
    expect(lines.length).toBeGreaterThan(40);
  });

  it('keeps console lines log lines to the end: after a shutdown on SIGTERM, in an exit listener', () => {
    expect(exit).toEqual({ code: 0, signal: null });
    for (const message of ['console-log after the shutdown', 'console-log in an exit listener']) {
      const line = lineWhere((m) => m === message, message);
      expect(Object.keys(line)).toEqual(CONSOLE_KEYS);
      expect(line).toMatchObject({ level: 'INFO', logger: 'console' });
    }
  });

  it("continues the caller's trace in the request's SERVER span", () => {
    const work = serverSpan('/work');
    expect(work.traceId).toBe(incoming.traceId);
    expect(work.parentSpanId).toBe(incoming.parentId);
  });

  it.each(['inside', 'outside'] as const)(
    "keeps the app's own pino lines as the app shaped them, with the ids exactly inside a request (%s)",
    (where) => {
      const work = serverSpan('/work');
      const ids = where === 'inside' ? { trace_id: work.traceId, span_id: work.spanId } : {};
      for (const when of whens) {
        expect(lineWhere((m) => m === `pino-${when} ${where}`, `pino-${when} ${where}`)).toEqual({
          severity: 'info',
          time: expect.any(Number),
          app: 'shop',
          ...ids,
          user: { name: 'ADA' },
          order: 7,
          msg: `pino-${when} ${where}`,
        });
        expect(lineWhere((m) => m === `pino-child-${when} ${where}`, `pino-child-${when} ${where}`)).toEqual({
          severity: 'warn',
          time: expect.any(Number),
          app: 'shop',
          module: 'billing',
          ...ids,
          msg: `pino-child-${when} ${where}`,
        });
      }
      // The app's level still filters.
      expect(lines.filter((l) => messageOf(l).includes('below the level'))).toEqual([]);
    },
  );

  it.each(['inside', 'outside'] as const)(
    "keeps the app's own winston lines in its JSON format, with the ids exactly inside a request (%s)",
    (where) => {
      const work = serverSpan('/work');
      const ids = where === 'inside' ? { trace_id: work.traceId, span_id: work.spanId } : {};
      for (const when of whens) {
        expect(lineWhere((m) => m === `winston-${when} ${where}`, `winston-${when} ${where}`)).toEqual({
          component: 'orders',
          level: 'info',
          message: `winston-${when} ${where}`,
          order: 7,
          ...ids,
        });
        expect(lineWhere((m) => m === `winston-child-${when} ${where}`, `winston-child-${when} ${where}`)).toEqual({
          component: 'orders',
          level: 'warn',
          message: `winston-child-${when} ${where}`,
          module: 'billing',
          ...ids,
        });
      }
    },
  );

  it.each(['inside', 'outside'] as const)(
    'writes each console call, the app’s and a library’s, as one schema line of logger console (%s)',
    (where) => {
      const work = serverSpan('/work');
      const ids = where === 'inside' ? { trace_id: work.traceId, span_id: work.spanId } : {};
      for (const [what, level, match] of consoleCalls(where)) {
        const line = lineWhere(match, `${what} ${where}`);
        const keys = [...CONSOLE_KEYS, ...(where === 'inside' ? ['trace_id', 'span_id'] : [])];
        expect(Object.keys(line), what).toEqual(what === 'console.error' ? [...keys, 'error'] : keys);
        expect(line, what).toMatchObject({
          level,
          logger: 'console',
          'service.name': 'logs.test',
          'deployment.environment': 'production',
          ...ids,
        });
      }
      const failed = lineWhere((m) => m.startsWith(`console-error ${where} `), `console.error ${where}`);
      expect(failed.message).toContain('[cause]: Error: root cause');
      expect(failed.error).toMatchObject({
        type: 'Error',
        message: `failed ${where}`,
        stack: expect.stringMatching(new RegExp(`^Error: failed ${where}\\n {4}at writeLines `)),
        cause: { type: 'Error', message: 'root cause' },
      });
    },
  );

  it("writes Node's own process warnings as WARN console lines", () => {
    const warning = lineWhere((m) => m.includes('DEP_LOGS_TEST'), 'the process warning');
    expect(Object.keys(warning)).toEqual(CONSOLE_KEYS);
    expect(warning).toMatchObject({ level: 'WARN', logger: 'console' });
    expect(warning.message).toMatch(/^\(node:\d+\) \[DEP_LOGS_TEST\] DeprecationWarning: node-warning outside/);
  });

  it('stamps the span a request is in after an await, too', () => {
    const work = serverSpan('/work');
    expect(lineWhere((m) => m === 'console-log inside after await', 'after await')).toMatchObject({
      trace_id: work.traceId,
      span_id: work.spanId,
    });
  });

  it.each(['inside', 'outside'] as const)('keeps the message of hostile values, in every logger (%s)', (where) => {
    const hostile = serverSpan('/hostile');
    const ids = where === 'inside' ? { trace_id: hostile.traceId, span_id: hostile.spanId } : {};
    const control = 'bell\u0007 nul\u0000 esc\u001b[2J cr\r lf\n tab\t';
    for (const when of whens) {
      expect(lineWhere((m) => m === `pino-${when} ${where} circular`, 'pino circular')).toMatchObject({
        circular: { name: 'loop', self: '[Circular]' },
        ...ids,
      });
      expect(lineWhere((m) => m === `pino-${when} ${where} ${control}`, 'pino control')).toMatchObject(ids);
      expect(lineWhere((m) => m === `winston-${when} ${where} circular`, 'winston circular')).toMatchObject({
        circular: { name: 'loop', self: '[Circular]' },
        ...ids,
      });
      expect(lineWhere((m) => m === `winston-${when} ${where} ${control}`, 'winston control')).toMatchObject(ids);
    }
    expect(
      lineWhere(
        (m) => m === `console-hostile ${where} circular <ref *1> { name: 'loop', self: [Circular *1] }`,
        'circular',
      ),
    ).toMatchObject({ level: 'INFO', logger: 'console', ...ids });
    const huge = lineWhere((m) => m.startsWith(`console-hostile ${where} huge hhh`), 'huge');
    expect(huge).toMatchObject({ logger: 'console', ...ids });
    expect(huge.message).toMatch(/h…\[truncated \d+ chars\]$/);
    expect(String(huge.message).length).toBeLessThan(17_000);
    expect(lineWhere((m) => m === `console-hostile ${where} ${control} <Buffer 00 01 02 ff>`, 'control')).toMatchObject(
      { logger: 'console', ...ids },
    );
    expect(
      lineWhere(
        (m) => m === `console-hostile ${where} throwing inspect [Uninspectable: Error: inspect refuses]`,
        'inspect',
      ),
    ).toMatchObject({ level: 'ERROR', logger: 'console', ...ids });
  });
});
