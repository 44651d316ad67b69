/**
 * What `autotelemetry doctor` reports: one entry per check, and the resolved configuration.
 *
 * @packageDocumentation
 */

/**
 * Outcome of one check. `problem` makes the doctor exit non-zero; `warn` is worth a look but may be
 * intended (e.g. telemetry disabled on purpose); `info` and `ok` are for the record.
 */
export type CheckStatus = 'ok' | 'info' | 'warn' | 'problem';

/** Stable identifiers of the checks, for `--json` consumers. */
export type CheckId =
  | 'project'
  | 'autotelemetry-installed'
  | 'config'
  | 'config-warnings'
  | 'telemetry-enabled'
  | 'traces-destination'
  | 'otlp-endpoint'
  | 'zipkin-endpoint'
  | 'prometheus-port'
  | 'node-version'
  | 'module-system'
  | 'load-order'
  | 'adapter'
  | 'second-sdk'
  | 'otel-api-copies'
  | 'autotelemetry-copies'
  | 'libraries'
  | 'running-service';

/** One check's finding. */
export interface DoctorCheck {
  readonly id: CheckId;
  readonly status: CheckStatus;
  /** One line: what was found. */
  readonly title: string;
  /** Why it matters, when it is not fine. */
  readonly detail?: string;
  /** What to do about it. */
  readonly fix?: string;
  /** Machine-readable facts behind the finding. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** One resolved configuration value and where it came from. */
export interface ResolvedValue {
  readonly option: string;
  /** The value, as shown to a human (`false`, `8000`, `"shop.api"`…). */
  readonly value: string;
  /** `option` (found in the code), `env`, `package.json` or `default`. */
  readonly source: string;
  /** The environment variable or file the value came from, when there is one. */
  readonly from?: string;
}

/** The whole report. */
export interface DoctorReport {
  /** True when no check found a problem. */
  readonly ok: boolean;
  /** The project directory examined, if any. */
  readonly dir?: string;
  /** The running service's metrics URL examined, if any. */
  readonly url?: string;
  /** The configuration as the service would resolve it, when it could be resolved. */
  readonly config?: readonly ResolvedValue[];
  readonly checks: readonly DoctorCheck[];
  readonly counts: Readonly<Record<CheckStatus, number>>;
}

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** The service's directory. Default: the working directory. */
  readonly dir?: string;
  /** A running service's Prometheus endpoint, e.g. `http://127.0.0.1:8000` (`/metrics` is added if no path). */
  readonly url?: string;
  /** The environment the service runs with. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Timeout of each network probe, in ms. Default 1000. */
  readonly timeoutMs?: number;
}
