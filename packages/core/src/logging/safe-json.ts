/**
 * A bounded JSON writer for whatever an application hands its logger.
 *
 * `JSON.stringify` throws on BigInt and cycles, calls getters that may throw, turns a Buffer into an array
 * of numbers and writes a 1 MB string as it is. A log line must survive all of that and stay one line, so
 * values are walked here with hard limits ({@link LOG_LIMITS}) and hostile parts replaced by short markers.
 * Primitives and small flat objects take a short path: no intermediate objects, JSON text built directly.
 */
import { types } from 'node:util';

/** The limits every log line is held to. They are fixed so that a line's worst case is known. */
export const LOG_LIMITS = Object.freeze({
  /**
   * Longest string written, in UTF-16 code units (16 KiB). A longer string (message, value, stack) keeps
   * its first part followed by `…[truncated N chars]`, N being the original length.
   */
  maxStringLength: 16_384,
  /** Nesting levels written below `data` or `context`; deeper objects become `"[Object]"` / `"[Array]"`. */
  maxDepth: 8,
  /** Keys per object and items per array, Map or Set; the rest is counted in one `"…"` entry. */
  maxEntries: 128,
  /** Error causes followed below the logged error; a deeper cause becomes `"[cause chain truncated]"`. */
  maxCauseDepth: 5,
  /** Characters of strings written for one line's data, error and context; later values become `"[…]"`. */
  maxPayloadLength: 262_144,
});

/** Written instead of the value of a redacted key. */
export const REDACTED = '[REDACTED]';

const MAX_CACHED_KEYS = 4_096;
const ELIDED = '"[…]"';

/**
 * True for objects made as literals (prototype `Object.prototype` or null): the objects every walker over
 * log values (this writer, the OpenTelemetry bridge, the line's top level in log-format.ts) reads member by
 * member; anything else is written by what it is.
 */
export function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null;
}

/** What {@link readMember} returns for a member whose getter threw. */
export class ThrownMember {
  constructor(readonly error: unknown) {}
}

/**
 * Member `key` of an application object, or a {@link ThrownMember} when reading it threw (a getter, a
 * Proxy): the walkers write a marker for it instead of failing the line.
 */
export function readMember(record: Readonly<Record<string, unknown>>, key: string): unknown {
  try {
    return record[key];
  } catch (error) {
    return new ThrownMember(error);
  }
}

/** The member that stands for the `skipped` keys past {@link LOG_LIMITS.maxEntries}, with its leading comma. */
export function moreKeys(skipped: number): string {
  return `,"…":"[${skipped} more keys]"`;
}

