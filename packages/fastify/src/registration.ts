/**
 * The mark the plugin leaves on the Fastify instance it is registered on. Fastify makes each encapsulated
 * child instance with `Object.create(parent)`, so the children — also those created later — see it too.
 */
import type { FastifyInstance } from 'fastify';

/** Registered, so the ESM and CJS copies of this package read the same mark. */
const REGISTERED = Symbol.for('autotelemetry.fastify.registered.v1');

type MarkedInstance = { [REGISTERED]?: true };

/** Whether the plugin is registered on `instance` or one of its ancestors. */
export function isRegistered(instance: FastifyInstance | object | undefined): boolean {
  return instance !== undefined && (instance as MarkedInstance)[REGISTERED] === true;
}

/** Marks `instance` (and so its descendants) as covered by the plugin's hooks. */
export function markRegistered(instance: FastifyInstance): void {
  (instance as MarkedInstance)[REGISTERED] = true;
}
