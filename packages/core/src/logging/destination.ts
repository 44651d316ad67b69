/**
 * Where log lines go. A file descriptor or path is written synchronously, batched per turn of the event loop
 * (batched-stream.ts: one write per turn instead of one per line, lines in order, written at
 * `process.exit()`, on an uncaught exception and at every flush; fd-sink.ts: partial writes and a full pipe).
 * A writable object is called line by line.
 */
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, type LogDestination } from '../config/types.js';
import { BatchedLineStream } from './batched-stream.js';
import { FdSink } from './fd-sink.js';

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

/** Opens the destination: fd and path through the batched byte stream, a writable object guarded. */
export function openDestination(destination: LogDestination): LineStream {
  if (typeof destination === 'number' || typeof destination === 'string') {
    let fd: number;
    try {
      // A path is opened here, synchronously, so a bad one fails now with the reason rather than later.
      if (typeof destination === 'string') {
        mkdirSync(dirname(destination), { recursive: true });
        fd = openSync(destination, 'a');
      } else {
        fd = destination;
      }
    } catch (error) {
      throw new ConfigError(
        'logDestination',
        destination,
        `a writable file descriptor or file path (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    // I/O errors later go to one warning, never into the application.
    const sink = new FdSink(fd).on('error', warnOnce);
    return new BatchedLineStream(sink);
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
