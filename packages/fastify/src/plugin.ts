/**
 * `fastify.register(autotelemetry)`: the Fastify adapter. It translates Fastify's hooks into the core's
 * request lifecycle and decides nothing about spans, metrics or log lines itself:
 *
 * - `onRequest` (Fastify has already routed): begin the request, hand it the route's declared URL (plugin
 *   prefixes included) as its template, and continue the request — later hooks, body parsing, validation,
 *   the handler, the reply — inside the request's context;
 * - `onError`: record the error (the lifecycle makes it ERROR only when the answer is 5xx).
 *
 * The end needs no hook: the lifecycle ends the request itself on the response's `finish` (complete) or
 * `close` (client gone), exactly once. Registering `onResponse` or `onRequestAbort` would only make Fastify
 * add per-request listeners and closures of its own.
 */
import {
  addTraceIdsToPinoLogger,
  getHttpLifecycle,
  getRequestRecord,
  getState,
  type HttpRequestRecord,
  startTelemetry,
  type TelemetryOptions,
} from '@autotelemetry/core';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { addHooksToExistingChildren } from './late-registration.js';
import { isAutotelemetryLogController } from './log-controller.js';
import { metricsRoutePath, registerMetricsRoute } from './metrics-route.js';
import { isRegistered, markRegistered } from './registration.js';
import { routeConfig } from './route-config.js';

/** Options of the plugin: the core's options, plus what only the Fastify adapter does. */
export interface AutotelemetryPluginOptions extends TelemetryOptions {
  /**
   * Also serve the pipeline's metrics in the Prometheus text format on the app's own server: `true` for
   * `GET /metrics`, or a path. Off by default (the pipeline's own endpoint, `prometheusPort`, serves them on
   * a separate port). The route records no telemetry itself.
   */
  metricsRoute?: boolean | string;
}

/** The plugin's name for Fastify (`fastify-plugin` metadata, dependency checks). */
export const PLUGIN_NAME = '@autotelemetry/fastify';

/** Name of the request decoration: `request.telemetry`. */
export const REQUEST_DECORATION = 'telemetry';

/** Options Fastify's `register` itself reads; they are not the core's and must not reach it. */
const REGISTER_OPTIONS = new Set(['prefix', 'logSerializers']);

function onRequest(this: unknown, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const lifecycle = getHttpLifecycle();
  if (lifecycle === undefined) {
    done();
    return;
  }
  const config = routeConfig(request);
  if (config?.telemetry === false) {
    done();
    return;
  }
  const record = lifecycle.begin(request.raw, reply.raw);
  if (record === undefined) {
    done();
    return;
  }
  const url = config?.url;
  if (typeof url === 'string') record.setRoute(url);
  record.run(done);
}

function onError(
  this: unknown,
  request: FastifyRequest,
  _reply: FastifyReply,
  error: FastifyError,
  done: HookHandlerDoneFunction,
): void {
  getRequestRecord(request.raw)?.fail(error);
  done();
}

function telemetryGetter(this: FastifyRequest): HttpRequestRecord | undefined {
  return getRequestRecord(this.raw);
}

/** Splits the plugin's options into the core's options and the adapter's own. */
function splitOptions(options: AutotelemetryPluginOptions | undefined): {
  core: TelemetryOptions;
  metricsPath: string | undefined;
} {
  const core: Record<string, unknown> = {};
  let metricsRoute: unknown;
  if (options !== null && typeof options === 'object') {
    for (const key of Object.keys(options)) {
      const value = (options as Record<string, unknown>)[key];
      if (key === 'metricsRoute') metricsRoute = value;
      else if (!REGISTER_OPTIONS.has(key)) core[key] = value;
    }
  }
  return { core: core as TelemetryOptions, metricsPath: metricsRoutePath(metricsRoute) };
}

/** Whether Fastify's logger is an AutoTelemetry logger (`loggerInstance: autotelemetryLogger()`). */
function fastifyLogsThroughTelemetry(fastify: FastifyInstance): boolean {
  return typeof (fastify.log as { getLogger?: unknown }).getLogger === 'function';
}

