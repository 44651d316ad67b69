/**
 * The synchronous byte writer under the batched line stream (batched-stream.ts): a file descriptor written
 * with `fs.writeSync` until every byte is out.
 *
 * - A partial write (a pipe with less room than the batch) is continued from where it stopped.
 * - `EAGAIN` (a non-blocking pipe or terminal that is full: the reader is slow) is waited out, sleeping 1 ms
 *   and doubling up to 100 ms between tries, so no line is dropped; the process blocks as any synchronous
 *   logger's would.
 * - Any other failure (a closed descriptor, a full disk) gives up on that batch and goes to the `error`
 *   listeners (the destination's warns once); it is never thrown into the application.
 */
import { writeSync } from 'node:fs';

const FIRST_WAIT_MS = 1;
const LONGEST_WAIT_MS = 100;

/** A shared cell for `Atomics.wait`, used only to sleep. */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

export class FdSink {
  private readonly listeners: ((error: unknown) => void)[] = [];

  constructor(readonly fd: number) {}

  write(bytes: Uint8Array): void {
    let offset = 0;
    let wait = FIRST_WAIT_MS;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
        wait = FIRST_WAIT_MS;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
          this.fail(error);
          return;
        }
        Atomics.wait(SLEEPER, 0, 0, wait);
        wait = Math.min(wait * 2, LONGEST_WAIT_MS);
      }
    }
  }

  on(event: 'error', listener: (error: unknown) => void): this {
    if (event === 'error') this.listeners.push(listener);
    return this;
  }

  private fail(error: unknown): void {
    for (const listener of this.listeners) {
      try {
        listener(error);
      } catch {
        // A listener's own failure is not the application's either.
      }
    }
  }
}
