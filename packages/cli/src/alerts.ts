/**
 * The generated Prometheus rule file: one group whose recording rules compute each signal per service
 * (from the standard series joined to `target_info`), followed by the alerts that compare those signals
 * with the thresholds. Rules of a group run in order, so each alert sees the signal of the same evaluation.
 *
 * Alerts: high 5xx ratio, high p99 latency (per route), anomaly bursts, event-loop delay, instance down, and
 * for the clients a service talks to: failing database calls (per system, operation and table) and failing
 * message processing (per system and destination).
 *
 * @packageDocumentation
 */
import { type AlertThresholds, DEFAULT_ALERT_THRESHOLDS } from './alert-thresholds.js';
import {
  ALL_SERVICES,
  IDENTITY_LABELS,
  maxBy,
  quantile,
  rangeFn,
  ratio,
  selector,
  sumBy,
  withIdentity,
} from './promql.js';
import { STANDARD_SERIES as S, TARGET_LABELS } from './standard-metrics.js';
import { toYaml } from './yaml.js';

/** A recording rule. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

/** An alerting rule. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** A rule group. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

/** A Prometheus rule file. */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

/** Name of the generated rule group. */
export const RULE_GROUP_NAME = 'autotelemetry';

/** The names of the recording rules, for a given window (e.g. `5m`). */
export function recordNames(window: string) {
  return Object.freeze({
    requests: `service:http_server_requests:rate${window}`,
    errorRatio: `service:http_server_errors:ratio_rate${window}`,
    routeRequests: `service_route:http_server_requests:rate${window}`,
    routeP99: `service_route:http_server_request_duration:p99_${window}`,
    anomalies: `service:autotelemetry_anomalies:increase${window}`,
    eventLoopDelayP99: `instance:nodejs_eventloop_delay_p99:avg${window}`,
    dbCalls: `service_db_operation:db_client_operations:rate${window}`,
    dbErrorRatio: `service_db_operation:db_client_errors:ratio_rate${window}`,
    messagesProcessed: `service_destination:messaging_process:rate${window}`,
    messageErrorRatio: `service_destination:messaging_process_errors:ratio_rate${window}`,
    up: 'instance:autotelemetry_up:last',
  });
}

/** The names of the alerts. */
export const ALERT_NAMES = Object.freeze({
  errorRatio: 'AutoTelemetryHighErrorRatio',
  latencyP99: 'AutoTelemetryHighLatencyP99',
  anomalyBurst: 'AutoTelemetryAnomalyBurst',
  eventLoopDelay: 'AutoTelemetryEventLoopDelay',
  instanceDown: 'AutoTelemetryInstanceDown',
  databaseErrorRatio: 'AutoTelemetryDatabaseErrorRatio',
  messagingErrorRatio: 'AutoTelemetryMessageProcessingErrorRatio',
} as const);

const SERVICE_LABELS = IDENTITY_LABELS;
const ROUTE_LABELS = [...IDENTITY_LABELS, 'http_route'];
const INSTANCE_LABELS = [...IDENTITY_LABELS, ...TARGET_LABELS];
const DB_OPERATION_LABELS = [...IDENTITY_LABELS, 'db_system_name', 'db_operation_name', 'db_collection_name'];
const DESTINATION_LABELS = [...IDENTITY_LABELS, 'messaging_system', 'messaging_destination_name'];

function percent(ratioValue: number): string {
  return `${Math.round(ratioValue * 10_000) / 100}%`;
}

function seconds(value: number): string {
  return value < 1 ? `${Math.round(value * 1000)}ms` : `${value}s`;
}

