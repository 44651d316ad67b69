/**
 * One wrapper for every network exporter of the pipeline (OTLP traces/metrics/logs, Zipkin):
 *
 * - lazy: the exporter module is imported on first use, so a config that does not use gRPC never loads it,
 *   and start-up does not wait for it;
 * - guarded: a failed or throwing export is counted in the destination's {@link ExportHealth} (one warning per
 *   outage) instead of reaching the host application;
 * - short-circuited: while the destination is down, batches are dropped (and counted) without an attempt,
 *   except one probe per interval.
 *
 * A failed export is reported upstream as a success once it has been accounted for. The batch is dropped
 * either way (processors and readers do not retry; the OTLP transport already retried), and a FAILED result
 * would only make the SDK's processors call the global error handler once per batch: the noise this
 * wrapper exists to remove.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ExportHealth, SignalName } from './export-health.js';

/** The shape shared by span, metric and log-record exporters. */
export interface ExporterLike<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

const SUCCESS: ExportResult = Object.freeze({ code: ExportResultCode.SUCCESS });

/** A lazily loaded exporter whose failures go to an {@link ExportHealth}. */
export class ResilientExporter<T> implements ExporterLike<T> {
  private inner: ExporterLike<T> | undefined;
  private loading: Promise<ExporterLike<T> | undefined> | undefined;
  private stopped = false;

  /**
   * @param signal - Which signal this exporter carries (for the health counters).
   * @param load - Imports and constructs the real exporter; called once, on first use.
   * @param health - The destination's health.
   * @param countItems - How many items (spans, data points, records) one export carries.
   */
  constructor(
    private readonly signal: SignalName,
    private readonly load: () => Promise<ExporterLike<T>>,
    private readonly health: ExportHealth,
    private readonly countItems: (items: T) => number,
  ) {}

  /** Starts loading the real exporter now, so the first export does not wait for the import. */
  preload(): void {
    void this.ensureLoaded();
  }

  private ensureLoaded(): Promise<ExporterLike<T> | undefined> {
    this.loading ??= this.load().then(
      (exporter) => {
        this.inner = exporter;
        return exporter;
      },
      (error: unknown) => {
        this.health.failed(this.signal, new Error(`cannot load the exporter: ${String(error)}`), 0);
        return undefined;
      },
    );
    return this.loading;
  }

  export(items: T, resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    if (this.inner) {
      this.exportWith(this.inner, items, resultCallback);
      return;
    }
    void this.ensureLoaded().then((exporter) => {
      if (exporter) this.exportWith(exporter, items, resultCallback);
      else {
        this.health.failed(this.signal, new Error('exporter unavailable'), this.countItems(items));
        resultCallback(SUCCESS);
      }
    });
  }

  private exportWith(exporter: ExporterLike<T>, items: T, resultCallback: (result: ExportResult) => void): void {
    if (!this.health.shouldAttempt()) {
      this.health.dropped(this.signal, this.countItems(items));
      resultCallback(SUCCESS);
      return;
    }
    try {
      exporter.export(items, (result) => {
        if (result.code === ExportResultCode.SUCCESS) this.health.succeeded(this.signal);
        else this.health.failed(this.signal, result.error, this.countItems(items));
        resultCallback(SUCCESS);
      });
    } catch (error) {
      this.health.failed(this.signal, error, this.countItems(items));
      resultCallback(SUCCESS);
    }
  }

  async forceFlush(): Promise<void> {
    if (!this.loading) return;
    const exporter = await this.loading;
    await exporter?.forceFlush?.().catch(() => undefined);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (!this.loading) return;
    const exporter = await this.loading;
    await exporter?.shutdown().catch(() => undefined);
  }
}
