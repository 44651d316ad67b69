/**
 * gRPC (`@grpc/grpc-js` 1.x): CLIENT and SERVER spans by the stable RPC conventions, the trace context carried
 * in the call's metadata. grpc-js publishes no tracing channels, so both sides are patches of the shared
 * prototypes of the loaded package (module-watch.ts), which reach every caller whatever the load order:
 *
 * - **Client: `Channel.prototype.createCall`.** Every call of every client goes through its channel, whenever
 *   its class was made. (The maintained instrumentation wraps the methods of client classes as
 *   `loadPackageDefinition` / `makeClientConstructor` make them, which misses every class an app made before
 *   telemetry started — the usual case when telemetry starts in a middleware.) The span starts when the call
 *   starts, in the caller's context; the context goes out in the metadata and comes back around the
 *   listener, so the app's callbacks run under the caller's span; the span ends with the call's status.
 * - **Server: `@opentelemetry/instrumentation-grpc`'s `Server.prototype.register` patch**, applied alone to
 *   the loaded package (its client patches are left out: the channel patch above covers them). A handler
 *   registered before the patch is re-registered through it on its first call (`Server.prototype.
 *   _retrieveHandler`), so a server started before telemetry is traced too. The instrumentation's spans are
 *   brought to the stable conventions as they end (rpc-spans.ts).
 *
 * Calls made with tracing suppressed — the OTLP gRPC exporter's own, which share the app's grpc-js copy when
 * both resolve to it — get no span.
 */
import {
  type Context,
  context,
  createNoopMeter,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { LoadedPackage } from './module-watch.js';
import { patchLoadedPackage, undoInReverse } from './otel-patch.js';

export const GRPC_SYSTEM = 'grpc';

/** The scope of the server spans (the instrumentation's own). */
export const GRPC_INSTRUMENTATION_SCOPE = '@opentelemetry/instrumentation-grpc';

/** gRPC status names by code (`rpc.status_code`, `error.type`). */
export const GRPC_STATUS_NAMES: readonly string[] = Object.freeze([
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

/** The status name of `code`, `_OTHER` for a code gRPC does not define. */
export function grpcStatusName(code: unknown): string {
  return typeof code === 'number' ? (GRPC_STATUS_NAMES[code] ?? '_OTHER') : '_OTHER';
}

/** The codes a server span counts as its own failure (the gRPC conventions); a client fails on any but OK. */
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]);

/** Whether a call that ended with `code` failed, from the point of view of `kind`. */
export function isGrpcError(code: number, kind: SpanKind): boolean {
  return kind === SpanKind.SERVER ? SERVER_ERROR_CODES.has(code) : code !== 0;
}

/** `package.Service/Method` from a call path `/package.Service/Method`. */
export const grpcMethodOf = (path: string): string => (path.startsWith('/') ? path.slice(1) : path);

/**
 * `server.address` and `server.port` of a channel target (`dns:///127.0.0.1:50051`, `localhost:50051`,
 * `ipv4:10.0.0.1:443`, `[::1]:50051`); none for a Unix socket.
 */
export function grpcTargetOf(target: unknown): { address?: string; port?: number } {
  if (typeof target !== 'string' || /^unix(-abstract)?:/.test(target)) return {};
  // `scheme:rest`, unless what follows the colon is a port (`localhost:50051`); `//authority/` is dropped.
  const scheme = /^[a-z][a-z0-9+.-]*:(?!\d+$)/i.exec(target);
  let rest = scheme === null ? target : target.slice(scheme[0].length).replace(/^\/\/[^/]*\//, '');
  rest = rest.replace(/^\/+/, '');
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) return withPort({ address: bracketed[1] }, bracketed[2]);
  const colon = rest.lastIndexOf(':');
  if (colon === -1 || rest.indexOf(':') !== colon) return rest === '' ? {} : { address: rest };
  return withPort({ address: rest.slice(0, colon) }, rest.slice(colon + 1));
}

function withPort(out: { address?: string; port?: number }, port: string | undefined): typeof out {
  const n = port === undefined ? Number.NaN : Number(port);
  return Number.isInteger(n) && n > 0 ? { ...out, port: n } : out;
}

interface Metadata {
  set(key: string, value: string): void;
}

interface StatusObject {
  readonly code: number;
  readonly details?: string;
}

interface Listener {
  onReceiveMetadata(metadata: unknown): void;
  onReceiveMessage(message: unknown): void;
  onReceiveStatus(status: StatusObject): void;
}

interface GrpcCall {
  start(metadata: Metadata, listener: Listener): void;
}

interface ChannelLike {
  getTarget(): string;
  createCall(method: string, ...rest: unknown[]): GrpcCall;
}

interface GrpcExports {
  readonly Channel?: { prototype: ChannelLike };
  readonly Server?: { prototype: ServerPrototype };
}

/** The `Server.prototype` methods patched here. */
interface ServerPrototype extends Record<string, unknown> {
  register: ServerLike['register'];
}

const metadataSetter: TextMapSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

/** Ends the client `span` with the call's `status`. */
export function endGrpcClientSpan(span: Span, status: StatusObject): void {
  const code = typeof status.code === 'number' ? status.code : 2;
  const name = grpcStatusName(code);
  span.setAttribute('rpc.status_code', name);
  if (isGrpcError(code, SpanKind.CLIENT)) {
    span.setAttribute('error.type', name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof status.details === 'string' ? status.details : '' });
  }
  span.end();
}

