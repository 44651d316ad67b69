/**
 * Export health of one destination (a collector endpoint): the first failed export of an outage writes ONE
 * warning, later failures are silent (only counted), and the first success after an outage writes one
 * "recovered" info line with what was dropped meanwhile. Traces, metrics and logs sent to the same collector
 * share one health, so a collector that is down gives one warning, not one per signal or per batch.
 */
import type { Notices } from './notices.js';

/** The three OpenTelemetry signals. */
export type SignalName = 'traces' | 'metrics' | 'logs';

/** Counters of one destination, for tests and diagnostics. */
export interface ExportHealthSnapshot {
  /** Whether the last export to this destination failed. */
  readonly down: boolean;
  /** Outages seen so far (each began with one warning). */
  readonly outages: number;
  /** Items (spans, metric data points, log records) dropped because their export failed. */
  readonly dropped: Readonly<Record<SignalName, number>>;
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code !== undefined && !error.message.includes(String(code)) ? `${error.message} (${code})` : error.message;
  }
  return error === undefined ? 'unknown error' : String(error);
}

/**
 * While a destination is down, one export at a time, at most once per this interval after the previous one
 * ended, is let through to probe it; the others are dropped at once. A dead collector then costs no
 * connection attempts, retry timers or queued requests beyond the probe, and since OTLP retry timers keep the
 * event loop alive, a script whose collector is gone is not kept running by them (nor by probes once it
 * shuts down: no probe is made then).
 */
export const PROBE_INTERVAL_MS = 5000;

/** Tracks the health of exports to one destination and writes the once-per-outage notices. */
export class ExportHealth {
  private isDownNow = false;
  private lastProbe = 0;
  private probing = false;
  private closing = false;
  private downSince = 0;
  private outageCount = 0;
  private droppedInOutage = 0;
  private readonly droppedTotal: Record<SignalName, number> = { traces: 0, metrics: 0, logs: 0 };

  /**
   * @param destination - Human-readable destination, e.g. `OTLP collector http://localhost:4317 (grpc)`.
   * @param notices - Where the warning and the recovery line go.
   * @param clock - Milliseconds now (tests pass a controllable clock).
   */
  constructor(
    readonly destination: string,
    private readonly notices: Notices,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Whether an export should be attempted now: always while healthy; while down, only as the one probe (one
   * at a time, at most every `PROBE_INTERVAL_MS` = 5 s), and never once the pipeline is closing.
   */
  shouldAttempt(): boolean {
    if (!this.isDownNow) return true;
    if (this.closing || this.probing || this.clock() - this.lastProbe < PROBE_INTERVAL_MS) return false;
    this.probing = true;
    return true;
  }

  /** The pipeline is shutting down: while down, the final flush drops instead of probing. */
  close(): void {
    this.closing = true;
  }

  private attemptEnded(): void {
    this.probing = false;
    this.lastProbe = this.clock();
  }

  /** Records a failed export of `items` items of `signal`. Warns only if this starts an outage. */
  failed(signal: SignalName, error: unknown, items: number): void {
    this.attemptEnded();
    this.droppedTotal[signal] += items;
    this.droppedInOutage += items;
    if (this.isDownNow) return;
    this.isDownNow = true;
    this.downSince = this.clock();
    this.outageCount++;
    this.notices.warn(
      `Telemetry export to ${this.destination} failed: ${reasonOf(error)}. The application keeps running; ` +
        'telemetry is dropped until the collector answers again (reported once per outage).',
      { signal, destination: this.destination, error: reasonOf(error) },
    );
  }

  /** Records items dropped without an attempt while the destination is down. */
  dropped(signal: SignalName, items: number): void {
    this.droppedTotal[signal] += items;
    this.droppedInOutage += items;
  }

  /** Records a successful export. Writes the recovery line if this ends an outage. */
  succeeded(signal: SignalName): void {
    this.attemptEnded();
    if (!this.isDownNow) return;
    this.isDownNow = false;
    const dropped = this.droppedInOutage;
    this.droppedInOutage = 0;
    this.notices.info(`Telemetry export to ${this.destination} recovered.`, {
      signal,
      destination: this.destination,
      outage_ms: this.clock() - this.downSince,
      dropped_items: dropped,
    });
  }

  /** Whether the last export to this destination failed. */
  get isDown(): boolean {
    return this.isDownNow;
  }

  /** Current counters. */
  snapshot(): ExportHealthSnapshot {
    return { down: this.isDownNow, outages: this.outageCount, dropped: { ...this.droppedTotal } };
  }
}
