/**
 * How the viewer sees the telemetry: as one more span processor and one more log record processor of the
 * pipeline, after the redaction, so it shows exactly what an OpenTelemetry backend would receive.
 */
import type { Attributes, Context, HrTime } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ViewerEvent, ViewerLogLine, ViewerSpan, ViewerStore } from './store.js';

const KINDS: readonly ViewerSpan['kind'][] = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUSES: readonly ViewerSpan['status'][] = ['UNSET', 'OK', 'ERROR'];

function millis(time: HrTime): number {
  return time[0] * 1e3 + time[1] / 1e6;
}

/** The viewer's copy of a span: plain data, safe to keep after the SDK recycles nothing of it. */
export function toViewerSpan(span: ReadableSpan): ViewerSpan {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: KINDS[span.kind] ?? 'INTERNAL',
    startMs: millis(span.startTime),
    durationMs: millis(span.duration),
    status: STATUSES[span.status.code] ?? 'UNSET',
    statusMessage: span.status.message,
    scope: span.instrumentationScope.name,
    attributes: { ...span.attributes },
    events: span.events.map(
      (event): ViewerEvent => ({ name: event.name, timeMs: millis(event.time), attributes: { ...event.attributes } }),
    ),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: { ...link.attributes },
    })),
  };
}

/** Keeps every ended span in the store. Never throws into the span's `end()`. */
export class ViewerSpanProcessor implements SpanProcessor {
  constructor(private readonly store: ViewerStore) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    try {
      this.store.addSpan(toViewerSpan(span));
    } catch {
      // The viewer is a development aid: a span it cannot read is left out of it, nothing else.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const EXCEPTION_PREFIX = 'exception.';

/** The line in the seed's schema that a log record was made from (otel-bridge.ts made the record). */
export function toViewerLogLine(record: ReadableLogRecord): ViewerLogLine {
  const attributes: Attributes = record.attributes;
  const data: Record<string, unknown> = {};
  for (const key in attributes) {
    if (key !== 'logger.name' && !key.startsWith(EXCEPTION_PREFIX)) data[key] = attributes[key];
  }
  const exceptionType = attributes['exception.type'];
  const exceptionMessage = attributes['exception.message'];
  const stack = attributes['exception.stacktrace'];
  return {
    timestamp: new Date(millis(record.hrTime)).toISOString(),
    level: record.severityText ?? 'INFO',
    logger: String(attributes['logger.name'] ?? ''),
    message: typeof record.body === 'string' ? record.body : JSON.stringify(record.body ?? ''),
    trace_id: record.spanContext?.traceId,
    span_id: record.spanContext?.spanId,
    data,
    error:
      exceptionType === undefined && exceptionMessage === undefined && stack === undefined
        ? undefined
        : {
            type: String(exceptionType ?? 'Error'),
            message: String(exceptionMessage ?? ''),
            stack: String(stack ?? ''),
          },
  };
}

/** Keeps every log line (as its OpenTelemetry record) in the store. Never throws into the logger. */
export class ViewerLogProcessor implements LogRecordProcessor {
  constructor(private readonly store: ViewerStore) {}

  onEmit(record: ReadableLogRecord): void {
    try {
      this.store.addLog(toViewerLogLine(record));
    } catch {
      // Left out of the viewer only: the line itself has been written.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
