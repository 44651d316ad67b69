/**
 * What the viewer keeps: the last traces (their spans, bounded per trace), the last log lines, the last data
 * operations of `measure()` and the last anomalies, each in a buffer of fixed size, so a service under load
 * holds the same memory after a million requests as after a thousand. The records are plain, already
 * redacted copies (the capture runs after the redaction processor), ready to be sent as JSON.
 */

/** A span as the viewer shows it. Times are milliseconds since the epoch. */
export interface ViewerSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: 'UNSET' | 'OK' | 'ERROR';
  readonly statusMessage: string | undefined;
  readonly scope: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly events: readonly ViewerEvent[];
  readonly links: readonly { readonly traceId: string; readonly spanId: string; readonly attributes: object }[];
}

/** A span event: an exception, an anomaly, or the application's own. */
export interface ViewerEvent {
  readonly name: string;
  readonly timeMs: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A log line in the seed's schema, as the viewer shows it. */
export interface ViewerLogLine {
  readonly timestamp: string;
  readonly level: string;
  readonly logger: string;
  readonly message: string;
  readonly trace_id: string | undefined;
  readonly span_id: string | undefined;
  readonly data: Readonly<Record<string, unknown>>;
  readonly error: { readonly type: string; readonly message: string; readonly stack: string } | undefined;
}

/** One line of the list of recent traces. */
export interface TraceSummary {
  readonly traceId: string;
  /** The local root's name (the request's `METHOD /route`), or the first span's until the root ends. */
  readonly name: string;
  readonly kind: ViewerSpan['kind'] | undefined;
  /** `http.response.status_code` of the root, when it is a request. */
  readonly statusCode: number | undefined;
  readonly startMs: number;
  readonly durationMs: number;
  /** Whether any span of the trace ended in ERROR. */
  readonly error: boolean;
  readonly spanCount: number;
  readonly logCount: number;
  /** Increases with every change, so the page knows which traces to fetch again. */
  readonly version: number;
}

/** Bounds of the buffers. */
export interface ViewerLimits {
  readonly maxTraces: number;
  readonly maxLogLines: number;
  /** Spans kept per trace; later ones are counted, not kept. */
  readonly maxSpansPerTrace: number;
  /** Data operations and anomalies kept. */
  readonly maxOperations: number;
}

interface TraceEntry {
  readonly traceId: string;
  readonly spans: ViewerSpan[];
  root: ViewerSpan | undefined;
  droppedSpans: number;
  logCount: number;
  error: boolean;
  startMs: number;
  endMs: number;
  version: number;
}

/** A data operation of `measure()`: its span, summarised. */
export interface ViewerOperation {
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly rows: unknown;
  readonly throughput: unknown;
  readonly status: ViewerSpan['status'];
}

/** An `anomaly.detected` event, with the span it was found on. */
export interface ViewerAnomaly {
  readonly traceId: string;
  readonly spanId: string;
  readonly spanName: string;
  readonly timeMs: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A fixed-size ring: pushing past its size overwrites the oldest item. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.items = new Array<T | undefined>(size);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  get length(): number {
    return this.count;
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = this.count < this.size ? 0 : this.next;
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.size] as T);
    return out;
  }
}

const OPERATION_NAME = 'data.operation.name';
const ANOMALY_EVENT = 'anomaly.detected';

/** The viewer's buffers. */
export class ViewerStore {
  private readonly traces = new Map<string, TraceEntry>();
  readonly logs: Ring<ViewerLogLine>;
  readonly operations: Ring<ViewerOperation>;
  readonly anomalies: Ring<ViewerAnomaly>;
  /** Traces changed since the last {@link ViewerStore.takeChanged}; bounded by the traces kept. */
  private changed = new Set<string>();
  private version = 0;
  /** Traces dropped to stay within the bound, since the start. */
  droppedTraces = 0;

  constructor(readonly limits: ViewerLimits) {
    this.logs = new Ring(limits.maxLogLines);
    this.operations = new Ring(limits.maxOperations);
    this.anomalies = new Ring(limits.maxOperations);
  }

  /** How many traces are held. */
  get traceCount(): number {
    return this.traces.size;
  }

