/**
 * The OTLP export queue: spans are encoded into the next request as they end; a request is sealed at the batch
 * size or after the delay and sent one at a time, in order; what waits is bounded by bytes (the oldest dropped
 * and counted, one warning per outage); a flush waits for every answer; an exporter that never answers does
 * not stall the queue; and the exit export takes every request not yet acknowledged — waiting, in flight and
 * unsealed. Every request is decoded by the collector-side protobuf decoder of test-utils.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { decodeTraces } from '@autotelemetry/test-utils';
import { context, ROOT_CONTEXT, SpanKind, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ExportResult, ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EncodedQueue, type EncodedQueueLimits, EncodingSpanProcessor } from '../src/export/encoded-queue.js';
import { ExportHealth } from '../src/export/export-health.js';
import { RequestSpanFactory } from '../src/http/request-span.js';
import type { Notices } from '../src/notices.js';
import { BatchEncoder, type EncodedBatch } from '../src/otlp/batch-encoder.js';
import { SharedEncodings, TraceSerializer } from '../src/otlp/trace-serializer.js';

/** An exporter that keeps each request and answers when the test says (or at once). */
class HeldExporter {
  readonly received: EncodedBatch[] = [];
  readonly answers: Array<(result: ExportResult) => void> = [];
  shutdowns = 0;
  constructor(private readonly answerAtOnce = false) {}
  export(batch: EncodedBatch, done: (result: ExportResult) => void): void {
    this.received.push(batch);
    if (this.answerAtOnce) done({ code: ExportResultCode.SUCCESS });
    else this.answers.push(done);
  }
  answerNext(): void {
    this.answers.shift()?.({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

const names = (batch: EncodedBatch | undefined): string[] =>
  batch === undefined ? [] : decodeTraces(batch.bytes, 'http/protobuf').map((span) => span.name);

function encoder(): BatchEncoder<ReadableSpan> {
  const shared = new SharedEncodings();
  return new BatchEncoder(shared, new TraceSerializer(() => undefined, shared).writeSpan);
}

const LIMITS: EncodedQueueLimits = {
  maxExportBatchSize: 3,
  scheduledDelayMillis: 50,
  exportTimeoutMillis: 5000,
  maxQueuedBytes: 1024 * 1024,
};

/** Ends spans named `name-0`, `name-1`… through `processor` (the lean span factory, as the pipeline does). */
function endSpans(processor: SpanProcessor, count: number, name = 'span', flags = TraceFlags.SAMPLED): void {
  const resource = resourceFromAttributes({ 'service.name': 'queue.test' });
  // Recorded but not sampled: processors see the span, the export leaves it out.
  const recordOnly: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD }) };
  const sampler = flags === TraceFlags.SAMPLED ? new AlwaysOnSampler() : recordOnly;
  const factory = new RequestSpanFactory(resource, sampler, [processor], { name: 'queue.scope' });
  for (let i = 0; i < count; i++) {
    const span = factory.start(
      `${name}-${i}`,
      { 'url.path': `/items/${i}`, padding: 'x'.repeat(200) },
      ROOT_CONTEXT,
      performance.now(),
      SpanKind.SERVER,
    );
    span.end();
  }
}

describe('the encoded export queue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('seals a request at the batch size and sends one at a time, in order', () => {
    const exporter = new HeldExporter();
    const queue = new EncodedQueue(encoder(), exporter, LIMITS, () => {});
    endSpans(new EncodingSpanProcessor(queue), 7);
    // Two full requests sealed; the first is in flight, the second waits for its answer.
    expect(exporter.received.map(names)).toEqual([['span-0', 'span-1', 'span-2']]);
    exporter.answerNext();
    expect(exporter.received.map(names)).toEqual([
      ['span-0', 'span-1', 'span-2'],
      ['span-3', 'span-4', 'span-5'],
    ]);
    expect(exporter.received.map((b) => b.count)).toEqual([3, 3]);
  });

  it('seals what came after the scheduled delay', async () => {
    vi.useFakeTimers();
    const exporter = new HeldExporter(true);
    const queue = new EncodedQueue(encoder(), exporter, LIMITS, () => {});
    endSpans(new EncodingSpanProcessor(queue), 2);
    expect(exporter.received).toEqual([]);
    await vi.advanceTimersByTimeAsync(49);
    expect(exporter.received).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exporter.received.map(names)).toEqual([['span-0', 'span-1']]);
  });

  it('leaves out spans that are not sampled', () => {
    const exporter = new HeldExporter(true);
    const queue = new EncodedQueue(encoder(), exporter, LIMITS, () => {});
    endSpans(new EncodingSpanProcessor(queue), 3, 'unsampled', TraceFlags.NONE);
    expect(queue.takePending()).toEqual([]);
  });

  it('bounds what waits by bytes: the oldest requests are dropped and counted, one warning', () => {
    const warnings: string[] = [];
    const notices = { warn: (message: string) => warnings.push(message), info: () => {} } as unknown as Notices;
    const health = new ExportHealth('OTLP collector test', notices);
    const exporter = new HeldExporter();
    const full = new Error('the export queue is full');
    // Room for about two requests of three ~300-byte spans.
    const queue = new EncodedQueue(encoder(), exporter, { ...LIMITS, maxQueuedBytes: 2000 }, (items) =>
      health.overflowed('traces', full, items),
    );
    // The first request is in flight (never answered: a black-holed collector); nine more are sealed behind it.
    endSpans(new EncodingSpanProcessor(queue), 30);
    const pending = queue.takePending();
    const kept = pending.flatMap(names);
    // The request in flight, then the newest waiting ones; the oldest waiting were dropped.
    expect(kept.slice(0, 3)).toEqual(['span-0', 'span-1', 'span-2']);
    expect(kept.at(-1)).toBe('span-29');
    const dropped = health.snapshot().dropped.traces;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped % 3).toBe(0);
    expect(kept.length + dropped).toBe(30);
    expect(pending.slice(1).reduce((bytes, b) => bytes + b.bytes.length, 0)).toBeLessThanOrEqual(2000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('the export queue is full');
    expect(health.isDown).toBe(true);
  });

  it('keeps the newest request even when it alone passes the bound', () => {
    const dropped: number[] = [];
    const exporter = new HeldExporter();
    const queue = new EncodedQueue(encoder(), exporter, { ...LIMITS, maxQueuedBytes: 10 }, (n) => dropped.push(n));
    endSpans(new EncodingSpanProcessor(queue), 9);
    expect(queue.takePending().flatMap(names)).toEqual(['span-0', 'span-1', 'span-2', 'span-6', 'span-7', 'span-8']);
    expect(dropped).toEqual([3]);
  });

  it('resolves a flush once every request has been answered', async () => {
    const exporter = new HeldExporter();
    const queue = new EncodedQueue(encoder(), exporter, LIMITS, () => {});
    endSpans(new EncodingSpanProcessor(queue), 4);
    let flushed = false;
    const flush = queue.flush().then(() => {
      flushed = true;
    });
    await Promise.resolve();
    expect(flushed).toBe(false);
    exporter.answerNext();
    await Promise.resolve();
    expect(flushed).toBe(false);
    exporter.answerNext();
    await flush;
    expect(exporter.received.map(names)).toEqual([['span-0', 'span-1', 'span-2'], ['span-3']]);
  });

  it('sends the next request when an export never answers, after the export timeout', async () => {
    vi.useFakeTimers();
    const exporter = new HeldExporter();
    const queue = new EncodedQueue(encoder(), exporter, LIMITS, () => {});
    endSpans(new EncodingSpanProcessor(queue), 6);
    expect(exporter.received).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(LIMITS.exportTimeoutMillis);
    expect(exporter.received).toHaveLength(2);
  });

  it('gives the exit export every request not yet acknowledged, and forgets them', () => {
    const exporter = new HeldExporter();
    const queue = new EncodedQueue(encoder(), exporter, LIMITS, () => {});
    endSpans(new EncodingSpanProcessor(queue), 8);
    const pending = queue.takePending();
    // In flight, waiting, and the two not yet sealed.
    expect(pending.map((b) => b.count)).toEqual([3, 3, 2]);
    expect(pending.flatMap(names)).toEqual(Array.from({ length: 8 }, (_, i) => `span-${i}`));
    expect(queue.takePending()).toEqual([]);
    // A late answer for the request that was in flight changes nothing.
    exporter.answerNext();
    expect(queue.takePending()).toEqual([]);
  });

  it('drops an item that cannot be encoded, counted, and keeps the others', () => {
    const dropped: number[] = [];
    const exporter = new HeldExporter(true);
    const queue = new EncodedQueue(encoder(), exporter, LIMITS, (n) => dropped.push(n));
    const processor = new EncodingSpanProcessor(queue);
    endSpans(processor, 1, 'before');
    const hostile = {
      spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }),
      get name(): string {
        throw new Error('hostile');
      },
      resource: resourceFromAttributes({}),
      instrumentationScope: { name: 'x' },
    } as unknown as ReadableSpan;
    expect(() => processor.onEnd(hostile)).not.toThrow();
    endSpans(processor, 1, 'after');
    expect(queue.takePending().flatMap(names)).toEqual(['before-0', 'after-0']);
    expect(dropped).toEqual([1]);
  });

  it("exports with tracing suppressed, so the export's own request makes no span", () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const suppressed: boolean[] = [];
      const exporter = new HeldExporter(true);
      const spy = {
        export: (batch: EncodedBatch, done: (result: ExportResult) => void) => {
          suppressed.push(isTracingSuppressed(context.active()));
          exporter.export(batch, done);
        },
        shutdown: () => exporter.shutdown(),
      };
      const queue = new EncodedQueue(encoder(), spy, LIMITS, () => {});
      endSpans(new EncodingSpanProcessor(queue), 3);
      expect(suppressed).toEqual([true]);
      expect(isTracingSuppressed(context.active())).toBe(false);
    } finally {
      context.disable();
    }
  });

  it("sends and times its batches outside the context of the span that started them (no request's context kept)", async () => {
    const store = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const exporter = new HeldExporter(true);
    const spy = {
      export: (batch: EncodedBatch, done: (result: ExportResult) => void) => {
        seen.push(store.getStore());
        exporter.export(batch, done);
      },
      shutdown: () => exporter.shutdown(),
    };
    const queue = new EncodedQueue(encoder(), spy, LIMITS, () => {});
    const processor = new EncodingSpanProcessor(queue);
    // A full batch sealed inside a request's context, then one span whose batch waits for the timer.
    store.run('request A', () => endSpans(processor, 3, 'full'));
    store.run('request B', () => endSpans(processor, 1, 'timed'));
    await new Promise((resolve) => setTimeout(resolve, LIMITS.scheduledDelayMillis + 30));
    expect(exporter.received.map(names)).toEqual([['full-0', 'full-1', 'full-2'], ['timed-0']]);
    expect(seen).toEqual([undefined, undefined]);
  });

  it('flushes at shutdown, then shuts the exporter down and takes no more', async () => {
    const exporter = new HeldExporter(true);
    const queue = new EncodedQueue(encoder(), exporter, LIMITS, () => {});
    const processor = new EncodingSpanProcessor(queue);
    endSpans(processor, 2);
    await processor.shutdown();
    expect(exporter.received.map(names)).toEqual([['span-0', 'span-1']]);
    expect(exporter.shutdowns).toBe(1);
    endSpans(processor, 1, 'late');
    expect(queue.takePending()).toEqual([]);
  });
});
