/**
 * `tracestate` as W3C Trace Context level 2 defines it: a list of at most 32 `key=value` members, keys
 * `[a-z0-9][_0-9a-z-*\/@]{0,255}`, values of 1–256 printable ASCII characters other than `,` and `=` that
 * do not end with a space. A received header with any invalid member, or with more than 32 members, is
 * discarded whole (level 2 no longer lets a receiver trim or filter it). Empty and whitespace-only members
 * are allowed and ignored; of a key given twice, the first member is kept. A valid list longer than 512
 * characters is cut down to 512 as the spec recommends (members over 128 characters first, then from the right).
 */
import type { TraceState } from '@opentelemetry/api';

/** The most members a list may have. */
export const MAX_TRACE_STATE_MEMBERS = 32;
/** The longest combined header passed on; past it, members are removed as the spec recommends. */
export const MAX_TRACE_STATE_LENGTH = 512;
/** A member longer than this is the first to go when a list is cut down to {@link MAX_TRACE_STATE_LENGTH}. */
const LONG_MEMBER = 128;

const KEY = /^[a-z0-9][_0-9a-z\-*/@]{0,255}$/;
// 0–255 characters of 0x20–0x7E except `,` (0x2C) and `=` (0x3D), then one of those that is not a space.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** An immutable level-2 `tracestate`: `set` and `unset` return a new one. */
export class W3CTraceState implements TraceState {
  /** Members in list order, the left-most first. */
  private readonly members: ReadonlyMap<string, string>;

  private constructor(members: ReadonlyMap<string, string>) {
    this.members = members;
  }

  /**
   * The received header (several header fields joined with `,`, as RFC 9110 combines them), or undefined
   * when it is invalid or has no member: the caller then continues the trace without a trace state.
   */
  static parse(header: string): W3CTraceState | undefined {
    const members = new Map<string, string>();
    let count = 0;
    for (const part of header.split(',')) {
      const member = trimOws(part);
      if (member === '') continue;
      const eq = member.indexOf('=');
      if (eq === -1) return undefined;
      const key = member.slice(0, eq);
      const value = member.slice(eq + 1);
      if (!KEY.test(key) || !VALUE.test(value)) return undefined;
      if (++count > MAX_TRACE_STATE_MEMBERS) return undefined;
      if (!members.has(key)) members.set(key, value);
    }
    if (members.size === 0) return undefined;
    truncate(members);
    return new W3CTraceState(members);
  }

  get(key: string): string | undefined {
    return this.members.get(key);
  }

  /**
   * A trace state with `key=value` as its left-most member (an existing member of that key moves there).
   * The right-most member is dropped when the list would pass 32. An invalid key or value changes nothing:
   * the header this state serializes to stays valid.
   */
  set(key: string, value: string): W3CTraceState {
    if (!KEY.test(key) || !VALUE.test(value)) return this;
    const members = new Map<string, string>([[key, value]]);
    for (const [k, v] of this.members) {
      if (members.size === MAX_TRACE_STATE_MEMBERS) break;
      if (k !== key) members.set(k, v);
    }
    return new W3CTraceState(members);
  }

  unset(key: string): W3CTraceState {
    if (!this.members.has(key)) return this;
    const members = new Map(this.members);
    members.delete(key);
    return new W3CTraceState(members);
  }

  /** The header value: `key=value` members joined by `,` (empty for a state with no member). */
  serialize(): string {
    let out = '';
    for (const [key, value] of this.members) out += out === '' ? `${key}=${value}` : `,${key}=${value}`;
    return out;
  }
}

/** The length of `key=value`. */
function memberLength(key: string, value: string): number {
  return key.length + 1 + value.length;
}

/** A list longer than 512 characters loses its members over 128 characters, then right-most ones, until it fits. */
function truncate(members: Map<string, string>): void {
  // Members plus the commas between them.
  let length = members.size - 1;
  for (const [key, value] of members) length += memberLength(key, value);
  for (const longOnly of [true, false]) {
    for (const [key, value] of [...members].reverse()) {
      if (length <= MAX_TRACE_STATE_LENGTH) return;
      const size = memberLength(key, value);
      if (longOnly && size <= LONG_MEMBER) continue;
      members.delete(key);
      length -= size + 1;
    }
  }
}

/** `text` without the spaces and horizontal tabs around it (HTTP's optional whitespace). */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
