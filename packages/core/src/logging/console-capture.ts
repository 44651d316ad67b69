/**
 * `console.*` as log lines (`captureConsole`): each call of `console.log`, `info`, `debug`, `warn`, `error`,
 * `trace` and `dir` — the app's own and its libraries', whenever they looked the method up — becomes one line
 * of the logger's schema instead of plain text, so a log shipper reading the output never meets a line it
 * cannot parse.
 *
 * - The message is what the console would have printed: `util.format` of the arguments (an Error's stack
 *   included); `trace` adds its `Trace: …` header and stack, `dir` is `util.inspect` with its options. The
 *   first Error among the arguments is also the line's `error` (type, message, stack, causes).
 * - The level comes from the method: `log`, `info` and `dir` INFO, `debug` DEBUG, `warn` WARN, `error`
 *   ERROR, `trace` TRACE — except Node's own process warnings, which it prints with `console.error`: WARN.
 *   Console output was never filtered, so it is not filtered by `logLevel` either.
 * - Methods the console implements through these (`assert`, `count`, `table`, `timeEnd`, `group`…) follow.
 *
 * The line is written by the sink given to {@link captureConsole} (the core's logger, through its own
 * destination: it never writes through the console). Safety:
 * - A console call made while the sink writes (a user's destination or processor that prints) goes to the
 *   original console method: that output is what it asked for, and it cannot loop back here.
 * - A console call made while its arguments are being formatted (a custom `inspect` that logs) is captured
 *   too, nested at most {@link MAX_NESTING} deep; deeper, arguments are written without being inspected.
 * - An argument whose inspection throws is written as a marker; a sink that throws hands the call to the
 *   original method. The console call itself never throws.
 *
 * The wrappers are installed on the console object once and read the current sink from a process-wide slot;
 * {@link ConsoleCapture.restore} puts back every method still holding its wrapper (one wrapped again by
 * someone else since stays, and passes calls to the original).
 */
import { format, inspect } from 'node:util';
import { isError } from './safe-json.js';

/** The console methods captured. */
export const CAPTURED_CONSOLE_METHODS = Object.freeze([
  'log',
  'info',
  'debug',
  'warn',
  'error',
  'trace',
  'dir',
] as const);
export type CapturedConsoleMethod = (typeof CAPTURED_CONSOLE_METHODS)[number];

/** The pino level name each method writes at. */
export type ConsoleLineLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Readonly<Record<CapturedConsoleMethod, ConsoleLineLevel>> = Object.freeze({
  log: 'info',
  info: 'info',
  debug: 'debug',
  warn: 'warn',
  error: 'error',
  trace: 'trace',
  dir: 'info',
});

/** Writes one captured call: its level, its message, and the first Error among its arguments (or undefined). */
export type ConsoleLineSink = (level: ConsoleLineLevel, message: string, error: unknown) => void;

/** Console calls nested inside the formatting of another call that are still captured. */
export const MAX_NESTING = 3;

type ConsoleFunction = (...args: unknown[]) => unknown;
type ConsoleLike = Record<CapturedConsoleMethod, ConsoleFunction>;

interface CaptureSlot {
  /** Where lines go; undefined once restored (a wrapper left in place then passes calls on). */
  sink: ConsoleLineSink | undefined;
  /** Calls being formatted (nesting depth). */
  depth: number;
  /** True while the sink writes. */
  writing: boolean;
}

/** Marks a wrapper; registered, so the ESM and CJS copies of the core recognise each other's. */
const WRAPPER = Symbol.for('autotelemetry.console-capture.v1');

interface Wrapper extends ConsoleFunction {
  [WRAPPER]?: { readonly slot: CaptureSlot; readonly original: ConsoleFunction };
}

/** A captured console: {@link ConsoleCapture.restore} gives the console its methods back. */
export interface ConsoleCapture {
  restore(): void;
}

function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'unreadable';
  }
}

/** An argument on its own, when formatting them together threw. */
function formatOne(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  try {
    return inspect(arg);
  } catch (error) {
    return `[Uninspectable: ${describeThrown(error)}]`;
  }
}

/** An argument written without running any of its code: too deep in nested console calls. */
function primitiveText(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'function') return '[Function]';
  if (arg === null || typeof arg !== 'object') {
    try {
      return String(arg);
    } catch {
      return `[${typeof arg}]`;
    }
  }
  try {
    return Array.isArray(arg) ? '[Array]' : '[Object]';
  } catch {
    // A revoked Proxy.
    return '[Object]';
  }
}

function formatArgs(args: readonly unknown[]): string {
  try {
    return format(...args);
  } catch {
    // One argument's inspection threw (a hostile Proxy, a throwing custom inspect): each on its own.
    return args.map(formatOne).join(' ');
  }
}