/** Fastify's log controller (5.12+), kept under an unregistered symbol described `fastify.logController`. */
function fastifyLogController(fastify: FastifyInstance): { disableRequestLogging?: unknown } | undefined {
  let instance: object | null = fastify;
  while (instance !== null) {
    for (const key of Object.getOwnPropertySymbols(instance)) {
      if (key.description === 'fastify.logController') {
        return (instance as Record<symbol, { disableRequestLogging?: unknown } | undefined>)[key];
      }
    }
    instance = Object.getPrototypeOf(instance) as object | null;
  }
  return undefined;
}

/**
 * Fastify's own "incoming request" / "request completed" lines repeat the access line when they go through
 * the same logger: say so once, with the fix.
 */
function warnOnDuplicateRequestLines(fastify: FastifyInstance): void {
  const state = getState();
  if (state === undefined || state.config.accessLog === false || !fastifyLogsThroughTelemetry(fastify)) return;
  if (fastify.initialConfig.disableRequestLogging !== false) return;
  const controller = fastifyLogController(fastify);
  if (
    isAutotelemetryLogController(controller) ||
    (controller !== undefined && controller.disableRequestLogging !== false)
  )
    return;
  state.notices?.warnOnce(
    'fastify:request-logging',
    'Fastify logs through AutoTelemetry with its own request lines on: each request gets Fastify’s "incoming ' +
      'request" and "request completed" lines besides the access line. Build the app with ' +
      '`Fastify({ ...autotelemetryLogging() })` to keep one line per request.',
  );
}

function autotelemetryPlugin(
  fastify: FastifyInstance,
  options: AutotelemetryPluginOptions,
  done: (error?: Error) => void,
): void {
  let metricsPath: string | undefined;
  try {
    const split = splitOptions(options);
    metricsPath = split.metricsPath;
    startTelemetry(split.core);
  } catch (error) {
    // A bad option: `register`/`ready` rejects with the ConfigError that names it.
    done(error as Error);
    return;
  }
  if (isRegistered(fastify)) {
    // Registered again on this instance or an ancestor: the hooks already cover it.
    done();
    return;
  }
  markRegistered(fastify);
  try {
    fastify.addHook('onRequest', onRequest);
    fastify.addHook('onError', onError);
    // Encapsulated plugins loaded before this one copied the hooks they inherit already: give them ours.
    addHooksToExistingChildren(fastify, onRequest, onError);
    if (!fastify.hasRequestDecorator(REQUEST_DECORATION)) {
      fastify.decorateRequest(REQUEST_DECORATION, { getter: telemetryGetter });
    } else {
      getState()?.notices?.warnOnce(
        'fastify:decoration',
        `request.${REQUEST_DECORATION} is already decorated by another plugin: AutoTelemetry leaves it alone (its ` +
          'spans, metrics and logs are unaffected; use getRequestRecord(request.raw) for the request record).',
      );
    }
    if (metricsPath !== undefined) registerMetricsRoute(fastify, metricsPath);
    // The app's own logger stays Fastify's logger; a pino one also stamps the ids of the span a line is
    // written in (an AutoTelemetry logger already does).
    if (!fastifyLogsThroughTelemetry(fastify)) addTraceIdsToPinoLogger(fastify.log);
    warnOnDuplicateRequestLines(fastify);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
}

/**
 * The Fastify plugin (wrapped with `fastify-plugin`, so its hooks apply to the whole app):
 *
 * ```ts
 * const app = Fastify();
 * await app.register(autotelemetry, { serviceName: 'shop.api' });
 * ```
 *
 * Starts the telemetry pipeline if none is running (options are the core's; environment variables and the
 * app's package.json fill in the rest), then every request gets a SERVER span named `METHOD /route/:template`
 * (plugin prefixes included), the HTTP metrics, an access log line and the context for outgoing calls.
 * `request.log` stays the logger the app gave Fastify; when it is pino (Fastify's own), its lines written
 * inside a request also carry the request's `trace_id`/`span_id`. A route opts out with
 * `config: { telemetry: false }`.
 * Registration fails with a `ConfigError` naming the option for a bad option; nothing throws afterwards.
 */
export const autotelemetry: FastifyPluginCallback<AutotelemetryPluginOptions> = fastifyPlugin(autotelemetryPlugin, {
  name: PLUGIN_NAME,
  fastify: '5.x',
});
