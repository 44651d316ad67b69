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

/** Tracks the health of exports to one destination and writes the once-per-outage notices. */
export class ExportHealth {
  private isDown = false;
  private downSince = 0;
  private outageCount = 0;
  private droppedInOutage = 0;
  private readonly droppedTotal: Record<SignalName, number> = { traces: 0, metrics: 0, logs: 0 };

  /**
   * @param destination - Human-readable destination, e.g. `OTLP collector http://localhost:4317 (grpc)`.
   * @param notices - Where the warning and the recovery line go.
   */
  constructor(
    readonly destination: string,
    private readonly notices: Notices,
  ) {}

  /** Records a failed export of `items` items of `signal`. Warns only if this starts an outage. */
  failed(signal: SignalName, error: unknown, items: number): void {
    this.droppedTotal[signal] += items;
    this.droppedInOutage += items;
    if (this.isDown) return;
    this.isDown = true;
    this.downSince = Date.now();
    this.outageCount++;
    this.notices.warn(
      `Telemetry export to ${this.destination} failed: ${reasonOf(error)}. The application keeps running; ` +
        'telemetry is dropped until the collector answers again (reported once per outage).',
      { signal, destination: this.destination, error: reasonOf(error) },
    );
  }

  /** Records a successful export. Writes the recovery line if this ends an outage. */
  succeeded(signal: SignalName): void {
    if (!this.isDown) return;
    this.isDown = false;
    const dropped = this.droppedInOutage;
    this.droppedInOutage = 0;
    this.notices.info(`Telemetry export to ${this.destination} recovered.`, {
      signal,
      destination: this.destination,
      outage_ms: Date.now() - this.downSince,
      dropped_items: dropped,
    });
  }

  /** Current counters. */
  snapshot(): ExportHealthSnapshot {
    return { down: this.isDown, outages: this.outageCount, dropped: { ...this.droppedTotal } };
  }
}
