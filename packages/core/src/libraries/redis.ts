/**
 * Redis, through the tracing channels both clients publish: ioredis (`ioredis:command`,
 * `ioredis:batch`) and node-redis (`@redis/client`: `node-redis:command`, `node-redis:batch`), in the versions
 * that publish them (docs/libraries.md lists them). One
 * CLIENT span per command, named by the command (`GET`); a MULTI or a pipeline gets one more span, beside
 * its commands' under the caller's span. Both clients hand over arguments already
 * sanitized (a value written by SET is `?`); the text is the command and those arguments. Redis repeats an
 * unknown command's arguments in its error (`… with args beginning with: 'x'`): that part is left out of the
 * span's status and exception.
 */
import type { Tracer } from '@opentelemetry/api';
import { type ClientOperation, traceChannels } from './channel-spans.js';

interface CommandContext {
  readonly command?: unknown;
  readonly args?: unknown;
  readonly database?: unknown;
  readonly serverAddress?: unknown;
  readonly serverPort?: unknown;
  readonly batchMode?: unknown;
  readonly batchSize?: unknown;
}

export const REDIS_SYSTEM = 'redis';

/** Redis echoes the arguments of an unknown command in its error. */
const ARGUMENTS_ECHO = /(with args beginning with:)[^\n]*/g;

/** `message` without the arguments a Redis error echoes. */
export function redactRedisError(message: string): string {
  return message.replace(ARGUMENTS_ECHO, '$1 ?');
}

/** Longest query text kept: a command with thousands of keys is cut. */
const MAX_TEXT = 1024;

function common(ctx: CommandContext): Record<string, string | number> {
  const attributes: Record<string, string | number> = { 'db.system.name': REDIS_SYSTEM };
  if (typeof ctx.database === 'number' || typeof ctx.database === 'string')
    attributes['db.namespace'] = String(ctx.database);
  if (typeof ctx.serverAddress === 'string') attributes['server.address'] = ctx.serverAddress;
  if (typeof ctx.serverPort === 'number') attributes['server.port'] = ctx.serverPort;
  return attributes;
}

/** The command text: node-redis's arguments start with the command, ioredis's do not. */
function queryText(command: string, args: unknown): string {
  if (!Array.isArray(args)) return command;
  const rest = args.length > 0 && String(args[0]).toUpperCase() === command ? args.slice(1) : args;
  const text = rest.length === 0 ? command : `${command} ${rest.map(String).join(' ')}`;
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function describeCommand(ctx: CommandContext): ClientOperation | undefined {
  if (typeof ctx.command !== 'string' || ctx.command === '') return undefined;
  const command = ctx.command.toUpperCase();
  const attributes = common(ctx);
  attributes['db.operation.name'] = command;
  attributes['db.query.text'] = queryText(command, ctx.args);
  if (typeof ctx.batchSize === 'number' && ctx.batchSize > 1) attributes['db.operation.batch.size'] = ctx.batchSize;
  return { name: command, attributes };
}

function describeBatch(ctx: CommandContext): ClientOperation {
  const mode = typeof ctx.batchMode === 'string' ? ctx.batchMode.toUpperCase() : 'PIPELINE';
  const attributes = common(ctx);
  attributes['db.operation.name'] = mode;
  if (typeof ctx.batchSize === 'number') attributes['db.operation.batch.size'] = ctx.batchSize;
  return { name: mode, attributes };
}

/** ioredis: its `ioredis:command` and `ioredis:batch` channels. */
export const instrumentIoredis = (tracer: Tracer): (() => void) =>
  traceChannels(
    tracer,
    [
      ['ioredis:command', describeCommand],
      ['ioredis:batch', describeBatch],
    ],
    redactRedisError,
  );

/** node-redis: its `node-redis:command` and `node-redis:batch` channels. */
export const instrumentNodeRedis = (tracer: Tracer): (() => void) =>
  traceChannels(
    tracer,
    [
      ['node-redis:command', describeCommand],
      ['node-redis:batch', describeBatch],
    ],
    redactRedisError,
  );
