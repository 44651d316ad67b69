/**
 * The series an AutoTelemetry service exposes on its Prometheus `/metrics` endpoint, under the names and
 * labels Prometheus stores them with (dots become underscores, counters gain `_total`, histograms become
 * `_bucket`/`_count`/`_sum`; the exporter adds no unit suffix).
 *
 * Every dashboard panel and alert rule is written against this one table, and a test scrapes a real
 * service's endpoint and checks each entry is there with these labels, so a rename in the pipeline breaks
 * a test instead of silently emptying a dashboard.
 *
 * @packageDocumentation
 */

/** How a series family is exposed. */
export type PrometheusKind = 'counter' | 'gauge' | 'histogram';

/** Where a series comes from, which decides which services are expected to have it. */
export type SignalGroup = 'identity' | 'http' | 'runtime' | 'data' | 'database' | 'messaging' | 'anomaly';

/** One metric family as Prometheus stores it. */
export interface StandardSeries {
  /** The family name in Prometheus (for a histogram, without `_bucket`/`_count`/`_sum`). */
  readonly name: string;
  /** The OpenTelemetry instrument it is exported from. */
  readonly otelName: string;
  readonly kind: PrometheusKind;
  /** The unit of the values (`s`, `By`, `1`, `{request}`…), as the instrument declares it. */
  readonly unit: string;
  readonly group: SignalGroup;
  /** Labels the dashboards and rules rely on (every point carries them). */
  readonly labels: readonly string[];
  /** Labels present only on some points (e.g. `error_type` on failed requests). */
  readonly optionalLabels?: readonly string[];
}

/** Labels of `target_info`, the series that carries the resource (service identity) of each scraped target. */
export const RESOURCE_LABELS = Object.freeze({
  service: 'service_name',
  environment: 'deployment_environment_name',
  version: 'service_version',
} as const);

/** Labels Prometheus itself adds to every scraped series; they identify the target. */
export const TARGET_LABELS: readonly string[] = Object.freeze(['job', 'instance']);

const series = (s: StandardSeries): StandardSeries => Object.freeze(s);

/** The standard series, by role. */
export const STANDARD_SERIES = Object.freeze({
  targetInfo: series({
    name: 'target_info',
    otelName: '(resource)',
    kind: 'gauge',
    unit: '1',
    group: 'identity',
    labels: [RESOURCE_LABELS.service, RESOURCE_LABELS.environment, RESOURCE_LABELS.version],
  }),
  httpServerDuration: series({
    name: 'http_server_request_duration',
    otelName: 'http.server.request.duration',
    kind: 'histogram',
    unit: 's',
    group: 'http',
    labels: ['http_request_method', 'http_route', 'http_response_status_code'],
    optionalLabels: ['error_type'],
  }),
  httpServerActive: series({
    name: 'http_server_active_requests',
    otelName: 'http.server.active_requests',
    kind: 'gauge',
    unit: '{request}',
    group: 'http',
    labels: ['http_request_method'],
  }),
  processCpuTime: series({
    name: 'process_cpu_time_total',
    otelName: 'process.cpu.time',
    kind: 'counter',
    unit: 's',
    group: 'runtime',
    labels: ['cpu_mode'],
  }),
  processMemoryUsage: series({
    name: 'process_memory_usage',
    otelName: 'process.memory.usage',
    kind: 'gauge',
    unit: 'By',
    group: 'runtime',
    labels: [],
  }),
  heapUsed: series({
    name: 'v8js_memory_heap_used',
    otelName: 'v8js.memory.heap.used',
    kind: 'gauge',
    unit: 'By',
    group: 'runtime',
    labels: ['v8js_heap_space_name'],
  }),
  eventLoopDelayP50: series({
    name: 'nodejs_eventloop_delay_p50',
    otelName: 'nodejs.eventloop.delay.p50',
    kind: 'gauge',
    unit: 's',
    group: 'runtime',
    labels: [],
  }),
  eventLoopDelayP99: series({
    name: 'nodejs_eventloop_delay_p99',
    otelName: 'nodejs.eventloop.delay.p99',
    kind: 'gauge',
    unit: 's',
    group: 'runtime',
    labels: [],
  }),
  eventLoopDelayMax: series({
    name: 'nodejs_eventloop_delay_max',
    otelName: 'nodejs.eventloop.delay.max',
    kind: 'gauge',
    unit: 's',
    group: 'runtime',
    labels: [],
  }),
  eventLoopUtilization: series({
    name: 'nodejs_eventloop_utilization',
    otelName: 'nodejs.eventloop.utilization',
    kind: 'gauge',
    unit: '1',
    group: 'runtime',
    labels: [],
  }),
  gcDuration: series({
    name: 'v8js_gc_duration',
    otelName: 'v8js.gc.duration',
    kind: 'histogram',
    unit: 's',
    group: 'runtime',
    labels: ['v8js_gc_type'],
  }),
  dataDuration: series({
    name: 'data_operation_duration',
    otelName: 'data.operation.duration',
    kind: 'histogram',
    unit: 's',
    group: 'data',
    labels: ['data_operation_name'],
  }),
  dataRows: series({
    name: 'data_operation_rows_total',
    otelName: 'data.operation.rows',
    kind: 'counter',
    unit: '{row}',
    group: 'data',
    labels: ['data_operation_name'],
  }),
  dataThroughput: series({
    name: 'data_operation_throughput',
    otelName: 'data.operation.throughput',
    kind: 'histogram',
    unit: '{row}/s',
    group: 'data',
    labels: ['data_operation_name'],
  }),
  dbClientDuration: series({
    name: 'db_client_operation_duration',
    otelName: 'db.client.operation.duration',
    kind: 'histogram',
    unit: 's',
    group: 'database',
    labels: ['db_system_name', 'db_operation_name'],
    optionalLabels: ['db_namespace', 'db_collection_name', 'server_address', 'server_port', 'error_type'],
  }),
  messagingClientDuration: series({
    name: 'messaging_client_operation_duration',
    otelName: 'messaging.client.operation.duration',
    kind: 'histogram',
    unit: 's',
    group: 'messaging',
    labels: ['messaging_system', 'messaging_operation_name'],
    optionalLabels: [
      'messaging_operation_type',
      'messaging_destination_name',
      'server_address',
      'server_port',
      'error_type',
    ],
  }),
  messagingProcessDuration: series({
    name: 'messaging_process_duration',
    otelName: 'messaging.process.duration',
    kind: 'histogram',
    unit: 's',
    group: 'messaging',
    labels: ['messaging_system', 'messaging_operation_name'],
    optionalLabels: ['messaging_destination_name', 'server_address', 'server_port', 'error_type'],
  }),
  anomalies: series({
    name: 'autotelemetry_anomalies_total',
    otelName: 'autotelemetry.anomalies',
    kind: 'counter',
    unit: '{anomaly}',
    group: 'anomaly',
    labels: ['anomaly_kind', 'anomaly_key'],
  }),
} as const);

/** The names under which a family's samples appear in an exposition (a histogram has three). */
export function sampleNames(entry: StandardSeries): readonly string[] {
  return entry.kind === 'histogram'
    ? [`${entry.name}_bucket`, `${entry.name}_count`, `${entry.name}_sum`]
    : [entry.name];
}
