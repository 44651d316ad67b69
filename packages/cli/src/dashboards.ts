/**
 * The generated Grafana dashboards. Because every AutoTelemetry service exposes the same series under the
 * same labels, one pair of dashboards fits all of them; the `service`, `environment`, `route` and
 * `operation` variables pick what to look at.
 *
 * - `autotelemetry-services`: HTTP per service and route (rate, error ratio, p50/p95/p99 latency, active
 *   requests, status codes), database and cache calls per system, operation and table (rate, latency, error
 *   ratio), the runtime (CPU, RSS, heap, event-loop delay and utilisation, GC) and anomalies.
 * - `autotelemetry-data-operations`: what `measure()` records (duration, rows, throughput) per operation,
 *   and anomalies per operation.
 *
 * @packageDocumentation
 */
import {
  dashboard,
  datasourceVariable,
  type GrafanaDashboard,
  type PanelSpec,
  queryVariable,
  type RowSpec,
} from './grafana-model.js';
import { maxBy, quantile, rangeFn, ratio, type ServiceScope, selector, sumBy, withIdentity } from './promql.js';
import { RESOURCE_LABELS, STANDARD_SERIES as S } from './standard-metrics.js';

/** One generated dashboard and the file name it is written under. */
export interface GeneratedDashboard {
  /** File name, e.g. `autotelemetry-services.json`. */
  readonly fileName: string;
  readonly dashboard: GrafanaDashboard;
}

const SCOPE: ServiceScope = { service: '$service', environment: '$environment' };
const WINDOW = '$__rate_interval';
const SERVICE = RESOURCE_LABELS.service;
const ROUTE = 'http_route';
const OPERATION = 'data_operation_name';

function serviceVariables() {
  return [
    datasourceVariable(),
    queryVariable({
      name: 'service',
      label: 'Service',
      description: 'service.name of the services to show',
      query: `label_values(${S.targetInfo.name}, ${SERVICE})`,
    }),
    queryVariable({
      name: 'environment',
      label: 'Environment',
      description: 'deployment.environment.name of the services to show',
      query: `label_values(${selector(S.targetInfo.name, { [SERVICE]: '$service' })}, ${RESOURCE_LABELS.environment})`,
    }),
  ];
}

// `label_values` cannot filter by a label that lives on target_info, so the route and operation lists come
// from a joined query whose result lines the regex reads the label from.
function labelOfJoinedSeries(label: string, metric: string): { query: string; regex: string } {
  return {
    query: `query_result(count by (${label}) (${withIdentity(metric, SCOPE)}))`,
    regex: `/${label}="([^"]+)"/`,
  };
}

const httpCount = (extra: Record<string, string> = {}) =>
  rangeFn('rate', selector(`${S.httpServerDuration.name}_count`, { [ROUTE]: '$route', ...extra }), WINDOW);

function httpRow(): RowSpec {
  const requests = sumBy([SERVICE, ROUTE], withIdentity(httpCount(), SCOPE));
  const errors = sumBy([SERVICE, ROUTE], withIdentity(httpCount({ http_response_status_code: '5..' }), SCOPE));
  const bucket = selector(`${S.httpServerDuration.name}_bucket`, { [ROUTE]: '$route' });
  const latency = (q: number, legend: string) => ({
    expr: quantile(q, bucket, [SERVICE, ROUTE], WINDOW, SCOPE),
    legend: `${legend} {{${SERVICE}}} {{${ROUTE}}}`,
  });
  const panels: PanelSpec[] = [
    {
      title: 'Request rate',
      description: 'Requests per second, per service and route (from http.server.request.duration).',
      unit: 'reqps',
      min: 0,
      queries: [{ expr: requests, legend: `{{${SERVICE}}} {{${ROUTE}}}` }],
    },
    {
      title: 'Error ratio (5xx)',
      description: 'Share of requests answered with a 5xx status, per service and route.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      queries: [{ expr: ratio(errors, requests), legend: `{{${SERVICE}}} {{${ROUTE}}}` }],
    },
    {
      title: 'Latency p50 / p95 / p99',
      description: 'Request duration percentiles, per service and route, from the histogram buckets.',
      unit: 's',
      min: 0,
      queries: [latency(0.5, 'p50'), latency(0.95, 'p95'), latency(0.99, 'p99')],
    },
    {
      title: 'Active requests',
      description: 'Requests in flight (http.server.active_requests), per service.',
      unit: 'short',
      min: 0,
      queries: [
        {
          expr: sumBy([SERVICE], withIdentity(S.httpServerActive.name, SCOPE)),
          legend: `{{${SERVICE}}}`,
        },
      ],
    },
    {
      title: 'Responses by status code',
      description: 'Responses per second by HTTP status code, per service.',
      unit: 'reqps',
      min: 0,
      width: 24,
      queries: [
        {
          expr: sumBy([SERVICE, 'http_response_status_code'], withIdentity(httpCount(), SCOPE)),
          legend: '{{service_name}} {{http_response_status_code}}',
        },
      ],
    },
  ];
  return { title: 'HTTP', panels };
}

