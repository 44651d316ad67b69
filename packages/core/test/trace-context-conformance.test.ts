/**
 * W3C Trace Context, level 2, through every adapter over real sockets, in the shape of the W3C test harness:
 * this test sends a request with the headers of a case to the adapter's fixture app (a child process),
 * whose `/forward` route calls back a harness server here with `fetch`; the case then reads the
 * `traceparent`/`tracestate` of that callback. Level 2's rules first (a bad `tracestate` is discarded whole,
 * its key and value grammar, the 32-member limit, the random flag, versions above `00`), then the level-1
 * rules they must not break.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpCall, killAllChildren, type NodeProcess, spawnNode } from '@autotelemetry/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTER_APPS } from './adapter-apps.js';

const TRACE_ID = '12345678901234567890123456789012';
const PARENT_ID = '1234567890123456';
const tp = (flags = '00', version = '00', tail = '') => `${version}-${TRACE_ID}-${PARENT_ID}-${flags}${tail}`;

/** The trace context a callback carried. */
interface Callback {
  traceId: string | undefined;
  parentId: string | undefined;
  flags: number | undefined;
  traceparent: string | undefined;
  /** Every tracestate field joined, or undefined when none was sent. */
  tracestate: string | undefined;
}

function parseCallback(headers: IncomingHttpHeaders): Callback {
  const traceparent = headers.traceparent as string | undefined;
  const match = traceparent === undefined ? null : /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent);
  return {
    traceId: match?.[1],
    parentId: match?.[2],
    flags: match?.[3] === undefined ? undefined : Number.parseInt(match[3], 16),
    traceparent,
    tracestate: headers.tracestate as string | undefined,
  };
}

/** The members of a tracestate value, as [key, value] pairs in order. */
function members(tracestate: string | undefined): [string, string][] {
  if (tracestate === undefined) return [];
  return tracestate
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '')
    .map((m) => [m.slice(0, m.indexOf('=')), m.slice(m.indexOf('=') + 1)]);
}

afterAll(async () => {
  await killAllChildren();
});

