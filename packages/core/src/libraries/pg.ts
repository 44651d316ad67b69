/**
 * node-postgres (`pg` 8): spans from the maintained `@opentelemetry/instrumentation-pg`, applied to the
 * loaded package (otel-patch.ts), with the names and the statement text this project promises: the
 * instrumentation records the raw statement, so a request hook replaces it with the sanitized text before
 * the span ends (no exporter or processor's `onEnd` ever sees a literal) and renames the span
 * `SELECT shop.orders`. Its own metrics are left out: the duration histogram is recorded for every database
 * client alike from the spans (client-metrics.ts).
 */
import { createNoopMeter, type Span, type TracerProvider } from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { sqlSpanName, summarizeSql } from './sql.js';

export const POSTGRESQL_SYSTEM = 'postgresql';

interface QueryInfo {
  readonly query?: { readonly text?: unknown };
  readonly connection?: { readonly database?: unknown };
}

/** The request hook: sanitized text, operation, table and name from the statement. */
export function describePgQuery(span: Span, info: QueryInfo): void {
  const sql = info.query?.text;
  if (typeof sql !== 'string') return;
  const summary = summarizeSql(sql, 'postgresql');
  const database = info.connection?.database;
  span.setAttribute('db.query.text', summary.text);
  if (summary.operation !== undefined) span.setAttribute('db.operation.name', summary.operation);
  if (summary.collection !== undefined) span.setAttribute('db.collection.name', summary.collection);
  span.updateName(sqlSpanName(summary, typeof database === 'string' ? database : undefined, POSTGRESQL_SYSTEM));
}

const noMeters = { getMeter: () => createNoopMeter() };

/** Creates the instrumentation, loading its package now (only once `pg` is found). */
export function createPgInstrumentation(
  requireDependency: NodeJS.Require,
  tracerProvider: TracerProvider,
): InstrumentationBase {
  const { PgInstrumentation } = requireDependency('@opentelemetry/instrumentation-pg') as {
    PgInstrumentation: new (config: object) => InstrumentationBase;
  };
  const instrumentation = new PgInstrumentation({
    enabled: false,
    requireParentSpan: false,
    enhancedDatabaseReporting: false,
    requestHook: describePgQuery,
  });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(noMeters);
  return instrumentation;
}
