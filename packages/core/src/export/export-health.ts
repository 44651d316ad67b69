/**
 * Export health of one destination (a collector endpoint): the first failed export of an outage writes ONE
 * warning, later failures are silent (only counted), and once exports succeed again for
 * {@link RECOVERY_CONFIRM_MS} one "recovered" info line is written with what was dropped meanwhile. Traces,
 * metrics and logs sent to the same collector share one health, so a collector that is down gives one
 * warning, not one per signal or per batch — nor one per flap: a collector that fails one export and answers
 * the next (overloaded, or slower than one signal's timeout but not another's) is one outage until it has
 * answered without a failure for that long.
 */
import type { Notices } from '../notices.js';

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

/**
 * How long a destination that answered again must go without a failed export before its outage is over.
 * A failure sooner continues the same (already reported) outage.
 */
export const RECOVERY_CONFIRM_MS = 3000;

/** `up`; `down` (an outage, reported); `recovering` (exports succeed again, the outage not yet declared over). */
type HealthState = 'up' | 'down' | 'recovering';

/** Tracks the health of exports to one destination and writes the once-per-outage notices. */
export class ExportHealth {
  private state: HealthState = 'up';
  private recoveringSince = 0;
  private recoveringSignal: SignalName = 'traces';
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
    if (this.state !== 'down') return true;
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
    this.lost(signal, error, items);
  }

  /**
   * Records `items` items of `signal` dropped because the queue in front of this destination is full (its
   * exports do not keep up): an outage like a failed export, without ending an attempt.
   */
  overflowed(signal: SignalName, reason: Error, items: number): void {
    this.lost(signal, reason, items);
  }

  private lost(signal: SignalName, error: unknown, items: number): void {
    this.droppedTotal[signal] += items;
    this.droppedInOutage += items;
    if (this.state === 'down') return;
    if (this.state === 'recovering') {
      // Answered again only briefly: the outage goes on, and was reported when it began.
      if (this.clock() - this.recoveringSince < RECOVERY_CONFIRM_MS) {
        this.state = 'down';
        return;
      }
      // It had recovered (quietly, with no export to confirm it): say so before reporting the new outage.
      this.announceRecovery();
    }
    this.state = 'down';
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

  /**
   * Records a successful export. The first after an outage starts the confirmation; one at least
   * `RECOVERY_CONFIRM_MS` (3 s) later (or during the final flush), with no failure between, ends the outage
   * with the recovery line.
   */
  succeeded(signal: SignalName): void {
    this.attemptEnded();
    if (this.state === 'up') return;
    if (this.state === 'down') {
      this.state = 'recovering';
      this.recoveringSince = this.clock();
      this.recoveringSignal = signal;
      return;
    }
    // The final flush of a closing pipeline succeeding is confirmation enough: there is no later to wait for.
    if (this.closing || this.clock() - this.recoveringSince >= RECOVERY_CONFIRM_MS) this.announceRecovery();
  }

  /** Ends the outage: the recovery line, dated from the first success. */
  private announceRecovery(): void {
    this.state = 'up';
    const dropped = this.droppedInOutage;
    this.droppedInOutage = 0;
    this.notices.info(`Telemetry export to ${this.destination} recovered.`, {
      signal: this.recoveringSignal,
      destination: this.destination,
      outage_ms: this.recoveringSince - this.downSince,
      dropped_items: dropped,
    });
  }

  /** Whether exports to this destination are failing now (an outage, not yet answering again). */
  get isDown(): boolean {
    return this.state === 'down';
  }

  /** Whether an outage is under way: down, or answering again but not yet for long enough. */
  get inOutage(): boolean {
    return this.state !== 'up';
  }

  /** Current counters. */
  snapshot(): ExportHealthSnapshot {
    return { down: this.state === 'down', outages: this.outageCount, dropped: { ...this.droppedTotal } };
  }
}