/** Wraps a call made on a channel to `target`: a CLIENT span from `start` to its status. */
function traceCall(call: GrpcCall, path: string, target: unknown, parent: Context, tracer: Tracer): void {
  const start = call.start;
  call.start = function tracedStart(this: GrpcCall, metadata: Metadata, listener: Listener) {
    let span: Span;
    let callContext: Context;
    try {
      const method = grpcMethodOf(path);
      const { address, port } = grpcTargetOf(target);
      span = tracer.startSpan(
        method,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'rpc.system.name': GRPC_SYSTEM,
            'rpc.method': method,
            ...(address === undefined ? {} : { 'server.address': address }),
            ...(port === undefined ? {} : { 'server.port': port }),
          },
        },
        parent,
      );
      callContext = trace.setSpan(parent, span);
      propagation.inject(callContext, metadata, metadataSetter);
    } catch {
      return start.call(this, metadata, listener);
    }
    let ended = false;
    const traced: Listener = {
      onReceiveMetadata: (received) => context.with(parent, () => listener.onReceiveMetadata(received)),
      onReceiveMessage: (message) => context.with(parent, () => listener.onReceiveMessage(message)),
      onReceiveStatus: (status) => {
        if (!ended) {
          ended = true;
          try {
            endGrpcClientSpan(span, status);
          } catch {
            // The call goes on without its span.
          }
        }
        context.with(parent, () => listener.onReceiveStatus(status));
      },
    };
    return context.with(callContext, () => start.call(this, metadata, traced));
  };
}

const PATCHED = Symbol.for('autotelemetry.grpc.patched');

interface Patchable {
  [PATCHED]?: true;
  [name: string]: unknown;
}

/** Patches `proto[name]` with `wrap(original)`; returns the undo, or undefined if there is nothing to patch. */
function patchMethod<F extends (...args: never[]) => unknown>(
  proto: object,
  name: string,
  wrap: (original: F) => F,
): (() => void) | undefined {
  const target = proto as Record<string, unknown>;
  const original = target[name];
  if (typeof original !== 'function' || (original as unknown as Patchable)[PATCHED]) return undefined;
  const wrapped = wrap(original as F) as unknown as Patchable;
  wrapped[PATCHED] = true;
  target[name] = wrapped;
  return () => {
    if (target[name] === wrapped) target[name] = original;
  };
}

/** Client spans for every call made through `exports.Channel`. */
function patchChannel(exports: GrpcExports, tracer: Tracer): (() => void) | undefined {
  const proto = exports.Channel?.prototype;
  if (proto === undefined) return undefined;
  type CreateCall = ChannelLike['createCall'];
  return patchMethod<CreateCall>(
    proto,
    'createCall',
    (original) =>
      function createCall(this: ChannelLike, method: string, ...rest: unknown[]): GrpcCall {
        const call = original.call(this, method, ...rest);
        const parent = context.active();
        if (isTracingSuppressed(parent) || typeof method !== 'string') return call;
        try {
          if (call !== null && typeof call === 'object' && typeof call.start === 'function') {
            traceCall(call, method, this.getTarget(), parent, tracer);
          }
        } catch {
          // Untraced, as before.
        }
        return call;
      },
  );
}

interface Handler {
  func: unknown;
  serialize: unknown;
  deserialize: unknown;
  type: unknown;
}

interface ServerLike {
  handlers: Map<string, Handler>;
  register(name: string, func: unknown, serialize: unknown, deserialize: unknown, type: unknown): boolean;
  unregister(name: string): boolean;
}

/**
 * Handlers registered before the instrumentation's `register` patch (a server set up before telemetry
 * started): each is registered again through the patch when its first call arrives, before it runs.
 */
