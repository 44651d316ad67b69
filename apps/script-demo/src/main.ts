/**
 * The seed's pipeline example, instrumented: one `autoInstrument(...)` line, then the logger, `traced()` and
 * `measure()` around plain data functions. It ends by itself with a clean shutdown.
 *
 * What a newcomer sees:
 * - stdout: JSON log lines in the seed's schema, with `trace_id`/`span_id` inside spans;
 * - stderr: one compact line per finished span (development's console exporter), then a summary of the
 *   metrics scraped once from the process's own Prometheus endpoint.
 */
import { autoInstrument, Environment } from '@autotelemetry/node';
import { aggregate, cleanRows, loadRows, type Row, report } from './pipeline.ts';

const metricsPort = Number(process.env.DEMO_METRICS_PORT ?? '9464');
const showMetrics = process.env.DEMO_METRICS_SUMMARY !== 'false';

// The one line. Development shows the most locally: spans on the console, /metrics, runtime metrics;
// jsonLogs gives the seed's JSON lines (PRODUCTION would force them, and export over OTLP instead).
const telemetry = autoInstrument({
  serviceName: 'demo.pipeline',
  serviceVersion: '1.0.0',
  environment: Environment.DEVELOPMENT,
  jsonLogs: true,
  prometheusPort: metricsPort,
  prometheusHost: '127.0.0.1',
  additionalAttributes: { 'team.name': 'data' },
});
const logger = telemetry.getLogger('pipeline');

// traced(): every call runs in a span named as given; errors are recorded on it and rethrown.
const clean = telemetry.traced(cleanRows, { name: 'pipeline.clean' });
let enrichCalls = 0;
const enrich = telemetry.traced(
  async (rows: Row[]): Promise<Row[]> => {
    enrichCalls++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The first call fails, as a flaky dependency does: the span gets the exception and ERROR status.
    if (enrichCalls === 1) throw new Error('reference service timed out');
    return rows;
  },
  { name: 'pipeline.enrich' },
);

await telemetry.getTracer('demo.pipeline').startActiveSpan('pipeline.run', async (run) => {
  try {
    logger.info('Loading data');
    // measure(): a span, duration/rows/throughput metrics and a summary line with rows_processed,
    // processing_time_ms and memory_usage_mb.
    const rows = await telemetry.measure('pipeline.load', () => loadRows(500));
    const valid = clean(rows);
    logger.info('Rows cleaned', { rows: rows.length, dropped: rows.length - valid.length });
    let enriched: Row[];
    try {
      enriched = await enrich(valid);
    } catch (error) {
      logger.warn('Enrichment failed, retrying once', { error });
      enriched = await enrich(valid);
    }
    const totals = telemetry.measure('pipeline.aggregate', () => aggregate(enriched, 50), { rows: enriched.length });
    logger.info('Processing done', {
      rows_processed: enriched.length,
      categories: totals.length,
      report: report(totals),
    });
  } catch (error) {
    logger.error('Pipeline failed', error);
    process.exitCode = 1;
  } finally {
    run.end();
  }
});

if (showMetrics) await printMetricsSummary();

// Optional: exiting flushes by itself too. Here the flush is awaited so the demo says when it is done.
await telemetry.shutdown();
process.stderr.write('\nClean shutdown: spans, metrics and log lines flushed.\n');

/** Scrapes the process's own /metrics once (that fetch is traced too: see its CLIENT span) and prints a digest. */
async function printMetricsSummary(): Promise<void> {
  // Runtime and system metrics take their first reading 1 s after start (a shorter script skips them).
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const url = `http://127.0.0.1:${metricsPort}/metrics`;
  let text: string;
  try {
    text = await (await fetch(url)).text();
  } catch {
    process.stderr.write(`\n(no metrics summary: ${url} is not being served; see the warning above)\n`);
    return;
  }
  const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]);
  const ownLines = text
    .split('\n')
    .filter((line) => line.startsWith('data_operation_') && !line.includes('_bucket{'))
    .map((line) => line.replace(/,?otel_scope_name="[^"]*"/, '').replace(/,?otel_scope_version="[^"]*"/, ''));
  const runtime = families.filter((name) => /^(process|nodejs|v8js|system)_/.test(name ?? ''));
  process.stderr.write(
    `\n── Metrics scraped from ${url} (${families.length} families, Prometheus text format) ──\n` +
      `${ownLines.map((line) => `  ${line}`).join('\n')}\n` +
      `  …and ${runtime.length} runtime/system families: ${runtime.slice(0, 8).join(', ')}, …\n`,
  );
}