/** True for native errors and anything inheriting from `Error`, across realms. */
export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** Cuts a string to {@link LOG_LIMITS.maxStringLength}, without splitting a surrogate pair, and marks the cut. */
export function truncateString(value: string): string {
  if (value.length <= LOG_LIMITS.maxStringLength) return value;
  let end = LOG_LIMITS.maxStringLength;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${value.slice(0, end)}…[truncated ${value.length} chars]`;
}

/**
 * JSON string literal for `value`. Short strings without quotes, backslashes, control characters or
 * surrogates (nearly all keys and messages) are wrapped directly, which beats `JSON.stringify` on Node 24.
 */
export function quote(value: string): string {
  const length = value.length;
  if (length < 96) {
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code < 32 || code === 34 || code === 92 || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(value);
    }
    return `"${value}"`;
  }
  return JSON.stringify(value);
}

/** The type written for an error: its `name` unless generic, else its class name. */
export function errorTypeName(error: Error): string {
  let name: unknown;
  try {
    name = error.name;
  } catch {
    name = undefined;
  }
  if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
  try {
    const ctorName = (error.constructor as { name?: unknown } | undefined)?.name;
    if (typeof ctorName === 'string' && ctorName !== '') return ctorName;
  } catch {
    // A hostile constructor getter: fall back to the generic name.
  }
  return 'Error';
}

function describeThrown(error: unknown): string {
  try {
    return isError(error) ? String(error.message) : String(error);
  } catch {
    return 'unprintable';
  }
}

function constructorName(value: object): string {
  try {
    const name = (value.constructor as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' && name !== '' ? name : 'Object';
  } catch {
    return 'Object';
  }
}

/**
 * Writes values as bounded JSON text, redacting configured keys at any depth.
 *
 * One instance serves a whole logger tree. A line is written between {@link SafeJson.begin} and
 * {@link SafeJson.end}; when a getter or `toJSON` logs while a line is being written, `begin` hands out a
 * fresh instance so the outer line's state is left alone.
 */
export class SafeJson {
  private readonly redactedKeys: ReadonlySet<string>;
  private readonly keyFragments: Map<string, string>;
  /** Objects on the path from the root to the value being written, indexed by depth (cycle detection). */
  private readonly path: unknown[] = [];
  private budget = LOG_LIMITS.maxPayloadLength;
  private busy = false;

  /** @param redact keys whose values are replaced by `[REDACTED]`, compared case-insensitively. */
  constructor(redact: Iterable<string>, keyFragments?: Map<string, string>) {
    const keys = new Set<string>();
    for (const key of redact) keys.add(key.toLowerCase());
    this.redactedKeys = keys;
    this.keyFragments = keyFragments ?? new Map();
  }

  /** The lower-case keys redacted by this writer. */
  get redactKeys(): ReadonlySet<string> {
    return this.redactedKeys;
  }

  /** A writer redacting these keys and `extra` ones. */
  extend(extra: Iterable<string>): SafeJson {
    return new SafeJson([...this.redactedKeys, ...extra]);
  }

  /**
   * Starts a line whose top-level object is `root` (so a value pointing back to it is seen as a cycle).
   * Returns the writer to use until {@link SafeJson.end}.
   */
  begin(root: unknown): SafeJson {
    const writer = this.busy ? new SafeJson(this.redactedKeys, this.keyFragments) : this;
    writer.busy = true;
    writer.budget = LOG_LIMITS.maxPayloadLength;
    writer.path[0] = root;
    return writer;
  }

  /** Ends the line started by {@link SafeJson.begin}, letting go of the objects it visited. */
  end(): void {
    // Deeper slots are cleared as each object is left; only the root's is still held.
    this.path[0] = undefined;
    this.busy = false;
  }

  /** True when values under `key` are redacted. */
  isRedacted(key: string): boolean {
    const keys = this.redactedKeys;
    return keys.size !== 0 && (keys.has(key) || keys.has(key.toLowerCase()));
  }

  /**
   * `,"key":value` for one member of an object at `depth` (the value is one level deeper), or `''` when
   * the value is `undefined`. The leading comma lets callers concatenate members and drop the first one.
   */
  member(key: string, value: unknown, depth: number): string {
    let fragment = this.keyFragments.get(key);
    if (fragment === undefined) {
      fragment = `,${quote(key)}:`;
      if (this.isRedacted(key)) return `${fragment}"${REDACTED}"`;
      if (this.keyFragments.size < MAX_CACHED_KEYS) this.keyFragments.set(key, fragment);
    }
    const json = this.value(value, depth + 1);
    return json === undefined ? '' : fragment + json;
  }

  /** `,"key":"[Throws: …]"` for a member whose getter threw. */
  thrownMember(key: string, error: unknown): string {
    return `,${quote(key)}:${quote(`[Throws: ${describeThrown(error)}]`)}`;
  }

  /** JSON text of a string, cut to the limits. */
  string(value: string): string {
    if (this.budget <= 0) return ELIDED;
    if (value.length > LOG_LIMITS.maxStringLength) value = truncateString(value);
    this.budget -= value.length;
    return quote(value);
  }

  /** JSON text of any value at `depth`, or `undefined` for `undefined` (left out of objects). */
  value(value: unknown, depth: number): string | undefined {
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number':
        return Number.isFinite(value) ? `${value}` : `"${value}"`;
      case 'boolean':
        return value ? 'true' : 'false';
      case 'undefined':
        return undefined;
      case 'bigint':
        // A string keeps every digit; JSON readers would round a large number.
        return `"${value}"`;
      case 'symbol':
        return quote(value.toString());
      case 'function':
        return quote(`[Function: ${(value as { name?: unknown }).name || 'anonymous'}]`);
      default:
        return value === null ? 'null' : this.object(value as object, depth);
    }
  }

  /** JSON text of an object value at `depth`: bounded, cycle-safe, never throwing. */
  object(value: object, depth: number): string {
    if (this.budget <= 0) return ELIDED;
    const path = this.path;
    for (let i = 0; i < depth; i++) if (path[i] === value) return '"[Circular]"';
    if (depth > LOG_LIMITS.maxDepth) return Array.isArray(value) ? '"[Array]"' : '"[Object]"';
    path[depth] = value;
    try {
      if (Array.isArray(value)) return this.array(value, depth);
      if (isPlainObject(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
        return this.members(value, depth);
      }
      return this.special(value, depth);
    } catch (error) {
      return quote(`[Unserializable: ${describeThrown(error)}]`);
    } finally {
      path[depth] = undefined;
    }
  }

  /** `{…}` for the own enumerable string keys of `value`, bounded in count. */
  members(value: object, depth: number): string {
    let out = '';
    let written = 0;
    let skipped = 0;
    const record = value as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      if (written === LOG_LIMITS.maxEntries) {
        skipped++;
        continue;
      }
      const item = readMember(record, key);
      if (item instanceof ThrownMember) {
        out += this.thrownMember(key, item.error);
        written++;
        continue;
      }
      const member = this.member(key, item, depth);
      if (member !== '') {
        out += member;
        written++;
      }
    }
    if (skipped !== 0) out += moreKeys(skipped);
    return out === '' ? '{}' : `{${out.slice(1)}}`;
  }

  /** `{"type":…,"message":…,"stack":…,"cause"?:…}` for an error; causes are followed to a bounded depth. */
  error(error: Error, depth: number, causeDepth = 0): string {
    if (this.budget <= 0) return ELIDED;
    try {
      const message = error.message;
      const stack = error.stack;
      let out = `{"type":${quote(errorTypeName(error))},"message":${this.string(typeof message === 'string' ? message : String(message ?? ''))},"stack":${this.string(typeof stack === 'string' ? stack : '')}`;
      const cause = 'cause' in error ? error.cause : undefined;
      if (cause !== undefined) {
        if (causeDepth >= LOG_LIMITS.maxCauseDepth) out += ',"cause":"[cause chain truncated]"';
        else if (isError(cause)) out += `,"cause":${this.error(cause, depth, causeDepth + 1)}`;
        else out += `,"cause":${this.value(cause, depth + 1) ?? 'null'}`;
      }
      return `${out}}`;
    } catch (thrown) {
      return `{"type":"Error","message":${quote(`[unreadable error: ${describeThrown(thrown)}]`)},"stack":""}`;
    }
  }

  private array(value: readonly unknown[], depth: number): string {
    const length = value.length;
    const count = Math.min(length, LOG_LIMITS.maxEntries);
    let out = '';
    for (let i = 0; i < count; i++) {
      let item: unknown;
      try {
        item = value[i];
      } catch (error) {
        item = `[Throws: ${describeThrown(error)}]`;
      }
      out += `,${this.value(item, depth + 1) ?? 'null'}`;
    }
    if (length > count) out += `,"[${length - count} more items]"`;
    return out === '' ? '[]' : `[${out.slice(1)}]`;
  }

  private special(value: object, depth: number): string {
    if (isError(value)) return this.error(value, depth);
    if (value instanceof Date) {
      const time = value.getTime();
      return Number.isNaN(time) ? '"Invalid Date"' : `"${value.toISOString()}"`;
    }
    if (Buffer.isBuffer(value)) return `"[Buffer: ${value.length} bytes]"`;
    if (ArrayBuffer.isView(value)) return `"[${constructorName(value)}: ${value.byteLength} bytes]"`;
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
      return `"[${constructorName(value)}: ${value.byteLength} bytes]"`;
    }
    if (value instanceof Map) return this.map(value, depth);
    if (value instanceof Set) return this.set(value, depth);
    if (value instanceof RegExp) return quote(String(value));
    if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
      return `"[${constructorName(value)}]"`;
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      // One level deeper, so a toJSON returning a fresh object with its own toJSON cannot loop forever.
      return this.value(toJSON.call(value), depth + 1) ?? 'null';
    }
    const json = this.members(value, depth);
    return json === '{}' ? quote(`[${constructorName(value)}]`) : json;
  }

  private set(value: Set<unknown>, depth: number): string {
    let out = '';
    let written = 0;
    for (const item of value) {
      if (written === LOG_LIMITS.maxEntries) break;
      out += `,${this.value(item, depth + 1) ?? 'null'}`;
      written++;
    }
    if (value.size > written) out += `,"[${value.size - written} more items]"`;
    return out === '' ? '[]' : `[${out.slice(1)}]`;
  }

  /** A Map with only string keys reads as an object; any other key type makes it a list of `[key, value]`. */
  private map(value: Map<unknown, unknown>, depth: number): string {
    let stringKeys = true;
    for (const key of value.keys()) {
      if (typeof key !== 'string') {
        stringKeys = false;
        break;
      }
    }
    let out = '';
    let written = 0;
    for (const [key, item] of value) {
      if (written === LOG_LIMITS.maxEntries) break;
      if (stringKeys) {
        out += this.member(key as string, item, depth);
      } else {
        out += `,[${this.value(key, depth + 2) ?? 'null'},${this.value(item, depth + 2) ?? 'null'}]`;
      }
      written++;
    }
    const skipped = value.size - written;
    if (stringKeys) {
      if (skipped > 0) out += moreKeys(skipped);
      return out === '' ? '{}' : `{${out.slice(1)}}`;
    }
    if (skipped > 0) out += `,"[${skipped} more entries]"`;
    return `[${out.slice(1)}]`;
  }
}