function runtimeRow(): RowSpec {
  const perInstance = [SERVICE, 'instance'];
  const legend = `{{${SERVICE}}} {{instance}}`;
  const gauge = (name: string) => maxBy(perInstance, withIdentity(name, SCOPE));
  const panels: PanelSpec[] = [
    {
      title: 'CPU',
      description: 'CPU time used per second of wall time (1 = one core busy), per instance.',
      unit: 'percentunit',
      min: 0,
      width: 8,
      queries: [
        { expr: sumBy(perInstance, withIdentity(rangeFn('rate', S.processCpuTime.name, WINDOW), SCOPE)), legend },
      ],
    },
    {
      title: 'Memory (RSS)',
      description: 'Resident set size of the process (process.memory.usage), per instance.',
      unit: 'bytes',
      min: 0,
      width: 8,
      queries: [{ expr: gauge(S.processMemoryUsage.name), legend }],
    },
    {
      title: 'Heap used',
      description: 'V8 heap in use, all heap spaces together, per instance.',
      unit: 'bytes',
      min: 0,
      width: 8,
      queries: [{ expr: sumBy(perInstance, withIdentity(S.heapUsed.name, SCOPE)), legend }],
    },
    {
      title: 'Event-loop delay',
      description: 'How late timers fire: p50, p99 and max over the last collection interval, per instance.',
      unit: 's',
      min: 0,
      width: 8,
      queries: [
        { expr: gauge(S.eventLoopDelayP50.name), legend: `p50 ${legend}` },
        { expr: gauge(S.eventLoopDelayP99.name), legend: `p99 ${legend}` },
        { expr: gauge(S.eventLoopDelayMax.name), legend: `max ${legend}` },
      ],
    },
    {
      title: 'Event-loop utilisation',
      description: 'Share of time the event loop was busy, per instance.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      width: 8,
      queries: [{ expr: gauge(S.eventLoopUtilization.name), legend }],
    },
    {
      title: 'Garbage collection',
      description: 'Time spent in GC per second of wall time, by GC type, per service.',
      unit: 'percentunit',
      min: 0,
      width: 8,
      queries: [
        {
          expr: sumBy(
            [SERVICE, 'v8js_gc_type'],
            withIdentity(rangeFn('rate', `${S.gcDuration.name}_sum`, WINDOW), SCOPE),
          ),
          legend: `{{${SERVICE}}} {{v8js_gc_type}}`,
        },
      ],
    },
  ];
  return { title: 'Runtime', panels };
}

function anomalyRow(keyMatcher: Record<string, string>): RowSpec {
  return {
    title: 'Anomalies',
    panels: [
      {
        title: 'Anomalies detected',
        description:
          'Latency outliers and error-rate jumps found by the in-process detector (autotelemetry.anomalies), per key.',
        unit: 'short',
        min: 0,
        width: 24,
        queries: [
          {
            expr: sumBy(
              [SERVICE, 'anomaly_kind', 'anomaly_key'],
              withIdentity(rangeFn('increase', selector(S.anomalies.name, keyMatcher), WINDOW), SCOPE),
            ),
            legend: `{{${SERVICE}}} {{anomaly_kind}} {{anomaly_key}}`,
          },
        ],
      },
    ],
  };
}

const DB_SYSTEM = 'db_system_name';
const DB_OPERATION = 'db_operation_name';
const DB_COLLECTION = 'db_collection_name';

