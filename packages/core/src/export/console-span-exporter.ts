/**
 * Development span output: ONE compact line per finished span on stderr (stdout stays for the application's
 * log lines), e.g.
 *
 * `span pipeline.process 42.1ms OK trace_id=4bf9… span_id=00f0… parent_id=… rows=150`
 *
 * The SDK's own ConsoleSpanExporter prints a multi-line object dump per span, which drowns a terminal.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** How many attributes a line shows, and how long a shown value may be. */
const MAX_ATTRIBUTES = 8;
const MAX_VALUE_LENGTH = 80;

const KIND_LABEL: Readonly<Record<number, string>> = {
  [SpanKind.SERVER]: ' SERVER',
  [SpanKind.CLIENT]: ' CLIENT',
  [SpanKind.PRODUCER]: ' PRODUCER',
  [SpanKind.CONSUMER]: ' CONSUMER',
};

function formatValue(value: unknown): string {
  let text = Array.isArray(value) ? `[${value.join(',')}]` : String(value);
  if (text.length > MAX_VALUE_LENGTH) text = `${text.slice(0, MAX_VALUE_LENGTH)}…`;
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

/** Formats one span as the compact line (without the newline). */
export function formatSpanLine(span: ReadableSpan): string {
  const ms = hrTimeToMilliseconds(span.duration);
  const status =
    span.status.code === SpanStatusCode.ERROR
      ? `ERROR${span.status.message ? `(${formatValue(span.status.message)})` : ''}`
      : span.status.code === SpanStatusCode.OK
        ? 'OK'
        : 'UNSET';
  const context = span.spanContext();
  let line = `span ${span.name} ${ms.toFixed(1)}ms ${status}${KIND_LABEL[span.kind] ?? ''} trace_id=${context.traceId} span_id=${context.spanId}`;
  const parent = span.parentSpanContext?.spanId;
  if (parent) line += ` parent_id=${parent}`;
  let shown = 0;
  for (const key in span.attributes) {
    if (shown === MAX_ATTRIBUTES) {
      line += ' …';
      break;
    }
    line += ` ${key}=${formatValue(span.attributes[key])}`;
    shown++;
  }
  if (span.events.some((event) => event.name === 'exception')) line += ' (exception recorded)';
  return line;
}

/** Writes each finished span as one line to a stream (stderr by default). */
export class CompactConsoleSpanExporter implements SpanExporter {
  constructor(private readonly stream: { write(chunk: string): unknown } = process.stderr) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let text = '';
    for (const span of spans) text += `${formatSpanLine(span)}\n`;
    try {
      this.stream.write(text);
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}
