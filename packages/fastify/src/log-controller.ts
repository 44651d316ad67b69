/**
 * Fastify's log controller (Fastify 5.12+) with the per-request lines the plugin already writes left out, for
 * the requests the plugin records:
 *
 * - "incoming request" and "request completed": the access line says method, route, path, status, duration;
 * - the not-found line: the access line says 404;
 * - the default error handler's line for a 5xx: the plugin's error line carries the error, on the span too.
 *
 * Everything else (a 4xx error's reason, stream and serializer failures, the 503 while closing) and every line
 * of requests the plugin does not record (no plugin on that app, an excluded path, `telemetry: false`, access
 * line turned off) go through Fastify's own controller unchanged.
 */
import { getHttpLifecycle, getRequestRecord, getState } from '@autotelemetry/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRegistered } from './registration.js';
import { routeConfig } from './route-config.js';

/** The methods of Fastify's LogController this subclass overrides (Fastify's types, for older Fastify too). */
interface LogControllerLike {
  incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void;
  requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void;
  defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void;
  routeNotFound(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void;
}

/** Fastify's `LogController` class. */
export type LogControllerConstructor = new (options?: Record<string, unknown>) => LogControllerLike;

function accessLineOn(): boolean {
  const state = getState();
  return state !== undefined && state.config.accessLog !== false;
}

/** Before `onRequest`: whether the plugin is going to record `request` (mirrors the plugin's own checks). */
function willRecord(request: FastifyRequest): boolean {
  if (!accessLineOn() || !isRegistered(request.server)) return false;
  const lifecycle = getHttpLifecycle();
  if (lifecycle === undefined || routeConfig(request)?.telemetry === false) return false;
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  return !lifecycle.isExcluded(q === -1 ? url : url.slice(0, q));
}

function isRecorded(request: FastifyRequest): boolean {
  return accessLineOn() && getRequestRecord(request.raw) !== undefined;
}

const controllers = new WeakMap<LogControllerConstructor, LogControllerConstructor>();
/** Brands the controllers made here; registered, so the ESM and CJS copies of this package recognise each other's. */
const BRAND = Symbol.for('autotelemetry.fastify.log-controller.v1');

function subclass(Base: LogControllerConstructor): LogControllerConstructor {
  return class AutotelemetryLogController extends Base {
    readonly [BRAND] = true;

    override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
      if (!willRecord(request)) super.incomingRequest(request, reply, metadata);
    }

    override requestCompleted(
      error: Error | null | undefined,
      request: FastifyRequest,
      reply: FastifyReply,
      metadata?: Record<string, unknown>,
    ): void {
      if (!isRecorded(request)) super.requestCompleted(error, request, reply, metadata);
    }

    override defaultErrorLog(
      error: Error,
      request: FastifyRequest,
      reply: FastifyReply,
      metadata?: Record<string, unknown>,
    ): void {
      if (reply.statusCode < 500 || !isRecorded(request)) super.defaultErrorLog(error, request, reply, metadata);
    }

    override routeNotFound(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
      if (!isRecorded(request)) super.routeNotFound(request, reply, metadata);
    }
  };
}

/** A new controller extending the given Fastify `LogController` class (the subclass is made once per class). */
export function createLogController(Base: LogControllerConstructor): LogControllerLike {
  let Controller = controllers.get(Base);
  if (Controller === undefined) {
    Controller = subclass(Base);
    controllers.set(Base, Controller);
  }
  return new Controller();
}

/** Whether `controller` is one {@link createLogController} made. */
export function isAutotelemetryLogController(controller: unknown): boolean {
  return controller !== null && typeof controller === 'object' && (controller as { [BRAND]?: unknown })[BRAND] === true;
}
