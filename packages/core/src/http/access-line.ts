/**
 * The lines a request's end writes: the access line (`GET /users/7 200 1.234 ms`, level by status) and,
 * for a 5xx with a recorded failure, the error line that also puts the exception on the span.
 *
 * The access line's `data` is `{"method","route"?,"path","status"?,"duration_ms","aborted"?}`, as the JSON
 * text of the line and as the attributes of its OpenTelemetry log record. Everything fixed for a (method,
 * route) pair is rendered once into a head kept on its route entry; a line then costs the quoted path, two
 * numbers and a concatenation. Written through the logger's {@link PreparedLineWriter}; loggers that cannot
 * take one get the same keys as an ordinary data object.
 */
import { context } from '@opentelemetry/api';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { LOG_LEVEL_VALUES, type LogLevel } from '../config/environment.js';
import { type PreparedLineWriter, preparedLineWriter } from '../logging/logger.js';
import { LOG_LIMITS, quote, truncateString } from '../logging/safe-json.js';
import { errorMessage } from '../span-failure.js';
import type { RequestLogger } from './adapter-contract.js';
import type { RequestRecord } from './request-record.js';
import { epochMillis } from './request-span.js';

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

type LevelMethodName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const LEVEL_METHOD: Readonly<Record<LogLevel, LevelMethodName>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
};

/** Whether `logger` writes `level` lines: pino's numeric threshold when it has one (no string parsing per call). */
function levelEnabled(logger: RequestLogger, level: LogLevel): boolean {
  const threshold = logger.levelVal;
  if (typeof threshold === 'number') return LOG_LEVEL_VALUES[level] >= threshold;
  return logger.isLevelEnabled?.(LEVEL_METHOD[level]) !== false;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Writes the error line of a 5xx with a recorded failure (called inside the request's context). */
function writeErrorLine(logger: RequestLogger, record: RequestRecord): void {
  logger.error(`${record.spanName} failed: ${errorMessage(record.failure)}`, record.failure);
}

/** Writes the access line the ordinary way (a logger without a prepared-line writer), inside the request's context. */
function logAccessLine(logger: RequestLogger, method: LevelMethodName, facts: AccessLineFacts): void {
  logger[method](accessMessage(facts), accessDataObject(facts));
}

/** The end-of-request lines of one lifecycle, written through its logger (the `http` child of the pipeline's). */
export class AccessLog {
  private readonly writer: PreparedLineWriter | undefined;

  /** @param level the `accessLog` option: `'auto'` (ERROR 5xx, WARN 4xx and aborted, else INFO), a level, or false. */
  constructor(
    readonly logger: RequestLogger,
    private readonly level: LogLevel | 'auto' | false,
  ) {
    this.writer = preparedLineWriter(logger, ACCESS_DATA_KEYS);
  }

  /** Whether a failed request's error line is written (the logger writes ERROR lines). */
  writesErrors(): boolean {
    return levelEnabled(this.logger, 'ERROR');
  }

  /** Writes the error line of `record` inside its context, so the logger records the exception on its span. */
  writeError(record: RequestRecord): void {
    context.with(record.context, writeErrorLine, undefined, this.logger, record);
  }

  /** Writes the access line of `record`, when its level is on; `head` caches the line's fixed part. */
  write(record: RequestRecord, head: AccessHeadHolder, status: number, aborted: boolean): void {
    const logger = this.logger;
    const level = this.levelFor(status, aborted);
    if (level === undefined || !levelEnabled(logger, level)) return;
    const facts: AccessLineFacts = {
      method: record.methodEntry.method,
      route: record.route,
      path: record.path,
      status,
      durationMs: round3(record.durationMs),
      aborted,
    };
    const writer = this.writer;
    if (writer === undefined) {
      context.with(record.context, logAccessLine, undefined, logger, LEVEL_METHOD[level], facts);
      return;
    }
    writer.write(
      LOG_LEVEL_VALUES[level],
      accessMessage(facts),
      accessDataJson(facts, head),
      accessDataAttributes(facts),
      record.span,
      record.context,
      epochMillis(record.endedAt),
    );
  }

  /** The access line's level for a status, or undefined when access lines are off. */
  levelFor(status: number, aborted: boolean): LogLevel | undefined {
    if (this.level === false) return undefined;
    if (this.level !== 'auto') return this.level;
    if (status >= 500) return 'ERROR';
    if (status >= 400 || aborted) return 'WARN';
    return 'INFO';
  }
}
