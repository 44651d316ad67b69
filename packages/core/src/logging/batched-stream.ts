/**
 * Log lines gathered per turn of the event loop and written in one synchronous write when the turn ends
 * (`setImmediate`), instead of one write system call per line. On a busy server most lines share a write with
 * others; the write itself still goes through a synchronous SonicBoom (which handles partial writes and
 * `EAGAIN` on a full pipe), so lines keep their order and nothing is left in flight between turns.
 *
 * What is still guaranteed: a line is written before the next turn of the event loop; at `process.exit()`,
 * an uncaught exception or a normal end, the `exit` listener writes what the current turn gathered; a flush
 * (`flushSync`, the logger's flush, the pipeline's shutdown) writes it at once. A process killed outright
 * (SIGKILL, abort) loses at most the lines of its current turn — the price of not writing line by line.
 *
 * The `exit` listener is attached only while lines are waiting (from the first line of a turn to its write),
 * so idle loggers leave no listener on the process.
 */

/** The write end a batch goes to (a synchronous SonicBoom). */
export interface SyncLineSink {
  write(chunk: string): unknown;
  flushSync?(): void;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
}

/** Above this many characters waiting, they are written at once rather than at the end of the turn. */
export const BATCH_HIGH_WATER = 64 * 1024;

/** A line stream writing its lines once per event-loop turn, in order. */
export class BatchedLineStream {
  private pending = '';
  private scheduled = false;
  private readonly flushPending = (): void => {
    this.scheduled = false;
    process.off('exit', this.flushPending);
    this.writePending();
  };

  constructor(private readonly sink: SyncLineSink) {}

  /** Queues a line; it is written at the end of this turn of the event loop, or at exit. */
  write(chunk: string): boolean {
    this.pending += chunk;
    if (this.pending.length >= BATCH_HIGH_WATER) this.writePending();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushPending);
      process.on('exit', this.flushPending);
    }
    return true;
  }

  /** Writes everything waiting, now. */
  flushSync(): void {
    this.writePending();
    this.sink.flushSync?.();
  }

  /** Forwards error listeners to the sink (pino and the destination attach one). */
  on(event: 'error', listener: (error: unknown) => void): this {
    this.sink.on?.(event, listener);
    return this;
  }

  private writePending(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = '';
    this.sink.write(chunk);
  }
}