/** The database and cache clients' calls, from the spans' db.client.operation.duration. */
function databaseRow(): RowSpec {
  const count = (extra: Record<string, string> = {}) =>
    rangeFn('rate', selector(`${S.dbClientDuration.name}_count`, extra), WINDOW);
  const byOperation = [SERVICE, DB_SYSTEM, DB_OPERATION, DB_COLLECTION];
  const legend = `{{${SERVICE}}} {{${DB_SYSTEM}}} {{${DB_OPERATION}}} {{${DB_COLLECTION}}}`;
  const bucket = selector(`${S.dbClientDuration.name}_bucket`);
  const calls = sumBy(byOperation, withIdentity(count(), SCOPE));
  const failures = sumBy(byOperation, withIdentity(count({ error_type: '.+' }), SCOPE));
  const panels: PanelSpec[] = [
    {
      title: 'Database calls per second',
      description:
        'Queries and commands per second, per database system, operation and table (db.client.operation.duration).',
      unit: 'ops',
      min: 0,
      queries: [{ expr: calls, legend }],
    },
    {
      title: 'Database latency p50 / p95 / p99',
      description: 'Duration of database and cache calls as the client saw them, per system, operation and table.',
      unit: 's',
      min: 0,
      queries: [0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, bucket, byOperation, WINDOW, SCOPE),
        legend: `p${Math.round(q * 100)} ${legend}`,
      })),
    },
    {
      title: 'Database error ratio',
      description: 'Share of database and cache calls that failed (error.type set), per system, operation and table.',
      unit: 'percentunit',
      min: 0,
      queries: [{ expr: ratio(failures, calls), legend }],
    },
  ];
  return { title: 'Database clients', panels };
}

const MESSAGING_SYSTEM = 'messaging_system';
const MESSAGING_OPERATION = 'messaging_operation_name';
const MESSAGING_DESTINATION = 'messaging_destination_name';

/**
 * The messages a service sends and processes, from the spans' messaging.client.operation.duration (publish,
 * settle) and messaging.process.duration (a consumer's handling of one message).
 */
function messagingRow(): RowSpec {
  const client = S.messagingClientDuration.name;
  const processed = S.messagingProcessDuration.name;
  const rate = (family: string, extra: Record<string, string> = {}) =>
    rangeFn('rate', selector(`${family}_count`, extra), WINDOW);
  const byOperation = [SERVICE, MESSAGING_SYSTEM, MESSAGING_OPERATION, MESSAGING_DESTINATION];
  const byDestination = [SERVICE, MESSAGING_SYSTEM, MESSAGING_DESTINATION];
  const operationLegend = `{{${SERVICE}}} {{${MESSAGING_SYSTEM}}} {{${MESSAGING_OPERATION}}} {{${MESSAGING_DESTINATION}}}`;
  const destinationLegend = `{{${SERVICE}}} {{${MESSAGING_SYSTEM}}} {{${MESSAGING_DESTINATION}}}`;
  const processedRate = sumBy(byDestination, withIdentity(rate(processed), SCOPE));
  const processFailures = sumBy(byDestination, withIdentity(rate(processed, { error_type: '.+' }), SCOPE));
  const panels: PanelSpec[] = [
    {
      title: 'Messages sent and processed per second',
      description:
        'Publishes and settlements per second per system, operation and destination (messaging.client.operation.duration), and messages processed per second per destination (messaging.process.duration).',
      unit: 'ops',
      min: 0,
      queries: [
        { expr: sumBy(byOperation, withIdentity(rate(client), SCOPE)), legend: operationLegend },
        { expr: processedRate, legend: `process ${destinationLegend}` },
      ],
    },
    {
      title: 'Publish latency p50 / p95 / p99',
      description:
        'Duration of publish and settle calls as the client saw them, per system, operation and destination.',
      unit: 's',
      min: 0,
      queries: [0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, selector(`${client}_bucket`), byOperation, WINDOW, SCOPE),
        legend: `p${Math.round(q * 100)} ${operationLegend}`,
      })),
    },
    {
      title: 'Processing duration p50 / p95 / p99',
      description: 'Time a consumer spent handling one message, per system and destination.',
      unit: 's',
      min: 0,
      queries: [0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, selector(`${processed}_bucket`), byDestination, WINDOW, SCOPE),
        legend: `p${Math.round(q * 100)} ${destinationLegend}`,
      })),
    },
    {
      title: 'Processing error ratio',
      description:
        'Share of processed messages that failed (rejected, nacked or thrown; error.type set), per destination.',
      unit: 'percentunit',
      min: 0,
      queries: [{ expr: ratio(processFailures, processedRate), legend: destinationLegend }],
    },
  ];
  return { title: 'Messaging', panels };
}

