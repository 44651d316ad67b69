/**
 * `TelemetryLogger`: Nest's `LoggerService` writing through the core's logger, so Nest's own lines
 * (bootstrap, route mapping, exceptions) and the app's `new Logger(Context)` lines come out in the log
 * schema — `logger` is Nest's context name, `trace_id`/`span_id` are the request's inside a request.
 *
 * ```ts
 * const app = await NestFactory.create(AppModule, { bufferLogs: true });
 * app.useLogger(app.get(TelemetryLogger));
 * ```
 */
import { type TelemetryLogger as CoreLogger, getTelemetry, type TelemetryClient } from '@autotelemetry/core';
import { ConsoleLogger, type LoggerService, type LogLevel as NestLogLevel } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { routeExceptionsCaptured } from './exceptions.js';

/** The core logger method each of Nest's levels writes with. */
const LEVEL_METHOD = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
} as const satisfies Record<NestLogLevel, string>;

type CoreMethod = (typeof LEVEL_METHOD)[NestLogLevel];

/** `logger` of lines written without a Nest context. */
export const NEST_DEFAULT_LOGGER_NAME = 'nestjs';

/**
 * Nest's context under which its built-in exception filter logs the unexpected exceptions of requests;
 * the module records those on the request's span itself (see exceptions.ts), so their log line does not
 * record them a second time.
 */
const EXCEPTIONS_HANDLER_CONTEXT = 'ExceptionsHandler';

/** Context names kept as named child loggers; past the bound, lines still carry the name, uncached. */
const MAX_CACHED_CONTEXTS = 256;

// Nest's stack test: a first line, then `at …:line:column` frames.
const STACK_FORMAT = /^(.)+\n\s+at .+:\d+:\d+/;

function isStack(value: unknown): value is string {
  return typeof value === 'string' && STACK_FORMAT.test(value);
}

/** An Error carrying a message and a stack Nest passed as strings, for the line's `error` field. */
function errorFromStack(message: string, stack: string): Error {
  const error = new Error(message);
  const head = stack.slice(0, stack.indexOf('\n'));
  const colon = head.indexOf(':');
  const name = colon > 0 ? head.slice(0, colon) : '';
  if (/^[A-Za-z_$][\w$]*$/.test(name)) error.name = name;
  error.stack = stack;
  return error;
}

/** A Nest log call taken apart: what the line's message, data and error are, and under which name. */
interface ParsedCall {
  context: string | undefined;
  message: string;
  data: unknown;
}

/**
 * Nest calls `log(message, ...params)` with its context last (`log(message, context)`, or
 * `log(message, undefined, context)` from a `Logger` with a context), and `error(message, stack?, context?)`.
 */
function parseCall(message: unknown, params: readonly unknown[], isError: boolean): ParsedCall {
  let end = params.length;
  let ctx: string | undefined;
  // The last string is the context, unless `error(message, stack)` came without one.
  const last = params[end - 1];
  if (end > 0 && typeof last === 'string' && !(isError && isStack(last))) {
    ctx = last;
    end--;
  }
  let stack: string | undefined;
  const extras: unknown[] = [];
  for (let i = 0; i < end; i++) {
    const param = params[i];
    if (param === undefined) continue;
    if (isError && stack === undefined && isStack(param)) stack = param;
    else extras.push(param);
  }
  let text: string;
  let data: unknown;
  if (message instanceof Error) {
    text = message.message;
    data = message;
  } else if (typeof message === 'string') {
    text = message;
    data = stack === undefined ? undefined : errorFromStack(message, stack);
  } else if (message !== null && typeof message === 'object') {
    const inner = (message as { message?: unknown }).message;
    text = typeof inner === 'string' ? inner : '';
    data = message;
  } else {
    text = message === undefined ? '' : String(message);
    data = undefined;
  }
  if (extras.length > 0) {
    if (data === undefined) data = extras.length === 1 ? extras[0] : extras;
    else data = { value: data, params: extras };
  }
  return { context: ctx, message: text, data };
}

