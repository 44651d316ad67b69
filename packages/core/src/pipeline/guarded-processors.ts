/**
 * Span and log record processors given by the application (`spanProcessors`, `logRecordProcessors`) run
 * inside `span.end()`, `tracer.startSpan()` and every log call, before the pipeline's own exporters. One that
 * throws would throw into the application's call and keep the exporters after it from ever seeing the span
 * or the record. Each is wrapped here: a throw is swallowed, reported once per processor and hook, and the
 * next processors still run.
 */
import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Notices } from '../notices.js';
import { errorMessage } from '../span-failure.js';

/** Reports a processor's failure, once per processor position and hook. */
function reporter(notices: Notices, kind: string, index: number): (hook: string, error: unknown) => void {
  return (hook, error) => {
    notices.warnOnce(
      `${kind}:${index}:${hook}`,
      `The ${kind} #${index + 1} given to AutoTelemetry threw in ${hook}: ${errorMessage(error)}. The application's ` +
        'call went on and the other processors still ran (further failures of this hook are not reported).',
      { processor: `${kind} #${index + 1}`, hook },
    );
  };
}

/** What every processor kind has: flush and shutdown, guarded the same way. */
abstract class GuardedProcessor<P extends { forceFlush(): Promise<void>; shutdown(): Promise<void> }> {
  protected readonly failed: (hook: string, error: unknown) => void;

  /**
   * @param inner - The application's processor.
   * @param notices - Where a failure is reported.
   * @param kind - What it is, to name it in the report.
   * @param index - Its position in the option's list, to name it in the report.
   */
  constructor(
    protected readonly inner: P,
    notices: Notices,
    kind: string,
    index: number,
  ) {
    this.failed = reporter(notices, kind, index);
  }

  forceFlush(): Promise<void> {
    return settle(
      () => this.inner.forceFlush(),
      (error) => this.failed('forceFlush', error),
    );
  }

  shutdown(): Promise<void> {
    return settle(
      () => this.inner.shutdown(),
      (error) => this.failed('shutdown', error),
    );
  }
}

/** A user span processor whose throws never leave it. */
export class GuardedSpanProcessor extends GuardedProcessor<SpanProcessor> implements SpanProcessor {
  /**
   * @param inner - The application's processor.
   * @param notices - Where a failure is reported.
   * @param index - Its position in `spanProcessors`, to name it in the report.
   */
  constructor(inner: SpanProcessor, notices: Notices, index: number) {
    super(inner, notices, 'span processor', index);
  }

  onStart(span: Span, parentContext: Context): void {
    try {
      this.inner.onStart(span, parentContext);
    } catch (error) {
      this.failed('onStart', error);
    }
  }

  onEnding(span: Span): void {
    try {
      this.inner.onEnding?.(span);
    } catch (error) {
      this.failed('onEnding', error);
    }
  }

  onEnd(span: ReadableSpan): void {
    try {
      this.inner.onEnd(span);
    } catch (error) {
      this.failed('onEnd', error);
    }
  }
}

/** A user log record processor whose throws never leave it. */
export class GuardedLogRecordProcessor extends GuardedProcessor<LogRecordProcessor> implements LogRecordProcessor {
  /**
   * @param inner - The application's processor.
   * @param notices - Where a failure is reported.
   * @param index - Its position in `logRecordProcessors`, to name it in the report.
   */
  constructor(inner: LogRecordProcessor, notices: Notices, index: number) {
    super(inner, notices, 'log record processor', index);
  }

  onEmit(logRecord: ReadWriteLogRecord, context?: Context): void {
    try {
      this.inner.onEmit(logRecord, context);
    } catch (error) {
      this.failed('onEmit', error);
    }
  }
}

/** Runs `work` (which may throw or reject) and resolves either way. */
function settle(work: () => Promise<void>, onError: (error: unknown) => void): Promise<void> {
  try {
    return Promise.resolve(work()).catch(onError);
  } catch (error) {
    onError(error);
    return Promise.resolve();
  }
}