describe.each(ADAPTER_APPS)('$name adapter', (adapter) => {
  let app: NodeProcess;
  let port: number;
  let harness: Server;
  let harnessPort: number;
  let received: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    harness = createServer((req, res) => {
      received.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => harness.listen(0, '127.0.0.1', resolve));
    harnessPort = (harness.address() as AddressInfo).port;
    app = spawnNode(adapter.app, {
      env: { AUTOTELEMETRY_ENVIRONMENT: 'test', AUTOTELEMETRY_RUNTIME_METRICS: 'false' },
    });
    port = Number((await app.waitForLine(/^READY \d+$/)).split(' ')[1]);
  });

  afterAll(async () => {
    app.kill('SIGKILL');
    await app.exited;
    await new Promise((resolve) => harness.close(resolve));
  });

  /** Sends one request with `headers` (a name given several values is sent as several fields). */
  async function callbacks(headers: Record<string, string | string[]>, times = 1): Promise<Callback[]> {
    received = [];
    const answer = await httpCall(port, `/forward?to=${harnessPort}&n=${times}`, { headers });
    expect(answer.status, answer.body).toBe(200);
    expect(received).toHaveLength(times);
    return received.map(parseCallback);
  }

  async function one(headers: Record<string, string | string[]>): Promise<Callback> {
    const [callback] = await callbacks(headers);
    expect(callback?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/);
    return callback as Callback;
  }

  async function continued(headers: Record<string, string | string[]>): Promise<Callback> {
    const callback = await one(headers);
    expect(callback.traceId, JSON.stringify(headers)).toBe(TRACE_ID);
    expect(callback.parentId).not.toBe(PARENT_ID);
    return callback;
  }

  async function restarted(headers: Record<string, string | string[]>): Promise<Callback> {
    const callback = await one(headers);
    expect(callback.traceId, JSON.stringify(headers)).not.toBe(TRACE_ID);
    // A new trace carries no tracestate it was not given.
    expect(callback.tracestate).toBeUndefined();
    return callback;
  }

  describe('level 2: tracestate', () => {
    it('discards the whole tracestate when any member is invalid, and still continues the trace', async () => {
      for (const tracestate of [
        'foo=1,@bar=2',
        '@foo=1,bar=2',
        'foo=bar=baz',
        'foo=,bar=3',
        'FOO=1,bar=2',
        'foo.bar=1,baz=2',
        'foo =1,bar=2',
        'foo=1,bar',
        'foo=a\tb,bar=2',
      ]) {
        const callback = await continued({ traceparent: tp('01'), tracestate });
        expect(callback.tracestate, tracestate).toBeUndefined();
      }
      // One bad field among several discards them all.
      const split = await continued({ traceparent: tp('01'), tracestate: ['foo=1', 'bar=2,Baz=3'] });
      expect(split.tracestate).toBeUndefined();
    });

    it('keeps 32 members across several fields, in order, and discards 33', async () => {
      const fields = (count: number) => {
        const all = Array.from({ length: count }, (_, i) => `bar${String(i + 1).padStart(2, '0')}=${i + 1}`);
        return [all.slice(0, 10), all.slice(10, 20), all.slice(20, 30), all.slice(30)].map((f) => f.join(','));
      };
      const kept = await continued({ traceparent: tp(), tracestate: fields(32) });
      expect(members(kept.tracestate)).toHaveLength(32);
      expect(members(kept.tracestate)[0]).toEqual(['bar01', '1']);
      expect(members(kept.tracestate)[31]).toEqual(['bar32', '32']);
      const dropped = await continued({ traceparent: tp(), tracestate: fields(33) });
      expect(dropped.tracestate).toBeUndefined();
    });

    it('takes keys by level 2’s grammar: several @, a leading digit, up to 256 characters', async () => {
      for (const key of [
        'foo@',
        'foo@@bar',
        'foo@bar@baz',
        '0vendor',
        'a_-*/@z',
        'z'.repeat(256),
        `${'t'.repeat(241)}@${'v'.repeat(14)}`,
        `${'t'.repeat(242)}@v`,
        `t@${'v'.repeat(15)}`,
      ]) {
        const callback = await continued({ traceparent: tp(), tracestate: ['foo=1', `${key}=1`] });
        expect(members(callback.tracestate), key).toEqual([
          ['foo', '1'],
          [key, '1'],
        ]);
      }
      const tooLong = await continued({ traceparent: tp(), tracestate: ['foo=1', `${'z'.repeat(257)}=1`] });
      expect(tooLong.tracestate).toBeUndefined();
    });

    it('takes values of 1 to 256 printable characters without , and =, trailing spaces left out', async () => {
      const printable = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
        .filter((c) => c !== ',' && c !== '=')
        .join('');
      const longest = 'v'.repeat(256);
      for (const value of [` ${printable}`.slice(0, 256).trimEnd(), longest, ' leading-space-kept', 'x']) {
        const callback = await continued({ traceparent: tp(), tracestate: `foo=${value}` });
        expect(callback.tracestate, value).toBe(`foo=${value}`);
      }
      const trailing = await continued({ traceparent: tp(), tracestate: 'foo=1 \t, bar=2 ' });
      expect(members(trailing.tracestate)).toEqual([
        ['foo', '1'],
        ['bar', '2'],
      ]);
      const tooLong = await continued({ traceparent: tp(), tracestate: ['foo=1', `bar=${'v'.repeat(257)}`] });
      expect(tooLong.tracestate).toBeUndefined();
    });
  });

  describe('level 2: trace flags and versions', () => {
    it('keeps the random flag of the remote parent on the outgoing traceparent', async () => {
      expect((await continued({ traceparent: tp('02') })).flags).toBe(0x02);
      expect((await continued({ traceparent: tp('03') })).flags).toBe(0x03);
      // Without it in the incoming traceparent, it stays unset; unknown flags are never sent on.
      expect((await continued({ traceparent: tp('01') })).flags).toBe(0x01);
      expect((await continued({ traceparent: tp('00') })).flags).toBe(0x00);
      expect((await continued({ traceparent: tp('ff') })).flags).toBe(0x03);
    });

    it('keeps the random flag on every callback of the request', async () => {
      const all = await callbacks({ traceparent: tp('02') }, 3);
      expect(all.map((c) => c.traceId)).toEqual([TRACE_ID, TRACE_ID, TRACE_ID]);
      expect(all.map((c) => c.flags)).toEqual([2, 2, 2]);
      expect(new Set(all.map((c) => c.parentId)).size).toBe(3);
    });

    it('reads a version above 00 by the forward-compatibility rules, and sends version 00', async () => {
      for (const traceparent of [
        tp('01', 'cc'),
        tp('01', 'cc', '-what-the-future-will-be-like'),
        tp('01', '01', '-'),
      ]) {
        const callback = await continued({ traceparent, tracestate: 'foo=1' });
        expect(callback.traceparent?.startsWith('00-'), traceparent).toBe(true);
        expect(callback.flags, traceparent).toBe(1);
        expect(callback.tracestate).toBe('foo=1');
      }
      for (const traceparent of [
        tp('01', 'cc', '.what-the-future-will-be-like'),
        tp('01', 'ff'),
        `cc-${TRACE_ID}-${PARENT_ID}-1`,
        `cc-${TRACE_ID}-${PARENT_ID}`,
      ]) {
        await restarted({ traceparent, tracestate: 'foo=1' });
      }
    });
  });

  describe('level 1 rules still hold', () => {
    it('restarts the trace on a malformed traceparent, without its tracestate', async () => {
      for (const traceparent of [
        tp('01', '00', '.'),
        tp('01', '00', '-what-the-future-will-be-like'),
        `.0-${TRACE_ID}-${PARENT_ID}-01`,
        `000-${TRACE_ID}-${PARENT_ID}-01`,
        `0-${TRACE_ID}-${PARENT_ID}-01`,
        `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
        `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
        `00-${TRACE_ID.toUpperCase().replace(/1/g, 'A')}-${PARENT_ID}-01`,
        `00-${TRACE_ID}3-${PARENT_ID}-01`,
        `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`,
        `00-${TRACE_ID}-${PARENT_ID}7-01`,
        `00-${TRACE_ID}-${PARENT_ID}-.0`,
        `00-${TRACE_ID}-${PARENT_ID}-001`,
      ]) {
        await restarted({ traceparent, tracestate: 'foo=1' });
      }
      // Two traceparent fields: neither is trusted.
      await restarted({ traceparent: [tp('01'), `00-${'1'.repeat(32)}-${PARENT_ID}-01`] });
    });

    it('accepts spaces and tabs around the traceparent', async () => {
      for (const traceparent of [
        ` ${tp('01')}`,
        `\t${tp('01')}`,
        `${tp('01')} `,
        `${tp('01')}\t`,
        `\t ${tp('01')} \t`,
      ]) {
        expect((await continued({ traceparent })).flags).toBe(1);
      }
    });

    it('joins several tracestate fields in order, ignores empty members, keeps one of a duplicated key', async () => {
      const joined = await continued({ traceparent: tp(), tracestate: ['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'] });
      expect(members(joined.tracestate).map(([k]) => k)).toEqual(['foo', 'bar', 'rojo', 'congo', 'baz']);
      const empty = await continued({ traceparent: tp(), tracestate: ['', 'foo=1', ' , \t,'] });
      expect(empty.tracestate).toBe('foo=1');
      expect((await continued({ traceparent: tp(), tracestate: '' })).tracestate).toBeUndefined();
      const duplicated = await continued({ traceparent: tp(), tracestate: ['foo=1', 'foo=2'] });
      expect(members(duplicated.tracestate)).toEqual([['foo', '1']]);
    });

    it('ignores a tracestate sent without a traceparent', async () => {
      await restarted({ tracestate: 'foo=1,bar=2' });
    });

    it('starts a new trace per request without a traceparent, with a new parent id per callback', async () => {
      const all = await callbacks({}, 3);
      expect(new Set(all.map((c) => c.traceId)).size).toBe(1);
      expect(new Set(all.map((c) => c.parentId)).size).toBe(3);
      const other = await one({});
      expect(other.traceId).not.toBe(all[0]?.traceId);
    });
  });
});