/**
 * Nest's `LoggerService` on the AutoTelemetry pipeline. Get it from the module
 * (`app.useLogger(app.get(TelemetryLogger))`) or construct it (`new TelemetryLogger()`), which then writes
 * through whichever pipeline runs at each call — before any runs, lines go to Nest's console logger, so
 * nothing is lost.
 *
 * Levels: Nest's `verbose`/`debug`/`log`/`warn`/`error`/`fatal` are written at TRACE/DEBUG/INFO/WARN/ERROR/
 * FATAL; the pipeline's `logLevel` still decides what is written, and `setLogLevels` (Nest's `logger` option)
 * narrows it further.
 */
export class TelemetryLogger implements LoggerService {
  private readonly named = new Map<string, CoreLogger>();
  private enabled: ReadonlySet<NestLogLevel> | undefined;
  private fallback: ConsoleLogger | undefined;
  private cachedFor: CoreLogger | undefined;

  /**
   * @param client the pipeline to write through; default: the running one at each call.
   * @param context the `logger` name of lines that name no context; default `nestjs`.
   */
  constructor(
    private readonly client?: TelemetryClient,
    private readonly context: string = NEST_DEFAULT_LOGGER_NAME,
  ) {}

  /** Writes an INFO line (Nest's `log` level). */
  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('log', message, optionalParams);
  }

  /** Writes an ERROR line; Nest's `error(message, stack?, context?)` puts the stack in the line's `error`. */
  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  /** Writes a WARN line. */
  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  /** Writes a DEBUG line. */
  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  /** Writes a TRACE line (Nest's `verbose` level). */
  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('verbose', message, optionalParams);
  }

  /** Writes a FATAL line. */
  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  /** Keeps only these of Nest's levels (Nest calls this with its `logger` option). */
  setLogLevels(levels: NestLogLevel[]): void {
    this.enabled = new Set(levels);
    this.fallback?.setLogLevels(levels);
  }

  private root(): CoreLogger | undefined {
    const client = this.client ?? getTelemetry();
    return client?.getLogger();
  }

  private loggerFor(root: CoreLogger, name: string): CoreLogger {
    if (root !== this.cachedFor) {
      // Another pipeline (restarted, or a test's): names are cached per root logger.
      this.named.clear();
      this.cachedFor = root;
    }
    let logger = this.named.get(name);
    if (logger === undefined) {
      logger = root.getLogger(name);
      if (this.named.size < MAX_CACHED_CONTEXTS) this.named.set(name, logger);
    }
    return logger;
  }

  private write(level: NestLogLevel, message: unknown, params: readonly unknown[]): void {
    if (this.enabled !== undefined && !this.enabled.has(level)) return;
    try {
      const root = this.root();
      if (root === undefined) {
        this.writeToConsole(level, message, params);
        return;
      }
      const method: CoreMethod = LEVEL_METHOD[level];
      const call = parseCall(message, params, level === 'error' || level === 'fatal');
      const logger = this.loggerFor(root, call.context ?? this.context);
      if (logger.isLevelEnabled(method) === false) return;
      if (call.context === EXCEPTIONS_HANDLER_CONTEXT && call.data instanceof Error && routeExceptionsCaptured()) {
        writeWithoutRecording(logger, method, call);
      } else {
        logger[method](call.message, call.data);
      }
    } catch {
      // A log line never breaks the app.
    }
  }

  private writeToConsole(level: NestLogLevel, message: unknown, params: readonly unknown[]): void {
    if (this.fallback === undefined) {
      this.fallback = new ConsoleLogger();
      if (this.enabled !== undefined) this.fallback.setLogLevels([...this.enabled]);
    }
    this.fallback[level](message, ...params);
  }
}

function writeCall(this: CoreLogger, method: CoreMethod, call: ParsedCall): void {
  this[method](call.message, call.data);
}

/**
 * Writes an error line with the active span's ids but without adding an exception event to it (the span's
 * context wrapped in a non-recording span): used for the exceptions the module already recorded.
 */
function writeWithoutRecording(logger: CoreLogger, method: CoreMethod, call: ParsedCall): void {
  const active = context.active();
  const span = trace.getSpan(active);
  if (span === undefined) {
    logger[method](call.message, call.data);
    return;
  }
  context.with(trace.setSpan(active, trace.wrapSpanContext(span.spanContext())), writeCall, logger, method, call);
}
