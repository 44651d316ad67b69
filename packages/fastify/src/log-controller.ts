/**
 * Fastify's log controller (Fastify 5.12+) without the per-request lines the plugin's access line replaces,
 * on apps where the plugin is registered and the access line is on:
 *
 * - "incoming request" and "request completed": the access line says method, route, path, status, duration
 *   (excluded paths and `telemetry: false` routes are quiet: neither Fastify's lines nor an access line);
 * - the not-found line: the access line says 404;
 * - the default error handler's line for a 5xx the plugin recorded: its error line carries the error, which
 *   is also on the span. A 5xx the plugin did not record keeps Fastify's line: an error is never silent.
 *
 * Everything else (a 4xx error's reason, stream and serializer failures, the 503 while closing) goes through
 * Fastify's own controller unchanged.
 */
import { getRequestRecord, getState } from '@autotelemetry/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRegistered } from './registration.js';

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

/** Whether the access line stands for Fastify's request lines on the app serving `request`. */
function replacesRequestLines(request: FastifyRequest): boolean {
  return accessLineOn() && isRegistered(request.server);
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
      if (!replacesRequestLines(request)) super.incomingRequest(request, reply, metadata);
    }

    override requestCompleted(
      error: Error | null | undefined,
      request: FastifyRequest,
      reply: FastifyReply,
      metadata?: Record<string, unknown>,
    ): void {
      if (!replacesRequestLines(request)) super.requestCompleted(error, request, reply, metadata);
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
      if (!replacesRequestLines(request)) super.routeNotFound(request, reply, metadata);
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
