/**
 * The naming standard of the seed, checked where the library's helpers create spans and instruments:
 *
 * - services `company.service`: lower case, at least two dot-separated segments of `[a-z0-9_-]`;
 * - spans `operation.action` (lower case, at least two dot-separated segments) or `METHOD /route`
 *   (an HTTP method, one space, a path template) — a bare method (`GET`) also passes, since the OTel HTTP
 *   conventions name a server span that way while its route is still unknown;
 * - metrics `domain.object.measure`: lower case, at least three dot-separated segments of `[a-z0-9_]`, the
 *   first starting with a letter, at most 255 characters (the OTel instrument-name limit). OTel semantic
 *   convention names (`http.server.request.duration`, `v8js.gc.duration`, `nodejs.eventloop.delay.p99`) pass.
 *
 * A bad name is reported once per name, never per call: hot paths call {@link enforceName} on every span,
 * so verdicts are cached and warnings deduplicated, both in bounded sets.
 *
 * @packageDocumentation
 */
import { resolveLogSink, writeLog } from '../logging/log-sink.js';
import { readStateSlot } from '../state-slot.js';

/** What a name names. */
export type NameKind = 'service' | 'span' | 'metric';

/** The outcome of a name check: `ok`, or not with the reason in words. */
export interface NameVerdict {
  /** Whether the name follows the convention of its kind. */
  readonly ok: boolean;
  /** Why it does not, when it does not. */
  readonly reason?: string;
}

/** The convention of each kind of name, in words, as quoted by warnings and errors. */
export const NAMING_CONVENTIONS: Readonly<Record<NameKind, string>> = Object.freeze({
  service: '`company.service`: lower case, dot-separated segments of a-z, 0-9, "_" or "-" (at least one dot)',
  span: '`operation.action` (lower case, dot-separated, at least one dot) or `METHOD /route` (e.g. "GET /users/:id")',
  metric:
    '`domain.object.measure`: lower case, dot-separated segments of a-z, 0-9 or "_", at least two dots (e.g. "http.server.request.duration")',
});

/** Thrown by {@link enforceName} in strict mode. Names the bad name, its kind and the convention. */
export class NamingError extends Error {
  override readonly name = 'NamingError';
  constructor(
    /** The kind of name that was checked. */
    readonly kind: NameKind,
    /** The offending name. */
    readonly badName: string,
    /** Why it breaks the convention. */
    readonly reason: string,
  ) {
    super(`Invalid ${kind} name ${JSON.stringify(badName)}: ${reason}. Expected ${NAMING_CONVENTIONS[kind]}.`);
  }
}

const OK: NameVerdict = Object.freeze({ ok: true });

const SERVICE_SEGMENT = /^[a-z0-9][a-z0-9_-]*$/;
const SPAN_SEGMENT = /^[a-z0-9][a-z0-9_-]*$/;
const METRIC_FIRST_SEGMENT = /^[a-z][a-z0-9_]*$/;
const METRIC_SEGMENT = /^[a-z0-9][a-z0-9_]*$/;
/** Methods of RFC 9110 and PATCH, plus `HTTP`, which the OTel HTTP conventions use for unknown methods. */
const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'HTTP',
]);
const ROUTE_TEMPLATE = /^\/[^\s?#]*$/;
const MAX_METRIC_NAME_LENGTH = 255;
const MAX_NAME_LENGTH = 1024;

function fail(reason: string): NameVerdict {
  return Object.freeze({ ok: false, reason });
}

function checkBasics(name: unknown): NameVerdict | undefined {
  if (typeof name !== 'string') return fail(`a name must be a string, got ${typeof name}`);
  if (name.length === 0) return fail('the name is empty');
  if (name.length > MAX_NAME_LENGTH) return fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);
  return undefined;
}

