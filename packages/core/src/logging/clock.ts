/**
 * Timestamps for log lines. Formatting a date costs more than writing a short line, and a busy process
 * writes many lines within one millisecond, so the text of the current millisecond is kept and reused.
 */

let isoMs = Number.NaN;
let isoText = '';

/** ISO 8601 UTC with milliseconds and `Z`, e.g. `2026-08-15T10:23:45.123Z`. Pino calls it once per line. */
export function isoTimestamp(): string {
  return isoTimestampAt(Date.now());
}

/** {@link isoTimestamp} of a given epoch time in milliseconds (a line about a moment already past). */
export function isoTimestampAt(epochMs: number): string {
  const ms = Math.floor(epochMs);
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * Local wall-clock time for the development text line, `2026-08-15 10:23:45.123`: what a developer
 * reading a terminal compares with their clock.
 */
export function localTimestamp(): string {
  const d = new Date();
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(
    d.getMinutes(),
  )}:${pad2(d.getSeconds())}.${pad3(d.getMilliseconds())}`;
}