  addSpan(span: ViewerSpan): void {
    const entry = this.entry(span.traceId, span.startMs);
    if (entry.spans.length < this.limits.maxSpansPerTrace) entry.spans.push(span);
    else entry.droppedSpans++;
    if (span.status === 'ERROR') entry.error = true;
    entry.startMs = Math.min(entry.startMs, span.startMs);
    entry.endMs = Math.max(entry.endMs, span.startMs + span.durationMs);
    // The local root: no parent, or a parent in another process (a request that carried `traceparent`).
    if (span.parentSpanId === undefined || span.kind === 'SERVER' || span.kind === 'CONSUMER') {
      if (entry.root === undefined || span.startMs <= entry.root.startMs) entry.root = span;
    }
    this.touch(entry);
    if (span.attributes[OPERATION_NAME] !== undefined) {
      this.operations.push({
        traceId: span.traceId,
        spanId: span.spanId,
        name: String(span.attributes[OPERATION_NAME]),
        startMs: span.startMs,
        durationMs: span.durationMs,
        rows: span.attributes['data.operation.rows'],
        throughput: span.attributes['data.operation.throughput'],
        status: span.status,
      });
    }
    for (const event of span.events) {
      if (event.name !== ANOMALY_EVENT) continue;
      this.anomalies.push({
        traceId: span.traceId,
        spanId: span.spanId,
        spanName: span.name,
        timeMs: event.timeMs,
        attributes: event.attributes,
      });
    }
  }

  addLog(line: ViewerLogLine): void {
    this.logs.push(line);
    if (line.trace_id === undefined) return;
    // A line written inside a request usually comes before the request's span ends: it opens the trace.
    const entry = this.entry(line.trace_id, Date.parse(line.timestamp) || Date.now());
    entry.logCount++;
    this.touch(entry);
  }

  /** The recent traces, newest first. */
  summaries(): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const entry of this.traces.values()) out.push(summarize(entry));
    return out.reverse();
  }

  /** One trace: its summary, spans (by start time) and log lines (oldest first); undefined once dropped. */
  trace(
    traceId: string,
  ): { summary: TraceSummary; spans: ViewerSpan[]; logs: ViewerLogLine[]; droppedSpans: number } | undefined {
    const entry = this.traces.get(traceId);
    if (entry === undefined) return undefined;
    return {
      summary: summarize(entry),
      spans: byStart(entry.spans),
      logs: this.logs.toArray().filter((line) => line.trace_id === traceId),
      droppedSpans: entry.droppedSpans,
    };
  }

  /** The summaries of the traces changed since the last call (still held ones only). */
  takeChanged(): TraceSummary[] {
    if (this.changed.size === 0) return [];
    const out: TraceSummary[] = [];
    for (const traceId of this.changed) {
      const entry = this.traces.get(traceId);
      if (entry !== undefined) out.push(summarize(entry));
    }
    this.changed = new Set();
    return out;
  }

  private entry(traceId: string, startMs: number): TraceEntry {
    let entry = this.traces.get(traceId);
    if (entry !== undefined) return entry;
    if (this.traces.size >= this.limits.maxTraces) {
      // Maps iterate in insertion order: the first key is the oldest trace.
      const oldest = this.traces.keys().next().value as string;
      this.traces.delete(oldest);
      this.changed.delete(oldest);
      this.droppedTraces++;
    }
    entry = {
      traceId,
      spans: [],
      root: undefined,
      droppedSpans: 0,
      logCount: 0,
      error: false,
      startMs,
      endMs: startMs,
      version: 0,
    };
    this.traces.set(traceId, entry);
    return entry;
  }

  private touch(entry: TraceEntry): void {
    entry.version = ++this.version;
    this.changed.add(entry.traceId);
  }
}

/**
 * The spans by start time; spans that start in the same millisecond (clocks of millisecond resolution make
 * that common) parent first, whatever the order they ended in.
 */
function byStart(spans: readonly ViewerSpan[]): ViewerSpan[] {
  const parents = new Map(spans.map((span) => [span.spanId, span.parentSpanId]));
  const depth = new Map<string, number>();
  const depthOf = (span: ViewerSpan): number => {
    let known = depth.get(span.spanId);
    if (known !== undefined) return known;
    known = 0;
    // Bounded by the spans kept: a malformed trace with a parent loop cannot spin.
    for (let id = span.parentSpanId; id !== undefined && parents.has(id) && known < spans.length; known++) {
      id = parents.get(id);
    }
    depth.set(span.spanId, known);
    return known;
  };
  return [...spans].sort((a, b) => a.startMs - b.startMs || depthOf(a) - depthOf(b));
}

function summarize(entry: TraceEntry): TraceSummary {
  const head = entry.root ?? entry.spans[0];
  const status = head?.attributes['http.response.status_code'];
  return {
    traceId: entry.traceId,
    name: head?.name ?? '(spans not ended yet)',
    kind: head?.kind,
    statusCode: typeof status === 'number' ? status : undefined,
    startMs: entry.startMs,
    durationMs: entry.root?.durationMs ?? entry.endMs - entry.startMs,
    error: entry.error,
    spanCount: entry.spans.length + entry.droppedSpans,
    logCount: entry.logCount,
    version: entry.version,
  };
}
