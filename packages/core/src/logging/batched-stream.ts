/**
 * Log lines gathered per turn of the event loop and written in one synchronous write when the turn ends
 * (`setImmediate`), instead of one write system call per line. On a busy server most lines share a write with
 * others.
 *
 * Each line is encoded to UTF-8 once, as it is queued, into a byte buffer the stream keeps and reuses; the
 * turn's bytes then go to the file descriptor as they are (fd-sink.ts: partial writes continued, `EAGAIN` on
 * a full pipe waited out), so lines keep their order and nothing is left in flight between turns. (A string
 * batch handed to a string writer was scanned for its byte length, then encoded again by the write.)
 *
 * What is still guaranteed: a line is written before the next turn of the event loop; at `process.exit()`,
 * an uncaught exception or a normal end, the `exit` listener writes what the current turn gathered; a flush
 * (`flushSync`, the logger's flush, the pipeline's shutdown) writes it at once. A process killed outright
 * (SIGKILL, abort) loses at most the lines of its current turn — the price of not writing line by line.
 *
 * The `exit` listener is attached only while lines are waiting (from the first line of a turn to its write),
 * so idle loggers leave no listener on the process.
 */
import { outsideContext } from '../outside-context.js';

/** Where a batch's bytes go: written completely before `write` returns. */
export interface SyncByteSink {
  /** Writes `bytes` (a view of the stream's buffer, valid only during the call). Never throws. */
  write(bytes: Uint8Array): void;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
}

/** Above this many bytes waiting, they are written at once rather than at the end of the turn. */
export const BATCH_HIGH_WATER = 64 * 1024;

/** Bytes the buffer starts with; it grows for a longer line and shrinks back after. */
const INITIAL_BYTES = BATCH_HIGH_WATER + 16 * 1024;

/** A line stream writing its lines once per event-loop turn, in order. */
export class BatchedLineStream {
  private buffer: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private spare: Buffer | undefined;
  private length = 0;
  private scheduled = false;
  private readonly flushPending = (): void => {
    this.scheduled = false;
    process.off('exit', this.flushPending);
    this.writePending();
  };

  constructor(private readonly sink: SyncByteSink) {}

  // The immediate holds no request's context alive (outside-context.ts).
  private readonly scheduleFlush = (): void => {
    setImmediate(this.flushPending);
  };

  /** Queues a line; it is written at the end of this turn of the event loop, or at exit. */
  write(chunk: string): boolean {
    // A UTF-16 code unit takes at most three UTF-8 bytes.
    if (this.length + chunk.length * 3 > this.buffer.length) this.makeRoom(chunk.length * 3);
    this.length += this.buffer.write(chunk, this.length, 'utf8');
    if (this.length >= BATCH_HIGH_WATER) this.writePending();
    else if (!this.scheduled) {
      this.scheduled = true;
      outsideContext(this.scheduleFlush);
      process.on('exit', this.flushPending);
    }
    return true;
  }

  /** Writes everything waiting, now. */
  flushSync(): void {
    this.writePending();
  }

  /** Forwards error listeners to the sink (pino and the destination attach one). */
  on(event: 'error', listener: (error: unknown) => void): this {
    this.sink.on?.(event, listener);
    return this;
  }

  /** Writes what is waiting, then grows the buffer when `bytes` more would not fit in it. */
  private makeRoom(bytes: number): void {
    this.writePending();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

  private writePending(): void {
    if (this.length === 0) return;
    const full = this.buffer;
    const bytes = full.subarray(0, this.length);
    // Lines queued while the sink writes (an error listener that logs) go to the other buffer, not over
    // the bytes being written. A buffer grown for one long line is not kept.
    this.buffer = this.spare ?? Buffer.allocUnsafe(INITIAL_BYTES);
    this.spare = full.length > INITIAL_BYTES ? undefined : full;
    this.length = 0;
    this.sink.write(bytes);
  }
}
