/**
 * The OTLP span and log record processors: each item is encoded into the next export request the moment it
 * ends (otlp/batch-encoder.ts), so what waits for the collector is bytes, not objects. A request is sealed
 * when it holds {@link EncodedQueueLimits.maxExportBatchSize} items or after
 * {@link EncodedQueueLimits.scheduledDelayMillis}, and sent one at a time, in order.
 *
 * Bounded by bytes: while the collector is slow or black-holed, sealed requests wait; past
 * {@link EncodedQueueLimits.maxQueuedBytes} the oldest are dropped, counted in the destination's health
 * (and one warning the first time). A collector known to be down costs nothing here: the resilient exporter
 * answers at once without an attempt, so nothing accumulates.
 *
 * What is pending — the requests waiting, the one in flight and the items not yet sealed — can be taken
 * synchronously for the exit export (exit-sender.ts).
 */
import { type Context, context, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { BatchEncoder, EncodedBatch } from '../otlp/batch-encoder.js';
import type { Grouped } from '../otlp/trace-serializer.js';
import { outsideContext } from '../outside-context.js';
import type { ExporterLike } from './resilient-exporter.js';

/** How an encoded queue batches and bounds what waits. */
export interface EncodedQueueLimits {
  /** Items per request. */
  readonly maxExportBatchSize: number;
  /** Longest an item waits for its request to be sealed. */
  readonly scheduledDelayMillis: number;
  /** Longest one export may take before the next is sent (the exporter's own timeout comes first). */
  readonly exportTimeoutMillis: number;
  /** Most bytes of sealed requests waiting; past it, the oldest are dropped. */
  readonly maxQueuedBytes: number;
}

/** What the exit export takes: every request not yet acknowledged, the unsealed items sealed into one. */
export interface PendingRequests {
  takePending(): EncodedBatch[];
}

/** The queue behind both processors. */
export class EncodedQueue<T extends Grouped> implements PendingRequests {
  private readonly waiting: EncodedBatch[] = [];
  private waitingBytes = 0;
  private readonly inFlight = new Set<EncodedBatch>();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private drained: Array<() => void> = [];
  private stopped = false;

  /**
   * @param encoder encodes the items into the next request.
   * @param exporter sends one request; it answers every export (the resilient exporter does, failure included).
   * @param limits batching and bounds.
   * @param onDropped told of items dropped here: the oldest waiting requests past the bound, or an item that
   *   could not be encoded.
   */
  constructor(
    private readonly encoder: BatchEncoder<T>,
    private readonly exporter: ExporterLike<EncodedBatch>,
    private readonly limits: EncodedQueueLimits,
    private readonly onDropped: (items: number) => void,
  ) {}

  add(item: T): void {
    if (this.stopped) return;
    try {
      this.encoder.add(item);
    } catch {
      this.onDropped(1);
      return;
    }
    if (this.encoder.count >= this.limits.maxExportBatchSize) this.seal();
    else if (this.timer === undefined) outsideContext(this.startTimer);
  }

  private readonly startTimer = (): void => {
    this.timer = setTimeout(this.sealOnTimer, this.limits.scheduledDelayMillis);
    this.timer.unref();
  };

  private readonly sealOnTimer = (): void => {
    this.timer = undefined;
    this.seal();
  };

  /** Seals the items so far into a request, bounds what waits, and sends what can be sent. */
  private seal(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.encoder.take();
    if (batch !== undefined) {
      this.waiting.push(batch);
      this.waitingBytes += batch.bytes.length;
      // The newest request always stays: the bound drops the oldest, never everything.
      while (this.waitingBytes > this.limits.maxQueuedBytes && this.waiting.length > 1) {
        const oldest = this.waiting.shift() as EncodedBatch;
        this.waitingBytes -= oldest.bytes.length;
        this.onDropped(oldest.count);
      }
    }
    this.pump();
  }

  private pump(): void {
    // An exporter may answer synchronously (a destination known to be down): the loop, not recursion, sends on.
    if (this.pumping) return;
    this.pumping = true;
    try {
      // Outside the request whose item sealed the batch: the export's request and timers keep no request alive.
      outsideContext(this.sendWaiting);
    } finally {
      this.pumping = false;
    }
    if (this.inFlight.size === 0 && this.waiting.length === 0 && this.drained.length > 0) {
      const drained = this.drained;
      this.drained = [];
      for (const resolve of drained) resolve();
    }
  }

  private readonly sendWaiting = (): void => {
    while (this.inFlight.size === 0 && this.waiting.length > 0) this.send(this.waiting.shift() as EncodedBatch);
  };

  private send(batch: EncodedBatch): void {
    this.waitingBytes -= batch.bytes.length;
    this.inFlight.add(batch);
    let answered = false;
    const done = (): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timeout);
      this.inFlight.delete(batch);
      this.pump();
    };
    const timeout = setTimeout(done, this.limits.exportTimeoutMillis);
    timeout.unref();
    try {
      // The export's own calls (an HTTP or gRPC request) are not traced, as the SDK's batch processors ensure.
      context.with(suppressTracing(ROOT_CONTEXT), () => this.exporter.export(batch, done));
    } catch {
      done();
    }
  }

  /** Seals what is pending and resolves once every request has been answered. */
  flush(): Promise<void> {
    this.seal();
    if (this.inFlight.size === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Flushes, then stops taking items and shuts the exporter down. */
  async shutdown(): Promise<void> {
    await this.flush();
    this.stopped = true;
    await this.exporter.shutdown();
  }

  takePending(): EncodedBatch[] {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const pending = [...this.inFlight, ...this.waiting];
    const unsealed = this.encoder.take();
    if (unsealed !== undefined) pending.push(unsealed);
    // Later answers for the requests in flight find nothing to remove.
    this.inFlight.clear();
    this.waiting.length = 0;
    this.waitingBytes = 0;
    return pending;
  }
}

/** Spans to OTLP: every sampled span that ends, encoded into the queue. */
export class EncodingSpanProcessor implements SpanProcessor {
  constructor(readonly queue: EncodedQueue<ReadableSpan>) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.queue.add(span);
  }

  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }
}

/** Log records to OTLP: every record emitted, encoded into the queue once the processors before have run. */
export class EncodingLogRecordProcessor implements LogRecordProcessor {
  constructor(readonly queue: EncodedQueue<ReadableLogRecord>) {}

  onEmit(logRecord: ReadWriteLogRecord, _context?: Context): void {
    this.queue.add(logRecord);
  }

  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }
}
