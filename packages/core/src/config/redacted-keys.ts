/**
 * How a key is matched against the `redact` list wherever a secret can leave the process as an attribute:
 * a span or metric attribute key (the key, or any of its dot segments, equals a listed key) and a query
 * parameter's key (URL-decoded, it contains a listed key or names a signed-URL credential). One
 * normalisation of the list (trimmed, lower-cased, empty entries dropped), and the bounded cache each user
 * keeps its decisions in, since keys repeat. The logger matches a member's key itself (logging/safe-json.ts):
 * exactly.
 */

/**
 * Keys of signed-URL credentials (the semantic conventions' defaults, plus S3's). Matched exactly, because
 * they are short (`sig`) and would hit innocent keys as substrings.
 */
const SIGNED_URL_KEYS: readonly string[] = [
  'awsaccesskeyid',
  'signature',
  'sig',
  'x-goog-signature',
  'x-amz-signature',
];

/** Remembers a yes/no per key, bounded: when full it forgets everything (keys that repeat are back in one call). */
export class KeyDecisions {
  private readonly decisions = new Map<string, boolean>();

  /** @param judge decides a key the first time it is seen. */
  constructor(
    private readonly limit: number,
    private readonly judge: (key: string) => boolean,
  ) {}

  /** How many decisions are remembered. */
  get size(): number {
    return this.decisions.size;
  }

  /** The decision for `key`. */
  get(key: string): boolean {
    let decision = this.decisions.get(key);
    if (decision === undefined) {
      decision = this.judge(key);
      if (this.decisions.size >= this.limit) this.decisions.clear();
      this.decisions.set(key, decision);
    }
    return decision;
  }
}

/** The resolved `redact` option, and the two ways a key is matched against it. */
export class RedactedKeys {
  /** The listed keys, trimmed and lower-cased. */
  readonly keys: ReadonlySet<string>;
  private readonly substrings: readonly string[];

  /** @param keys the resolved `redact` option (compared case-insensitively). */
  constructor(keys: Iterable<string>) {
    const set = new Set<string>();
    for (const key of keys) {
      const normal = key.trim().toLowerCase();
      if (normal.length > 0) set.add(normal);
    }
    this.keys = set;
    this.substrings = Object.freeze([...set].sort());
  }

  /**
   * Whether the attribute key `key` (a dotted path: `http.request.header.authorization`, `db.password`) names
   * a secret: the key or any of its segments, compared case-insensitively, is a listed key — the way the
   * logger treats `{ db: { password } }`.
   */
  matchesAttribute(key: string): boolean {
    const keys = this.keys;
    if (keys.size === 0) return false;
    const lower = key.toLowerCase();
    if (keys.has(lower)) return true;
    if (!lower.includes('.')) return false;
    for (const segment of lower.split('.')) if (keys.has(segment)) return true;
    return false;
  }

  /**
   * Whether the (raw, possibly percent-encoded) query key `rawKey` names a secret: lower-cased and
   * URL-decoded, it equals a signed-URL key or contains a listed key (`token` catches `access_token`,
   * `secret` catches `client_secret`): for secrets a false positive costs less than a leak.
   */
  matchesQueryKey(rawKey: string): boolean {
    let key = rawKey;
    if (key.includes('%') || key.includes('+')) {
      try {
        key = decodeURIComponent(key.replaceAll('+', ' '));
      } catch {
        // A malformed escape: judge the raw text.
      }
    }
    key = key.trim().toLowerCase();
    if (key.length === 0) return false;
    if (SIGNED_URL_KEYS.includes(key)) return true;
    for (const s of this.substrings) if (key.includes(s)) return true;
    return false;
  }
}