function traceMessage(args: readonly unknown[], wrapper: ConsoleFunction): string {
  const formatted = args.length === 0 ? '' : formatArgs(args);
  const header = formatted === '' ? 'Trace' : `Trace: ${formatted}`;
  // The frames only: the header is written here, whatever an Error.prepareStackTrace would make of it.
  const holder: { stack?: unknown } = {};
  try {
    Error.captureStackTrace(holder, wrapper);
  } catch {
    // No stack to add: the header alone.
  }
  const stack = typeof holder.stack === 'string' ? holder.stack : '';
  const frames = stack.indexOf('\n');
  return frames === -1 ? header : `${header}${stack.slice(frames)}`;
}

function dirMessage(args: readonly unknown[]): string {
  try {
    const options = args[1];
    return inspect(args[0], {
      customInspect: false,
      ...(options !== null && typeof options === 'object' ? options : {}),
    });
  } catch {
    return formatOne(args[0]);
  }
}

/** Node prints its process warnings (`(node:PID) [CODE] Warning: …`) with `console.error`; they are WARN lines. */
function isNodeWarning(message: string): boolean {
  return message.startsWith('(node:') && message.startsWith(`(node:${process.pid}) `);
}

function firstError(args: readonly unknown[]): unknown {
  for (const arg of args) {
    try {
      if (isError(arg)) return arg;
    } catch {
      // A revoked Proxy: not an Error.
    }
  }
  return undefined;
}

function callOriginal(original: ConsoleFunction, target: object, args: unknown[]): void {
  try {
    Reflect.apply(original, target, args);
  } catch {
    // The console never throws into its caller.
  }
}

function makeWrapper(slot: CaptureSlot, method: CapturedConsoleMethod, original: ConsoleFunction, target: object) {
  const level = LEVELS[method];
  const wrapper: Wrapper = function captured(...args: unknown[]): void {
    const sink = slot.sink;
    if (sink === undefined || slot.writing) {
      callOriginal(original, target, args);
      return;
    }
    let message: string;
    let error: unknown;
    slot.depth++;
    try {
      if (slot.depth > MAX_NESTING + 1) message = args.map(primitiveText).join(' ');
      else if (method === 'trace') message = traceMessage(args, wrapper);
      else if (method === 'dir') message = dirMessage(args);
      else message = formatArgs(args);
      error = method === 'dir' || method === 'trace' ? undefined : firstError(args);
    } catch {
      message = args.map(primitiveText).join(' ');
    } finally {
      slot.depth--;
    }
    slot.writing = true;
    try {
      sink(method === 'error' && isNodeWarning(message) ? 'warn' : level, message, error);
    } catch {
      slot.writing = false;
      callOriginal(original, target, args);
    } finally {
      slot.writing = false;
    }
  };
  wrapper[WRAPPER] = { slot, original };
  return wrapper;
}

function wrapperInfo(value: unknown): Wrapper[typeof WRAPPER] {
  return typeof value === 'function' ? (value as Wrapper)[WRAPPER] : undefined;
}

/**
 * Captures `target`'s methods (the global console by default) into `sink` until the returned capture is
 * restored. A console already captured (by the other copy of the core, or a capture left in place) is
 * pointed at the new sink. Never throws.
 */
export function captureConsole(sink: ConsoleLineSink, target: object = console): ConsoleCapture {
  const consoleLike = target as ConsoleLike;
  const slots = new Set<CaptureSlot>();
  const installed = new Map<CapturedConsoleMethod, Wrapper>();
  let own: CaptureSlot | undefined;
  for (const method of CAPTURED_CONSOLE_METHODS) {
    try {
      const current = consoleLike[method];
      const info = wrapperInfo(current);
      if (info !== undefined) {
        // Captured already: the wrapper stays, its slot gets this sink.
        info.slot.sink = sink;
        slots.add(info.slot);
        continue;
      }
      if (typeof current !== 'function') continue;
      own ??= { sink, depth: 0, writing: false };
      const wrapper = makeWrapper(own, method, current, target);
      consoleLike[method] = wrapper;
      installed.set(method, wrapper);
    } catch {
      // A frozen console or a method that cannot be replaced: that method prints as before.
    }
  }
  if (own !== undefined) slots.add(own);
  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      for (const slot of slots) if (slot.sink === sink) slot.sink = undefined;
      for (const [method, wrapper] of installed) {
        try {
          if (consoleLike[method] === wrapper)
            consoleLike[method] = (wrapper[WRAPPER] as { original: ConsoleFunction }).original;
        } catch {
          // Left in place: with no sink it passes every call to the original.
        }
      }
    },
  };
}
