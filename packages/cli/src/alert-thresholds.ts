/**
 * Thresholds of the generated alert rules: defaults, a JSON config file, command-line flags (flags win
 * over the file, the file over the defaults), each value checked with an error naming where it came from.
 *
 * @packageDocumentation
 */

/** Severity label put on an alert. */
export type AlertSeverity = 'critical' | 'warning' | 'info';

/** Settings shared by every alert. */
export interface AlertSettings {
  /** How long the condition must hold before the alert fires (a Prometheus duration, e.g. `5m`). */
  readonly for: string;
  /** The `severity` label. */
  readonly severity: AlertSeverity;
}

/** Every threshold of the rule file. */
export interface AlertThresholds {
  /** Window of the rates and increases, a Prometheus duration. Default `5m`. */
  readonly window: string;
  /**
   * Requests (database calls, processed messages) per second under which the error-ratio and latency alerts
   * stay quiet. Default `0.1`.
   */
  readonly minRequestRate: number;
  /** Share of 5xx responses (0–1) above which a service alerts. Default `0.05` for `5m`. */
  readonly errorRatio: AlertSettings & { readonly threshold: number };
  /** p99 request duration in seconds above which a route alerts. Default `1` (1 s) for `10m`. */
  readonly latencyP99: AlertSettings & { readonly threshold: number };
  /** Anomalies within the window at or above which a service alerts. Default `5`, at once. */
  readonly anomalyBurst: AlertSettings & { readonly threshold: number };
  /** Event-loop delay p99 in seconds above which an instance alerts. Default `0.2` (200 ms) for `5m`. */
  readonly eventLoopDelay: AlertSettings & { readonly threshold: number };
  /** Share of failed database calls (0–1) above which an operation alerts. Default `0.05` for `5m`. */
  readonly databaseErrorRatio: AlertSettings & { readonly threshold: number };
  /** Share of failed message processing (0–1) above which a destination alerts. Default `0.05` for `5m`. */
  readonly messagingErrorRatio: AlertSettings & { readonly threshold: number };
  /** A target that stopped answering scrapes; `lookback` is how long a gone service is remembered. */
  readonly instanceDown: AlertSettings & { readonly lookback: string };
}

/** The defaults. */
export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = Object.freeze({
  window: '5m',
  minRequestRate: 0.1,
  errorRatio: Object.freeze({ threshold: 0.05, for: '5m', severity: 'critical' as const }),
  latencyP99: Object.freeze({ threshold: 1, for: '10m', severity: 'warning' as const }),
  anomalyBurst: Object.freeze({ threshold: 5, for: '0m', severity: 'warning' as const }),
  eventLoopDelay: Object.freeze({ threshold: 0.2, for: '5m', severity: 'warning' as const }),
  databaseErrorRatio: Object.freeze({ threshold: 0.05, for: '5m', severity: 'warning' as const }),
  messagingErrorRatio: Object.freeze({ threshold: 0.05, for: '5m', severity: 'warning' as const }),
  instanceDown: Object.freeze({ for: '1m', severity: 'critical' as const, lookback: '1h' }),
});

/** A threshold that cannot be used; names the setting, where it came from and what is accepted. */
export class AlertConfigError extends Error {
  override readonly name = 'AlertConfigError';
  constructor(
    readonly setting: string,
    readonly value: unknown,
    readonly accepted: string,
    readonly from: string,
  ) {
    super(
      `Invalid alert setting "${setting}" (from ${from}): ${JSON.stringify(value) ?? String(value)}. Accepted: ${accepted}.`,
    );
  }
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** Checks a Prometheus duration (`30s`, `5m`, `1h30m`). */
export function parseDuration(setting: string, value: unknown, from: string): string {
  if (typeof value === 'string' && DURATION.test(value.trim())) return value.trim();
  throw new AlertConfigError(setting, value, 'a Prometheus duration such as 30s, 5m or 1h30m', from);
}

/** Seconds in a Prometheus duration. */
export function durationSeconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(n) * (UNIT_SECONDS[unit as string] ?? 0);
  }
  return total;
}

function parseNumber(
  setting: string,
  value: unknown,
  from: string,
  min: number,
  max: number,
  accepted: string,
): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max) return n;
  throw new AlertConfigError(setting, value, accepted, from);
}

/** A ratio: `0.05` or `5%`. */
function parseRatio(setting: string, value: unknown, from: string): number {
  const accepted = 'a ratio from 0 to 1, e.g. 0.05, or a percentage such as 5%';
  if (typeof value === 'string' && /^\s*[\d.]+\s*%\s*$/.test(value)) {
    return parseNumber(setting, Number(value.trim().slice(0, -1)) / 100, from, 0, 1, accepted);
  }
  return parseNumber(setting, value, from, 0, 1, accepted);
}

/** Seconds: a number of seconds or a duration such as `500ms`. */
function parseSeconds(setting: string, value: unknown, from: string): number {
  if (typeof value === 'string' && DURATION.test(value.trim())) return durationSeconds(value.trim());
  return parseNumber(
    setting,
    value,
    from,
    0,
    Number.MAX_SAFE_INTEGER,
    'seconds (e.g. 0.5) or a duration such as 500ms',
  );
}

