/**
 * Small builders for the PromQL the dashboards and rules share.
 *
 * A service's identity (`service.name`, `deployment.environment.name`) lives on the resource, which the
 * Prometheus exporter puts on one series per target, `target_info`, not on every series. Queries therefore
 * join each series to its target's `target_info` on `job` and `instance` (the labels Prometheus adds to
 * everything it scrapes) and copy the identity labels over. This works the same when a service is scraped
 * directly and when an OpenTelemetry Collector re-exposes it, and needs no change in the services.
 *
 * @packageDocumentation
 */
import { RESOURCE_LABELS, STANDARD_SERIES, TARGET_LABELS } from './standard-metrics.js';

/** Label matchers: label name to a regular expression (`=~`). */
export type Matchers = Readonly<Record<string, string>>;

/** Which services a query covers: regular expressions for the service name and the environment. */
export interface ServiceScope {
  /** Regular expression matched against `service_name`, e.g. `$service` in a dashboard or `.+` in a rule. */
  readonly service: string;
  /** Regular expression matched against `deployment_environment_name`. */
  readonly environment: string;
}

/** A scope matching every service in every environment. */
export const ALL_SERVICES: ServiceScope = Object.freeze({ service: '.+', environment: '.*' });

/** The identity labels copied from `target_info` onto joined series. */
export const IDENTITY_LABELS: readonly string[] = Object.freeze([RESOURCE_LABELS.service, RESOURCE_LABELS.environment]);

/** Quotes a string as a PromQL string literal. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** `name{label=~"regex", …}`; matchers whose regex is `.*` are left out, since they match everything. */
export function selector(name: string, matchers: Matchers = {}): string {
  const parts = Object.entries(matchers)
    .filter(([, regex]) => regex !== '.*')
    .map(([label, regex]) => `${label}=~${quote(regex)}`);
  return parts.length === 0 ? name : `${name}{${parts.join(', ')}}`;
}

/** `target_info` restricted to a scope. */
export function targetInfo(scope: ServiceScope): string {
  return selector(STANDARD_SERIES.targetInfo.name, {
    [RESOURCE_LABELS.service]: scope.service,
    [RESOURCE_LABELS.environment]: scope.environment,
  });
}

/**
 * `expr * on (job, instance) group_left (service_name, deployment_environment_name) target_info{…}`:
 * keeps the series of the scoped services and gives them their identity labels.
 */
export function withIdentity(expr: string, scope: ServiceScope): string {
  return `${expr} * on (${TARGET_LABELS.join(', ')}) group_left (${IDENTITY_LABELS.join(', ')}) ${targetInfo(scope)}`;
}

/** `sum by (labels) (inner)`. */
export function sumBy(labels: readonly string[], inner: string): string {
  return `sum by (${labels.join(', ')}) (${inner})`;
}

/** `max by (labels) (inner)`. */
export function maxBy(labels: readonly string[], inner: string): string {
  return `max by (${labels.join(', ')}) (${inner})`;
}

/** `fn(selector[window])`. */
export function rangeFn(
  fn: 'rate' | 'increase' | 'avg_over_time' | 'max_over_time' | 'last_over_time',
  sel: string,
  window: string,
) {
  return `${fn}(${sel}[${window}])`;
}

/** `histogram_quantile(q, sum by (le, labels) (rate(bucket[window]) * identity))`. */
export function quantile(
  q: number,
  bucketSelector: string,
  by: readonly string[],
  window: string,
  scope: ServiceScope,
): string {
  return `histogram_quantile(${q}, ${sumBy(['le', ...by], withIdentity(rangeFn('rate', bucketSelector, window), scope))})`;
}

/**
 * The share of `part` in `whole`, both summed by `by`, that is 0 (not absent) where `whole` has samples and
 * `part` has none: a service that never failed shows a 0 % error ratio, not an empty panel.
 */
export function ratio(part: string, whole: string): string {
  return `(${part} or ${whole} * 0) / ${whole}`;
}