function patchRegisteredHandlers(exports: GrpcExports, ensurePatched: () => void): (() => void) | undefined {
  const proto = exports.Server?.prototype;
  if (proto === undefined || typeof proto.register !== 'function') return undefined;
  type Retrieve = (this: ServerLike, path: string) => unknown;
  return patchMethod<Retrieve>(
    proto,
    '_retrieveHandler',
    (original) =>
      function retrieveHandler(this: ServerLike, path: string) {
        try {
          const handler = this.handlers instanceof Map ? this.handlers.get(path) : undefined;
          if (handler !== undefined) ensurePatched();
          const registerPatched = (proto.register as { __wrapped?: boolean }).__wrapped === true;
          const func = handler?.func;
          const wrapped = typeof func === 'function' && (func as { __wrapped?: boolean }).__wrapped === true;
          if (handler !== undefined && registerPatched && typeof func === 'function' && !wrapped) {
            this.unregister(path);
            this.register(path, handler.func, handler.serialize, handler.deserialize, handler.type);
          }
        } catch {
          // The call is served untraced.
        }
        return original.call(this, path);
      },
  );
}

const standIn = (): void => {};

/** Functions of the shape the instrumentation's client patches expect, to wrap instead of the real ones. */
const clientStandIns = () => ({
  makeGenericClientConstructor: standIn,
  makeClientConstructor: standIn,
  loadPackageDefinition: standIn,
  Client: {
    prototype: {
      makeUnaryRequest: standIn,
      makeClientStreamRequest: standIn,
      makeServerStreamRequest: standIn,
      makeBidiStreamRequest: standIn,
    },
  },
});

const noMeters = { getMeter: () => createNoopMeter() };

/** Creates the server instrumentation, loading its package now (only once grpc-js is found). */
export function createGrpcInstrumentation(
  requireDependency: NodeJS.Require,
  tracerProvider: TracerProvider,
): InstrumentationBase {
  const { GrpcInstrumentation } = requireDependency('@opentelemetry/instrumentation-grpc') as {
    GrpcInstrumentation: new (config: object) => InstrumentationBase;
  };
  const instrumentation = new GrpcInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(noMeters);
  return instrumentation;
}

/**
 * Traces the loaded grpc-js copy: client spans on its channel now, server spans from the instrumentation
 * `serverInstrumentation` loads (its server patch only) — loaded once a server of this copy registers or
 * serves a handler, so a grpc-js loaded for its client alone (the OTLP gRPC exporter's) loads no
 * instrumentation. Returns the undo, or undefined when nothing could be patched.
 */
export function instrumentGrpc(
  loaded: LoadedPackage,
  tracer: Tracer,
  serverInstrumentation: () => InstrumentationBase,
): (() => void) | undefined {
  const exports = loaded.exports as GrpcExports;
  const undo: Array<() => void> = [];
  const unpatchServer = patchServerOnFirstUse(loaded, serverInstrumentation);
  if (unpatchServer !== undefined) undo.push(unpatchServer);
  const unpatchChannel = patchChannel(exports, tracer);
  if (unpatchChannel !== undefined) undo.push(unpatchChannel);
  return undo.length === 0 ? undefined : undoInReverse(undo);
}

/**
 * Applies the instrumentation's `Server.prototype.register` patch the first time a server registers a handler
 * (`addService`) or serves one registered before telemetry started (`_retrieveHandler`, patchRegisteredHandlers).
 * The instrumentation's definition patches the object it is given: here the real `Server` and stand-ins for the
 * client functions it would wrap (the channel patch replaces those), so nothing else is touched.
 */
function patchServerOnFirstUse(
  loaded: LoadedPackage,
  serverInstrumentation: () => InstrumentationBase,
): (() => void) | undefined {
  const exports = loaded.exports as GrpcExports;
  const proto = exports.Server?.prototype;
  if (proto === undefined || typeof proto.register !== 'function') return undefined;
  let applied = false;
  let unpatchInstrumentation: (() => void) | undefined;
  const ensure = (): void => {
    if (applied) return;
    applied = true;
    try {
      const serverOnly = { Server: exports.Server, ...clientStandIns() };
      unpatchInstrumentation = patchLoadedPackage(serverInstrumentation(), { ...loaded, exports: serverOnly });
    } catch {
      // Servers are served untraced.
    }
  };
  const original = proto.register;
  type Register = ServerLike['register'];
  const register = function register(this: ServerLike, ...args: Parameters<Register>): boolean {
    if (!applied) {
      ensure();
      // Now the instrumentation's wrapper (around this function, which then calls the original), if applied.
      if (proto.register !== register) return proto.register.apply(this, args);
    }
    return original.apply(this, args);
  };
  proto.register = register;
  const unpatchHandlers = patchRegisteredHandlers(exports, ensure);
  return () => {
    unpatchHandlers?.();
    unpatchInstrumentation?.();
    if (proto.register === register) proto.register = original;
  };
}