function dataRow(): RowSpec {
  const op = { [OPERATION]: '$operation' };
  const by = [SERVICE, OPERATION];
  const legend = `{{${SERVICE}}} {{${OPERATION}}}`;
  const durationBucket = selector(`${S.dataDuration.name}_bucket`, op);
  const durationCount = rangeFn('rate', selector(`${S.dataDuration.name}_count`, op), WINDOW);
  const throughputSum = rangeFn('rate', selector(`${S.dataThroughput.name}_sum`, op), WINDOW);
  const throughputCount = rangeFn('rate', selector(`${S.dataThroughput.name}_count`, op), WINDOW);
  const panels: PanelSpec[] = [
    {
      title: 'Operations per second',
      description: 'Runs of measure() per second, per operation.',
      unit: 'ops',
      min: 0,
      queries: [{ expr: sumBy(by, withIdentity(durationCount, SCOPE)), legend }],
    },
    {
      title: 'Duration p50 / p95 / p99',
      description: 'Duration of measured operations (data.operation.duration), per operation.',
      unit: 's',
      min: 0,
      queries: [0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, durationBucket, by, WINDOW, SCOPE),
        legend: `p${Math.round(q * 100)} ${legend}`,
      })),
    },
    {
      title: 'Rows per second',
      description: 'Rows processed per second of wall time (data.operation.rows), per operation.',
      unit: 'suffix: rows/s',
      min: 0,
      queries: [
        { expr: sumBy(by, withIdentity(rangeFn('rate', selector(S.dataRows.name, op), WINDOW), SCOPE)), legend },
      ],
    },
    {
      title: 'Throughput per run',
      description: 'Average rows per second within a run (data.operation.throughput), per operation.',
      unit: 'suffix: rows/s',
      min: 0,
      queries: [
        {
          expr: `${sumBy(by, withIdentity(throughputSum, SCOPE))} / ${sumBy(by, withIdentity(throughputCount, SCOPE))}`,
          legend,
        },
      ],
    },
  ];
  return { title: 'Data operations', panels };
}

/** Builds the dashboards. Pure: the same call always returns the same JSON. */
export function generateDashboards(): GeneratedDashboard[] {
  const route = labelOfJoinedSeries(ROUTE, `${S.httpServerDuration.name}_count`);
  const operation = labelOfJoinedSeries(OPERATION, `${S.dataDuration.name}_count`);
  const services = dashboard({
    uid: 'autotelemetry-services',
    title: 'AutoTelemetry / Services',
    description:
      'HTTP, database calls, runtime and anomalies of every service instrumented with AutoTelemetry (generated by `autotelemetry dashboards`).',
    variables: [
      ...serviceVariables(),
      queryVariable({ name: 'route', label: 'Route', description: 'http.route templates to show', ...route }),
    ],
    rows: [httpRow(), databaseRow(), messagingRow(), runtimeRow(), anomalyRow({ anomaly_key: '.*' })],
  });
  const data = dashboard({
    uid: 'autotelemetry-data-operations',
    title: 'AutoTelemetry / Data operations',
    description:
      'What measure() records for each data operation: runs, duration, rows and throughput (generated by `autotelemetry dashboards`).',
    variables: [
      ...serviceVariables(),
      queryVariable({ name: 'operation', label: 'Operation', description: 'measure() operation names', ...operation }),
    ],
    rows: [dataRow(), anomalyRow({ anomaly_key: '$operation' })],
  });
  return [
    { fileName: 'autotelemetry-services.json', dashboard: services },
    { fileName: 'autotelemetry-data-operations.json', dashboard: data },
  ];
}

/** A PromQL expression of a generated dashboard and where it is used. */
export interface DashboardQuery {
  /** `uid / panel title / refId`, or `uid / $variable`. */
  readonly where: string;
  readonly expr: string;
}

/** Every panel query of a dashboard. */
export function dashboardQueries(d: GrafanaDashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of d.panels) {
    if (p.type !== 'timeseries') continue;
    for (const t of p.targets) out.push({ where: `${d.uid} / ${p.title} / ${t.refId}`, expr: t.expr });
  }
  return out;
}

/**
 * The PromQL behind each query variable: `label_values(sel, label)` is `group by (label) (sel)` and
 * `query_result(q)` is `q`, which is how Grafana's Prometheus data source evaluates them.
 */
export function variableQueries(d: GrafanaDashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const labelValues = /^label_values\((.*), (\w+)\)$/.exec(v.query);
    const queryResult = /^query_result\((.*)\)$/.exec(v.query);
    const expr = labelValues ? `group by (${labelValues[2]}) (${labelValues[1]})` : queryResult?.[1];
    if (expr !== undefined) out.push({ where: `${d.uid} / $${v.name}`, expr });
  }
  return out;
}