function checkDotted(
  name: string,
  minSegments: number,
  first: RegExp,
  rest: RegExp,
  allowed: string,
): NameVerdict | undefined {
  if (name !== name.toLowerCase()) return fail('it has upper-case letters');
  const segments = name.split('.');
  if (segments.some((s) => s.length === 0)) return fail('it has an empty segment (leading, trailing or double dot)');
  if (segments.length < minSegments) {
    const dots = minSegments - 1;
    return fail(`it needs at least ${dots} dot${dots > 1 ? 's' : ''} between segments`);
  }
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (!(i === 0 ? first : rest).test(segment)) return fail(`segment ${JSON.stringify(segment)} is not ${allowed}`);
  }
  return undefined;
}

/** Checks a service name against `company.service`. Pure; does not warn. */
export function checkServiceName(name: string): NameVerdict {
  return (
    checkBasics(name) ??
    checkDotted(name, 2, SERVICE_SEGMENT, SERVICE_SEGMENT, 'made of a-z, 0-9, "_" or "-" (starting with a-z or 0-9)') ??
    OK
  );
}

/** Checks a span name against `operation.action` or `METHOD /route`. Pure; does not warn. */
export function checkSpanName(name: string): NameVerdict {
  const basic = checkBasics(name);
  if (basic) return basic;
  const firstChar = name.charCodeAt(0);
  // An upper-case first letter can only be the HTTP form; anything else is judged as `operation.action`.
  if (firstChar >= 65 && firstChar <= 90) {
    const space = name.indexOf(' ');
    const method = space === -1 ? name : name.slice(0, space);
    if (!HTTP_METHODS.has(method)) {
      return fail(
        space === -1 && !name.includes('.')
          ? `${JSON.stringify(method)} is neither an HTTP method nor lower case`
          : `it has upper-case letters and ${JSON.stringify(method)} is not an HTTP method`,
      );
    }
    if (space === -1) return OK;
    const route = name.slice(space + 1);
    if (!ROUTE_TEMPLATE.test(route)) {
      return fail(
        `${JSON.stringify(route)} is not a route template (it must start with "/" and have no spaces, "?" or "#")`,
      );
    }
    return OK;
  }
  return (
    checkDotted(name, 2, SPAN_SEGMENT, SPAN_SEGMENT, 'made of a-z, 0-9, "_" or "-" (starting with a-z or 0-9)') ?? OK
  );
}

/** Checks a metric (instrument) name against `domain.object.measure`. Pure; does not warn. */
export function checkMetricName(name: string): NameVerdict {
  const basic = checkBasics(name);
  if (basic) return basic;
  if (name.length > MAX_METRIC_NAME_LENGTH) return fail(`it is longer than ${MAX_METRIC_NAME_LENGTH} characters`);
  return (
    checkDotted(
      name,
      3,
      METRIC_FIRST_SEGMENT,
      METRIC_SEGMENT,
      'made of a-z, 0-9 or "_" (the first segment starting with a letter)',
    ) ?? OK
  );
}

const CHECKS: Readonly<Record<NameKind, (name: string) => NameVerdict>> = {
  service: checkServiceName,
  span: checkSpanName,
  metric: checkMetricName,
};

/** Bound of the verdict cache and of the set of names already warned about, per process. */
export const NAMING_CACHE_LIMIT = 1000;

interface NamingMemory {
  readonly verdicts: Record<NameKind, Map<string, NameVerdict>>;
  readonly warned: Set<string>;
  overflowReported: boolean;
}

// Shared through globalThis so an app that loads both the ESM and the CJS build still warns once per name.
const MEMORY_KEY = Symbol.for('autotelemetry.naming.v1');
type GlobalWithNaming = typeof globalThis & { [MEMORY_KEY]?: NamingMemory };

function memory(): NamingMemory {
  const g = globalThis as GlobalWithNaming;
  let m = g[MEMORY_KEY];
  if (!m) {
    m = {
      verdicts: { service: new Map(), span: new Map(), metric: new Map() },
      warned: new Set(),
      overflowReported: false,
    };
    g[MEMORY_KEY] = m;
  }
  return m;
}

