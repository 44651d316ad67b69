/**
 * The access line's `data`: `{"method","route"?,"path","status"?,"duration_ms","aborted"?}`, as the JSON text
 * of the line and as the attributes of its OpenTelemetry log record.
 *
 * Everything fixed for a (method, route) pair is rendered once into a head kept on its route entry; a line
 * then costs the quoted path, two numbers and a concatenation. Used through a logger's
 * {@link PreparedLineWriter}; loggers that cannot take one get the same keys as an ordinary data object.
 */
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { LOG_LIMITS, quote, truncateString } from '../logging/safe-json.js';

/** The keys of the access line's data, in their order (a redacted one sends the line the ordinary way). */
export const ACCESS_DATA_KEYS: readonly string[] = Object.freeze([
  'method',
  'route',
  'path',
  'status',
  'duration_ms',
  'aborted',
]);

/** What a line is made of. */
export interface AccessLineFacts {
  readonly method: string;
  readonly route: string | undefined;
  readonly path: string;
  /** 0 when no response head was sent. */
  readonly status: number;
  /** Rounded to the microsecond. */
  readonly durationMs: number;
  readonly aborted: boolean;
}

/** A route entry's cached head: `{"method":"GET","route":"/users/:id","path":`. */
export interface AccessHeadHolder {
  accessHead: string | undefined;
  readonly route: string | undefined;
}

function renderHead(method: string, route: string | undefined): string {
  return route === undefined
    ? `{"method":${quote(method)},"path":`
    : `{"method":${quote(method)},"route":${quote(route)},"path":`;
}

/** The line's data as JSON text; `holder` caches the head when its route is the line's. */
export function accessDataJson(facts: AccessLineFacts, holder: AccessHeadHolder): string {
  let head: string;
  if (holder.route === facts.route) {
    head = holder.accessHead ??= renderHead(facts.method, facts.route);
  } else {
    head = renderHead(facts.method, facts.route);
  }
  const path = facts.path.length > LOG_LIMITS.maxStringLength ? truncateString(facts.path) : facts.path;
  return `${head}${quote(path)}${facts.status > 0 ? `,"status":${facts.status}` : ''},"duration_ms":${facts.durationMs}${
    facts.aborted ? ',"aborted":true}' : '}'
  }`;
}

/** The line's data as a plain object (for a logger written to through its ordinary methods). */
export function accessDataObject(facts: AccessLineFacts): Record<string, unknown> {
  const data: Record<string, unknown> = {
    method: facts.method,
    route: facts.route,
    path: facts.path,
    status: facts.status > 0 ? facts.status : undefined,
    duration_ms: facts.durationMs,
  };
  if (facts.aborted) data.aborted = true;
  return data;
}

/** The line's data as log record attributes (no undefined values). */
export function accessDataAttributes(facts: AccessLineFacts): AnyValueMap {
  const attributes: AnyValueMap = { method: facts.method };
  if (facts.route !== undefined) attributes.route = facts.route;
  attributes.path = facts.path.length > LOG_LIMITS.maxStringLength ? truncateString(facts.path) : facts.path;
  if (facts.status > 0) attributes.status = facts.status;
  attributes.duration_ms = facts.durationMs;
  if (facts.aborted) attributes.aborted = true;
  return attributes;
}

/** The line's message: `GET /users/7 200 1.234 ms`. */
export function accessMessage(facts: AccessLineFacts): string {
  return `${facts.method} ${facts.path} ${facts.aborted ? 'aborted' : facts.status} ${facts.durationMs} ms`;
}
