/**
 * Where log lines go. A file descriptor or path is written through a synchronous SonicBoom, batched per turn
 * of the event loop (batched-stream.ts: one write per turn instead of one per line, lines in order, written
 * at `process.exit()`, on an uncaught exception and at every flush). A writable object is called line by line.
 */
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { ConfigError, type LogDestination } from '../config/types.js';
import { BatchedLineStream } from './batched-stream.js';

/** A stream pino can write lines to. */
export interface LineStream {
  write(chunk: string): unknown;
  flushSync?(): void;
}

let warnedOnce = false;

function warnOnce(error: unknown): void {
  if (warnedOnce) return;
  warnedOnce = true;
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`AutoTelemetry could not write a log line (further failures are silent): ${message}`, {
    code: 'AUTOTELEMETRY_LOG_WRITE',
  });
}

/** Opens the destination: fd and path through a synchronous SonicBoom, a writable object guarded. */
export function openDestination(destination: LogDestination): LineStream {
  if (typeof destination === 'number' || typeof destination === 'string') {
    let stream: ReturnType<typeof pino.destination>;
    try {
      // A path is opened here, synchronously, so a bad one fails now with the reason rather than later.
      let fd = destination;
      if (typeof fd === 'string') {
        mkdirSync(dirname(fd), { recursive: true });
        fd = openSync(fd, 'a');
      }
      stream = pino.destination({ dest: fd, sync: true });
    } catch (error) {
      throw new ConfigError(
        'logDestination',
        destination,
        `a writable file descriptor or file path (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    // Without a listener an I/O error would be thrown from an 'error' event into the application.
    stream.on('error', warnOnce);
    return new BatchedLineStream(stream);
  }
  return guardWriter(destination);
}

/** Wraps a user's writer so a throwing `write` costs a warning, never an exception in the caller. */
function guardWriter(target: { write(chunk: string): unknown }): LineStream {
  const flushSync = (target as { flushSync?: unknown }).flushSync;
  return {
    write(chunk: string): unknown {
      try {
        return target.write(chunk);
      } catch (error) {
        warnOnce(error);
        return true;
      }
    },
    ...(typeof flushSync === 'function'
      ? {
          flushSync(): void {
            flushSync.call(target);
          },
        }
      : {}),
  };
}

/** Flushes a stream synchronously when it can. Never throws. */
export function flushStream(stream: unknown): void {
  const flushSync = (stream as LineStream | undefined)?.flushSync;
  if (typeof flushSync !== 'function') return;
  try {
    flushSync.call(stream);
  } catch {
    // Not open yet or already closed: nothing buffered to lose.
  }
}