/**
 * Checks a name of the given kind, with a bounded verdict cache (names on hot paths repeat). Pure apart
 * from the cache; does not warn.
 */
export function checkName(kind: NameKind, name: string): NameVerdict {
  const cache = memory().verdicts[kind];
  const cached = cache.get(name);
  if (cached) return cached;
  const verdict = CHECKS[kind](name);
  if (cache.size < NAMING_CACHE_LIMIT && typeof name === 'string') cache.set(name, verdict);
  return verdict;
}

function report(message: string, data: Record<string, unknown>): void {
  const sink = resolveLogSink(undefined, 'autotelemetry.naming');
  if (sink !== undefined && typeof sink.warn === 'function') {
    writeLog(sink, 'warn', message, data);
    return;
  }
  try {
    process.emitWarning(message, { code: 'AUTOTELEMETRY_NAMING' });
  } catch {
    // A warning must never break the caller.
  }
}

function warnOnce(kind: NameKind, name: string, reason: string): void {
  const m = memory();
  const key = `${kind}\u0000${name}`;
  if (m.warned.has(key)) return;
  if (m.warned.size >= NAMING_CACHE_LIMIT) {
    if (!m.overflowReported) {
      m.overflowReported = true;
      report(
        `More than ${NAMING_CACHE_LIMIT} distinct names break the naming standard; further ones are not reported.`,
        {
          limit: NAMING_CACHE_LIMIT,
        },
      );
    }
    return;
  }
  m.warned.add(key);
  report(
    `${kind} name ${JSON.stringify(name)} breaks the naming standard: ${reason}. Expected ${NAMING_CONVENTIONS[kind]}.`,
    {
      'naming.kind': kind,
      'naming.name': name,
      'naming.reason': reason,
    },
  );
}

/**
 * Checks a name and acts on a bad one: throws a {@link NamingError} when `strict`, otherwise warns once per
 * name (through the pipeline's logger when one is running, else `process.emitWarning` with code
 * `AUTOTELEMETRY_NAMING`). `strict` defaults to the running pipeline's `strictNaming`.
 *
 * @returns the verdict, so a caller can still decide what to do with a bad name it was allowed to keep.
 */
export function enforceName(kind: NameKind, name: string, strict?: boolean): NameVerdict {
  const verdict = checkName(kind, name);
  if (verdict.ok) return verdict;
  const reason = verdict.reason ?? 'it breaks the convention';
  if (strict ?? readStateSlot()?.config.strictNaming ?? false) throw new NamingError(kind, name, reason);
  warnOnce(kind, name, reason);
  return verdict;
}

/**
 * Forgets which names were already warned about and the cached verdicts. For tests; an app has no reason
 * to call it.
 */
export function resetNamingMemory(): void {
  const m = memory();
  m.warned.clear();
  m.overflowReported = false;
  for (const kind of Object.keys(m.verdicts) as NameKind[]) m.verdicts[kind].clear();
}

function toSnakeWords(identifier: string): string {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/**
 * Turns code identifiers into an `operation.action` span name: each part in snake case, joined by dots
 * (`('OrderService', 'createOrder')` → `order_service.create_order`); dots inside a part are kept
 * (`('orders.api', 'list')` → `orders.api.list`). A single word-part splits at its first word
 * (`loadCustomerData` → `load.customer_data`); a lone word gets `function.` in front (`main` →
 * `function.main`). The result passes {@link checkSpanName} whenever the parts hold any letter or digit.
 */
export function spanNameFromIdentifiers(...parts: readonly string[]): string {
  const segments = parts.flatMap((part) => part.split('.').map(toSnakeWords)).filter((p) => p.length > 0);
  if (segments.length === 0) return 'function.anonymous';
  if (segments.length > 1) return segments.join('.');
  const single = segments[0] as string;
  const cut = single.indexOf('_');
  return cut === -1 ? `function.${single}` : `${single.slice(0, cut)}.${single.slice(cut + 1)}`;
}