/** Builds the rule file's content. Pure. */
export function generateRules(thresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS): RuleFile {
  const w = thresholds.window;
  const r = recordNames(w);
  const count = `${S.httpServerDuration.name}_count`;
  const requests = sumBy(SERVICE_LABELS, withIdentity(rangeFn('rate', count, w), ALL_SERVICES));
  const errors = sumBy(
    SERVICE_LABELS,
    withIdentity(rangeFn('rate', selector(count, { http_response_status_code: '5..' }), w), ALL_SERVICES),
  );
  const dbCount = `${S.dbClientDuration.name}_count`;
  const dbCalls = sumBy(DB_OPERATION_LABELS, withIdentity(rangeFn('rate', dbCount, w), ALL_SERVICES));
  const dbFailures = sumBy(
    DB_OPERATION_LABELS,
    withIdentity(rangeFn('rate', selector(dbCount, { error_type: '.+' }), w), ALL_SERVICES),
  );
  const processCount = `${S.messagingProcessDuration.name}_count`;
  const processed = sumBy(DESTINATION_LABELS, withIdentity(rangeFn('rate', processCount, w), ALL_SERVICES));
  const processFailures = sumBy(
    DESTINATION_LABELS,
    withIdentity(rangeFn('rate', selector(processCount, { error_type: '.+' }), w), ALL_SERVICES),
  );
  const who = '{{ $labels.service_name }} ({{ $labels.deployment_environment_name }})';
  const dashboardHint = 'See the AutoTelemetry / Services dashboard';

  const records: RecordingRule[] = [
    { record: r.requests, expr: requests },
    { record: r.errorRatio, expr: ratio(errors, requests) },
    {
      record: r.routeRequests,
      expr: sumBy(ROUTE_LABELS, withIdentity(rangeFn('rate', count, w), ALL_SERVICES)),
    },
    {
      record: r.routeP99,
      expr: quantile(0.99, `${S.httpServerDuration.name}_bucket`, ROUTE_LABELS, w, ALL_SERVICES),
    },
    {
      record: r.anomalies,
      expr: sumBy(SERVICE_LABELS, withIdentity(rangeFn('increase', S.anomalies.name, w), ALL_SERVICES)),
    },
    {
      record: r.eventLoopDelayP99,
      expr: maxBy(INSTANCE_LABELS, withIdentity(rangeFn('avg_over_time', S.eventLoopDelayP99.name, w), ALL_SERVICES)),
    },
    { record: r.dbCalls, expr: dbCalls },
    { record: r.dbErrorRatio, expr: ratio(dbFailures, dbCalls) },
    { record: r.messagesProcessed, expr: processed },
    { record: r.messageErrorRatio, expr: ratio(processFailures, processed) },
    {
      // `up` has no service identity, and target_info vanishes with a dead target: remember the last
      // target_info seen within the lookback so a down instance still says which service it was.
      record: r.up,
      expr: `up * on (${TARGET_LABELS.join(', ')}) group_left (${SERVICE_LABELS.join(', ')}) ${maxBy(
        INSTANCE_LABELS,
        rangeFn('last_over_time', S.targetInfo.name, thresholds.instanceDown.lookback),
      )}`,
    },
  ];

  const t = thresholds;
  const alerts: AlertingRule[] = [
    {
      alert: ALERT_NAMES.errorRatio,
      expr: `${r.errorRatio} > ${t.errorRatio.threshold}\nand\n${r.requests} >= ${t.minRequestRate}`,
      for: t.errorRatio.for,
      labels: { severity: t.errorRatio.severity },
      annotations: {
        summary: `${who}: {{ $value | humanizePercentage }} of HTTP requests fail with 5xx`,
        description: `More than ${percent(t.errorRatio.threshold)} of the HTTP requests of {{ $labels.service_name }} got a 5xx answer over ${w}. ${dashboardHint} (Error ratio, Responses by status code) and the service's ERROR log lines, which carry trace_id.`,
      },
    },
    {
      alert: ALERT_NAMES.latencyP99,
      expr: `${r.routeP99} > ${t.latencyP99.threshold}\nand\n${r.routeRequests} >= ${t.minRequestRate}`,
      for: t.latencyP99.for,
      labels: { severity: t.latencyP99.severity },
      annotations: {
        summary: `${who} {{ $labels.http_route }}: p99 latency {{ $value | humanizeDuration }}`,
        description: `The slowest 1% of requests to {{ $labels.http_route }} take more than ${seconds(t.latencyP99.threshold)} (over ${w}). ${dashboardHint} (Latency) and the slow spans of that route.`,
      },
    },
    {
      alert: ALERT_NAMES.anomalyBurst,
      expr: `${r.anomalies} >= ${t.anomalyBurst.threshold}`,
      for: t.anomalyBurst.for,
      labels: { severity: t.anomalyBurst.severity },
      annotations: {
        summary: `${who}: {{ $value | printf "%.0f" }} anomalies in ${w}`,
        description: `The in-process detector flagged at least ${t.anomalyBurst.threshold} latency outliers or error-rate jumps within ${w}. ${dashboardHint} (Anomalies) and the WARN log lines "anomaly detected" for the keys involved.`,
      },
    },
    {
      alert: ALERT_NAMES.eventLoopDelay,
      expr: `${r.eventLoopDelayP99} > ${t.eventLoopDelay.threshold}`,
      for: t.eventLoopDelay.for,
      labels: { severity: t.eventLoopDelay.severity },
      annotations: {
        summary: `${who} {{ $labels.instance }}: event-loop delay p99 {{ $value | humanizeDuration }}`,
        description: `The event loop of this instance is blocked: its p99 delay averaged more than ${seconds(t.eventLoopDelay.threshold)} over ${w}, so every request waits. Look for synchronous work (CPU, large JSON, sync I/O) with a CPU profile.`,
      },
    },
    {
      alert: ALERT_NAMES.databaseErrorRatio,
      expr: `${r.dbErrorRatio} > ${t.databaseErrorRatio.threshold}\nand\n${r.dbCalls} >= ${t.minRequestRate}`,
      for: t.databaseErrorRatio.for,
      labels: { severity: t.databaseErrorRatio.severity },
      annotations: {
        summary: `${who}: {{ $value | humanizePercentage }} of {{ $labels.db_system_name }} {{ $labels.db_operation_name }} {{ $labels.db_collection_name }} calls fail`,
        description: `More than ${percent(t.databaseErrorRatio.threshold)} of the {{ $labels.db_system_name }} {{ $labels.db_operation_name }} calls on {{ $labels.db_collection_name }} failed over ${w}. ${dashboardHint} (Database clients) and the ERROR client spans, whose error.type and exception say why.`,
      },
    },
    {
      alert: ALERT_NAMES.messagingErrorRatio,
      expr: `${r.messageErrorRatio} > ${t.messagingErrorRatio.threshold}\nand\n${r.messagesProcessed} >= ${t.minRequestRate}`,
      for: t.messagingErrorRatio.for,
      labels: { severity: t.messagingErrorRatio.severity },
      annotations: {
        summary: `${who}: {{ $value | humanizePercentage }} of the messages from {{ $labels.messaging_destination_name }} fail`,
        description: `More than ${percent(t.messagingErrorRatio.threshold)} of the {{ $labels.messaging_system }} messages processed from {{ $labels.messaging_destination_name }} were rejected or failed over ${w}. ${dashboardHint} (Messaging) and the consumer's ERROR process spans, each in the trace of the request that sent the message.`,
      },
    },
    {
      alert: ALERT_NAMES.instanceDown,
      expr: `${r.up} == 0`,
      for: t.instanceDown.for,
      labels: { severity: t.instanceDown.severity },
      annotations: {
        summary: `${who} {{ $labels.instance }} is down`,
        description: `Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}) of {{ $labels.service_name }}: the process is gone, or its /metrics endpoint is not reachable.`,
      },
    },
  ];

  return { groups: [{ name: RULE_GROUP_NAME, rules: [...records, ...alerts] }] };
}

/** The rule file as YAML, with a header saying how it was made. */
export function renderRules(file: RuleFile, thresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS): string {
  const header = [
    '# Prometheus rules for services instrumented with AutoTelemetry.',
    '# Generated by `autotelemetry alerts`; edit the thresholds with its flags or --config, not here.',
    `# Thresholds: ${JSON.stringify(thresholds)}`,
    '',
  ].join('\n');
  return `${header}${toYaml(file as unknown as Parameters<typeof toYaml>[0])}`;
}
