/**
 * mysql2, through the `mysql2:query` and `mysql2:execute` tracing channels it publishes (docs/libraries.md
 * says from which version): one CLIENT span
 * per query or prepared-statement execution, named `SELECT shop.orders`, with the statement's literals
 * replaced by `?`. The bound values (`values`) are never read.
 */
import type { Tracer } from '@opentelemetry/api';
import { type ClientOperation, traceChannels } from './channel-spans.js';
import { sqlSpanName, summarizeSql } from './sql.js';

/** The context mysql2 publishes for a statement. */
interface StatementContext {
  readonly query?: unknown;
  readonly database?: unknown;
  readonly serverAddress?: unknown;
  readonly serverPort?: unknown;
}

export const MYSQL_SYSTEM = 'mysql';

function describe(ctx: StatementContext): ClientOperation {
  const sql = typeof ctx.query === 'string' ? ctx.query : '';
  const summary = summarizeSql(sql, 'mysql');
  const namespace = typeof ctx.database === 'string' && ctx.database !== '' ? ctx.database : undefined;
  const attributes: Record<string, string | number> = { 'db.system.name': MYSQL_SYSTEM };
  if (namespace !== undefined) attributes['db.namespace'] = namespace;
  if (summary.operation !== undefined) attributes['db.operation.name'] = summary.operation;
  if (summary.collection !== undefined) attributes['db.collection.name'] = summary.collection;
  if (summary.text !== '') attributes['db.query.text'] = summary.text;
  if (typeof ctx.serverAddress === 'string') attributes['server.address'] = ctx.serverAddress;
  if (typeof ctx.serverPort === 'number') attributes['server.port'] = ctx.serverPort;
  return { name: sqlSpanName(summary, namespace, MYSQL_SYSTEM), attributes };
}

export const instrumentMysql2 = (tracer: Tracer): (() => void) =>
  traceChannels(tracer, [
    ['mysql2:query', describe],
    ['mysql2:execute', describe],
  ]);
