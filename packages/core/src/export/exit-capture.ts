/**
 * The exit export's capture, on the live path: what the pipeline remembers while it runs so that the exit
 * export (exit-sender.ts) can still send it — the span batches handed to the exporter without an answer
 * yet, and the log records emitted and not yet acknowledged. Both hold references only, bounded.
 */
import type { Context } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ExporterLike } from './resilient-exporter.js';

const SUCCESS: ExportResult = Object.freeze({ code: ExportResultCode.SUCCESS });

/**
 * Sits between a batching processor and its exporter: remembers the batches in flight, and while
 * {@link ExitCaptureExporter.capture} runs, takes batches instead of exporting them.
 */
export class ExitCaptureExporter<T> implements ExporterLike<T> {
  private readonly inFlight = new Set<T>();
  private captured: T[] | undefined;

  /**
   * @param inner - The real (resilient) exporter.
   * @param onSettled - Called with each batch once its export has an answer (success or accounted failure).
   */
  constructor(
    private readonly inner: ExporterLike<T>,
    private readonly onSettled?: (items: T) => void,
  ) {}

  export(items: T, resultCallback: (result: ExportResult) => void): void {
    if (this.captured !== undefined) {
      this.captured.push(items);
      resultCallback(SUCCESS);
      return;
    }
    this.inFlight.add(items);
    this.inner.export(items, (result) => {
      this.inFlight.delete(items);
      this.onSettled?.(items);
      resultCallback(result);
    });
  }

  /**
   * Returns the batches in flight plus those `drain` hands over synchronously (by calling `export`, as a
   * processor's `forceFlush` does). Later answers for the in-flight batches are ignored.
   */
  capture(drain: () => void): T[] {
    const captured = [...this.inFlight];
    this.inFlight.clear();
    this.captured = captured;
    try {
      drain();
    } catch {
      // What was captured before the failure is still sent.
    } finally {
      this.captured = undefined;
    }
    return captured;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * Wraps the log batch processor and remembers every record emitted until its export has an answer. The
 * batch processor cannot be drained synchronously (its flush hands batches to the exporter only after an
 * `await`, which never comes during `exit`), so at exit the records are taken from here instead. Bounded:
 * past {@link PendingLogRecords.limit} records (the batch processor's queue is full and drops them too) the
 * oldest are forgotten.
 */
export class PendingLogRecords implements LogRecordProcessor {
  private readonly pending = new Set<ReadableLogRecord>();

  /**
   * @param inner - The batch processor.
   * @param limit - Most records remembered (the batch queue size plus what can be in flight).
   */
  constructor(
    private readonly inner: LogRecordProcessor,
    readonly limit: number,
  ) {}

  onEmit(logRecord: ReadWriteLogRecord, context?: Context): void {
    const pending = this.pending;
    if (pending.size >= this.limit) {
      const oldest = pending.values().next();
      if (oldest.done !== true) pending.delete(oldest.value);
    }
    pending.add(logRecord);
    this.inner.onEmit(logRecord, context);
  }

  /** Forgets records whose export has an answer (the log exporter's `onSettled`). */
  settled(records: readonly ReadableLogRecord[]): void {
    for (const record of records) this.pending.delete(record);
  }

  /** Takes every record still pending. */
  take(): ReadableLogRecord[] {
    const records = [...this.pending];
    this.pending.clear();
    return records;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
