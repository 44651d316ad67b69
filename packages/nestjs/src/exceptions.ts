/**
 * What reaches Nest's exception layer is recorded on the request's span, before the app's filters run.
 *
 * Every exception thrown in a route — by a guard, an interceptor, a pipe, the handler or Nest middleware —
 * passes through one method on its way to the exception filters: `ExceptionsHandler#next` (it picks the
 * app's filter, or falls back to the built-in one). Wrapping that method once gives each exception to the
 * request's record and then calls the original unchanged, so filter selection and the response stay Nest's
 * and a successful request pays nothing. A global interceptor would cost every request a few Observables
 * and would not see what guards throw.
 *
 * Which exceptions count as failures: an `HttpException` (or an http-errors / Fastify error Nest answers
 * with its own status) below 500 is the client's doing and is not recorded; anything else is — an
 * exception event, and ERROR status when the response is 5xx.
 */
import { getRequestRecord } from '@autotelemetry/core';

/** The arguments host Nest hands the exception layer (`[req, res, next]` for HTTP). */
interface ArgsHost {
  getArgByIndex(index: number): unknown;
}

type ExceptionDispatch = (this: unknown, exception: unknown, host: ArgsHost) => unknown;

/** Marks Nest's `ExceptionsHandler` prototype as wrapped; shared by the ESM and CJS builds. */
const WRAPPED = Symbol.for('autotelemetry.nestjs.exceptions-handler.v1');

interface ExceptionsHandlerPrototype {
  next?: unknown;
  [WRAPPED]?: true;
}

/** The status Nest answers `exception` with, when the exception says so itself. */
function declaredStatus(exception: unknown): number | undefined {
  if (exception === null || typeof exception !== 'object') return undefined;
  const e = exception as {
    getStatus?: unknown;
    getResponse?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    code?: unknown;
  };
  // HttpException, by shape: the app may load another copy of @nestjs/common than this package.
  if (typeof e.getStatus === 'function' && typeof e.getResponse === 'function') {
    const status = (e.getStatus as () => unknown).call(exception);
    return typeof status === 'number' ? status : undefined;
  }
  // http-errors (`expose`) and Fastify errors (`code`), which Nest answers with their `statusCode`.
  if (typeof e.statusCode === 'number' && (typeof e.expose === 'boolean' || typeof e.code === 'string')) {
    return e.statusCode;
  }
  return undefined;
}

/** Whether `exception` is a server-side failure (recorded), rather than a client error answered 4xx. */
export function isServerFailure(exception: unknown): boolean {
  try {
    const status = declaredStatus(exception);
    return status === undefined || status >= 500;
  } catch {
    return true;
  }
}

/** The raw request of an HTTP exception host: Express's request, or Fastify's `request.raw`. */
function requestOf(host: ArgsHost): object | undefined {
  const req = host.getArgByIndex(0);
  if (req === null || typeof req !== 'object') return undefined;
  const raw = (req as { raw?: unknown }).raw;
  return raw !== null && typeof raw === 'object' ? raw : req;
}

/** Gives `exception` to the record of the request `host` belongs to, if it is a server-side failure. */
export function noteRouteException(exception: unknown, host: ArgsHost): void {
  try {
    if (!isServerFailure(exception)) return;
    const req = requestOf(host);
    if (req !== undefined) getRequestRecord(req)?.fail(exception);
  } catch {
    // Telemetry never changes how the app answers.
  }
}

function wrapDispatch(original: ExceptionDispatch): ExceptionDispatch {
  return function next(this: unknown, exception: unknown, host: ArgsHost): unknown {
    noteRouteException(exception, host);
    return original.call(this, exception, host);
  };
}

let captured: Promise<boolean> | undefined;
let capturing = false;

/** Whether route exceptions are being recorded by this module (the wrapper is installed). */
export function routeExceptionsCaptured(): boolean {
  return capturing;
}

/**
 * Wraps `ExceptionsHandler#next` of the `@nestjs/core` the app uses, once per process. Resolves to whether
 * exceptions are captured; when Nest's layout is not the expected one it resolves false (request spans then
 * still turn ERROR on a 5xx answer, without the exception event).
 */
export function captureRouteExceptions(): Promise<boolean> {
  captured ??= (async () => {
    try {
      // Nest 11 (CommonJS, no exports map) and Nest 12 (ESM, `./*.js` exported) both serve this path.
      const loaded = (await import('@nestjs/core/exceptions/exceptions-handler.js')) as {
        ExceptionsHandler?: { prototype: ExceptionsHandlerPrototype };
        default?: { ExceptionsHandler?: { prototype: ExceptionsHandlerPrototype } };
      };
      const handler = loaded.ExceptionsHandler ?? loaded.default?.ExceptionsHandler;
      const proto = handler?.prototype;
      if (proto === undefined) return false;
      if (proto[WRAPPED] !== true) {
        if (typeof proto.next !== 'function') return false;
        proto.next = wrapDispatch(proto.next as ExceptionDispatch);
        Object.defineProperty(proto, WRAPPED, { value: true });
      }
      capturing = true;
      return true;
    } catch {
      return false;
    }
  })();
  return captured;
}
