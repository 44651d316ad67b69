/**
 * Masking secrets in the query string before it becomes `url.query`.
 *
 * Headers need no masking: the lifecycle records none but `user-agent` (never `authorization`, `cookie` or
 * API-key headers). The query is the one place where clients routinely put credentials (`?access_token=`,
 * signed URLs), so every value whose key looks sensitive is replaced, keeping the key so the shape of the
 * request stays visible.
 */
import { KeyDecisions, RedactedKeys } from '../config/redacted-keys.js';

/** What a sensitive query value is replaced by (the word the HTTP semantic conventions use). */
export const REDACTED_QUERY_VALUE = 'REDACTED';

// Distinct query keys are few in practice, but clients choose them: the decision cache is bounded.
const KEY_CACHE_LIMIT = 512;

/**
 * Redacts the values of sensitive query parameters: a key is sensitive when, URL-decoded, it names a
 * signed-URL credential or contains one of the configured keys (config/redacted-keys.ts).
 */
export class QueryRedactor {
  private readonly decisions: KeyDecisions;

  /** @param keys configured sensitive keys (the resolved `redact` option), matched case-insensitively. */
  constructor(keys: readonly string[]) {
    const redacted = new RedactedKeys(keys);
    this.decisions = new KeyDecisions(KEY_CACHE_LIMIT, (key) => redacted.matchesQueryKey(key));
  }

  /** Whether values of the (raw, possibly percent-encoded) query key `rawKey` are masked. */
  isSensitive(rawKey: string): boolean {
    return this.decisions.get(rawKey);
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
}
