/**
 * The level-2 `tracestate` as code uses it (samplers, vendors' processors): `set` puts a member first and
 * keeps the list at 32, ignores what would make the header invalid; `unset`; a long received list cut down
 * to 512 characters, long members first. Reception over real sockets is in trace-context-conformance.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TRACE_STATE_LENGTH, W3CTraceState } from '../src/propagation/trace-state.js';

function parsed(header: string): W3CTraceState {
  const state = W3CTraceState.parse(header);
  if (state === undefined) throw new Error(`"${header}" did not parse`);
  return state;
}

describe('W3CTraceState', () => {
  it('sets a member first, moving an existing key, and leaves the original unchanged', () => {
    const original = parsed('a=1,b=2,c=3');
    expect(original.set('b', 'x').serialize()).toBe('b=x,a=1,c=3');
    expect(original.set('d', '4').serialize()).toBe('d=4,a=1,b=2,c=3');
    expect(original.serialize()).toBe('a=1,b=2,c=3');
    expect(original.set('d', '4').get('d')).toBe('4');
  });

  it('drops the right-most member when a set would pass 32', () => {
    const full = parsed(Array.from({ length: 32 }, (_, i) => `k${i}=${i}`).join(','));
    const next = full.set('new', 'v').serialize().split(',');
    expect(next).toHaveLength(32);
    expect(next[0]).toBe('new=v');
    expect(next).not.toContain('k31=31');
    expect(next[31]).toBe('k30=30');
  });

  it('ignores a set with an invalid key or value', () => {
    const state = parsed('a=1');
    for (const [key, value] of [
      ['Upper', '1'],
      ['@lead', '1'],
      ['k'.repeat(257), '1'],
      ['ok', ''],
      ['ok', 'a,b'],
      ['ok', 'a=b'],
      ['ok', 'trailing '],
      ['ok', 'v'.repeat(257)],
    ] as const) {
      expect(state.set(key, value), `${key}=${value}`).toBe(state);
    }
  });

  it('unsets a member, and unsetting an absent key changes nothing', () => {
    const state = parsed('a=1,b=2');
    expect(state.unset('a').serialize()).toBe('b=2');
    expect(state.unset('zz')).toBe(state);
  });

  it('cuts a received list over 512 characters: members over 128 characters first, then from the right', () => {
    const long = `long=${'x'.repeat(200)}`;
    const shorts = Array.from({ length: 8 }, (_, i) => `s${i}=${'y'.repeat(40)}`);
    const state = parsed([shorts[0], long, ...shorts.slice(1)].join(','));
    const members = state.serialize().split(',');
    expect(state.serialize().length).toBeLessThanOrEqual(MAX_TRACE_STATE_LENGTH);
    // The 205-character member went; the eight short ones (8 × 43 + 7 commas = 351) fit.
    expect(members).toEqual(shorts);
    const many = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}=${'z'.repeat(40)}`);
    const cut = parsed(many.join(',')).serialize();
    expect(cut.length).toBeLessThanOrEqual(MAX_TRACE_STATE_LENGTH);
    expect(cut).toBe(many.slice(0, cut.split(',').length).join(','));
    expect(cut.split(',').length).toBe(11);
  });
});