function parseSeverity(setting: string, value: unknown, from: string): AlertSeverity {
  if (value === 'critical' || value === 'warning' || value === 'info') return value;
  throw new AlertConfigError(setting, value, 'critical, warning or info', from);
}

/** What may be given, in a config file or by flags: any subset of {@link AlertThresholds}. */
export type AlertThresholdsInput = {
  readonly [K in keyof AlertThresholds]?: AlertThresholds[K] extends object
    ? { readonly [P in keyof AlertThresholds[K]]?: unknown }
    : unknown;
};

type Parser = (setting: string, value: unknown, from: string) => unknown;

const FIELD_PARSERS: Readonly<Record<string, Parser>> = {
  for: parseDuration,
  severity: parseSeverity,
  lookback: parseDuration,
};

const THRESHOLD_PARSERS: Readonly<Record<string, Parser>> = {
  errorRatio: parseRatio,
  latencyP99: parseSeconds,
  anomalyBurst: (setting, value, from) =>
    parseNumber(setting, value, from, 1, Number.MAX_SAFE_INTEGER, 'a count of at least 1'),
  eventLoopDelay: parseSeconds,
  databaseErrorRatio: parseRatio,
  messagingErrorRatio: parseRatio,
};

/**
 * Applies `input` over `base`. `from` names the source in errors (`--error-ratio`, `alerts.json`…).
 * Unknown keys are errors, so a typo never silently keeps a default.
 */
export function applyThresholds(base: AlertThresholds, input: unknown, from: string): AlertThresholds {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new AlertConfigError('(root)', input, 'an object of alert settings', from);
  }
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key === 'window') out.window = parseDuration('window', value, from);
    else if (key === 'minRequestRate') {
      out.minRequestRate = parseNumber(key, value, from, 0, Number.MAX_SAFE_INTEGER, 'requests per second, 0 or more');
    } else if (key in THRESHOLD_PARSERS || key === 'instanceDown') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new AlertConfigError(key, value, 'an object such as { "threshold": …, "for": "5m" }', from);
      }
      const merged: Record<string, unknown> = { ...(base[key as keyof AlertThresholds] as object) };
      for (const [field, fieldValue] of Object.entries(value)) {
        if (fieldValue === undefined) continue;
        const setting = `${key}.${field}`;
        const parse = field === 'threshold' ? THRESHOLD_PARSERS[key] : FIELD_PARSERS[field];
        if (!parse || (field === 'lookback' && key !== 'instanceDown')) {
          throw new AlertConfigError(setting, fieldValue, `one of ${Object.keys(merged).join(', ')}`, from);
        }
        merged[field] = parse(setting, fieldValue, from);
      }
      out[key] = Object.freeze(merged);
    } else {
      throw new AlertConfigError(key, value, `one of ${Object.keys(base).join(', ')}`, from);
    }
  }
  return Object.freeze(out) as unknown as AlertThresholds;
}

/** The command-line flags that set a threshold, and the setting each one sets. */
export const ALERT_FLAGS = Object.freeze({
  window: { path: ['window'], help: 'rate window, e.g. 5m' },
  'min-request-rate': { path: ['minRequestRate'], help: 'req/s under which error/latency alerts stay quiet' },
  'error-ratio': { path: ['errorRatio', 'threshold'], help: '5xx share that alerts, e.g. 0.05 or 5%' },
  'latency-p99': { path: ['latencyP99', 'threshold'], help: 'p99 that alerts, seconds or e.g. 500ms' },
  anomalies: { path: ['anomalyBurst', 'threshold'], help: 'anomalies per window that alert' },
  'event-loop-delay': { path: ['eventLoopDelay', 'threshold'], help: 'event-loop p99 delay that alerts, e.g. 200ms' },
  'db-error-ratio': {
    path: ['databaseErrorRatio', 'threshold'],
    help: 'share of failed database calls that alerts, e.g. 5%',
  },
  'messaging-error-ratio': {
    path: ['messagingErrorRatio', 'threshold'],
    help: 'share of failed message processing that alerts, e.g. 5%',
  },
  'down-for': { path: ['instanceDown', 'for'], help: 'how long a target is down before it alerts' },
} as const satisfies Record<string, { path: readonly string[]; help: string }>);

/** Turns `{ 'error-ratio': '5%' }` flag values into settings, each checked with the flag named. */
export function thresholdsFromFlags(base: AlertThresholds, flags: Readonly<Record<string, string | undefined>>) {
  let out = base;
  for (const [flag, { path }] of Object.entries(ALERT_FLAGS)) {
    const value = flags[flag];
    if (value === undefined) continue;
    const input =
      path.length === 1 ? { [path[0] as string]: value } : { [path[0] as string]: { [path[1] as string]: value } };
    out = applyThresholds(out, input, `--${flag}`);
  }
  return out;
}
