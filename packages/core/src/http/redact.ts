/**
 * Masking secrets in the query string before it becomes `url.query`.
 *
 * Headers need no masking: the lifecycle records none but `user-agent` (never `authorization`, `cookie` or
 * API-key headers). The query is the one place where clients routinely put credentials (`?access_token=`,
 * signed URLs), so every value whose key looks sensitive is replaced, keeping the key so the shape of the
 * request stays visible.
 */

/** What a sensitive query value is replaced by (the word the HTTP semantic conventions use). */
export const REDACTED_QUERY_VALUE = 'REDACTED';

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

// Distinct query keys are few in practice, but clients choose them: the decision cache is bounded.
const KEY_CACHE_LIMIT = 512;

/**
 * Redacts the values of sensitive query parameters. A key is sensitive when, lower-cased and URL-decoded,
 * it equals a signed-URL key or contains one of the configured keys (`token` catches `access_token`,
 * `secret` catches `client_secret`): for secrets a false positive costs less than a leak.
 */
export class QueryRedactor {
  private readonly substrings: readonly string[];
  private readonly decisions = new Map<string, boolean>();

  /** @param keys configured sensitive keys (the resolved `redact` option), matched case-insensitively. */
  constructor(keys: readonly string[]) {
    this.substrings = Object.freeze(
      [...new Set(keys.map((k) => k.trim().toLowerCase()).filter((k) => k.length > 0))].sort(),
    );
  }

  /** Whether values of the (raw, possibly percent-encoded) query key `rawKey` are masked. */
  isSensitive(rawKey: string): boolean {
    let decision = this.decisions.get(rawKey);
    if (decision === undefined) {
      decision = this.judge(rawKey);
      if (this.decisions.size >= KEY_CACHE_LIMIT) this.decisions.clear();
      this.decisions.set(rawKey, decision);
    }
    return decision;
  }

  /** Returns `query` (without `?`) with sensitive values replaced by {@link REDACTED_QUERY_VALUE}. */
  redact(query: string): string {
    if (query.length === 0) return query;
    let out = '';
    let start = 0;
    let changed = false;
    while (start <= query.length) {
      let end = query.indexOf('&', start);
      if (end === -1) end = query.length;
      const eq = query.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const key = query.slice(start, hasValue ? eq : end);
      if (hasValue && eq + 1 < end && this.isSensitive(key)) {
        out += `${start === 0 ? '' : '&'}${key}=${REDACTED_QUERY_VALUE}`;
        changed = true;
      } else {
        out += `${start === 0 ? '' : '&'}${query.slice(start, end)}`;
      }
      start = end + 1;
    }
    return changed ? out : query;
  }

  private judge(rawKey: string): boolean {
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
