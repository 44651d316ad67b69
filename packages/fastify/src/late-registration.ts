/**
 * Hooks for encapsulated plugins that were loaded before this plugin.
 *
 * Fastify copies an instance's hooks into each child instance when the child is created, and a route uses
 * its own instance's hooks. So `app.register(routes)` followed by `app.register(autotelemetry)` would leave
 * every route of `routes` untraced: its instance copied the root's hooks before ours existed. Plugins load in
 * registration order, so when this plugin loads, every child instance that exists already lacks our hooks
 * (the ones created later copy them from their parent): each gets them added directly. Fastify lists an
 * instance's children under an unregistered symbol described `fastify.children`; without it (another major
 * version), nothing is added and such routes stay untraced, as the README's "register it first" advice says.
 */
import type { FastifyInstance, onErrorHookHandler, onRequestHookHandler } from 'fastify';

const CHILDREN_DESCRIPTION = 'fastify.children';

function childrenKey(instance: object): symbol | undefined {
  for (const key of Object.getOwnPropertySymbols(instance)) {
    if (key.description === CHILDREN_DESCRIPTION) return key;
  }
  return undefined;
}

/** Adds the two hooks to every descendant instance of `fastify` that exists now. Never throws. */
export function addHooksToExistingChildren(
  fastify: FastifyInstance,
  onRequest: onRequestHookHandler,
  onError: onErrorHookHandler,
): void {
  try {
    const key = childrenKey(fastify);
    if (key === undefined) return;
    const pending: unknown[] = [...(((fastify as unknown as Record<symbol, unknown>)[key] as unknown[]) ?? [])];
    while (pending.length > 0) {
      const child = pending.pop() as FastifyInstance & Record<symbol, unknown>;
      child.addHook('onRequest', onRequest);
      child.addHook('onError', onError);
      const grandchildren = Object.hasOwn(child, key) ? child[key] : undefined;
      if (Array.isArray(grandchildren)) pending.push(...grandchildren);
    }
  } catch {
    // Routes of plugins loaded before this one stay untraced; the rest is unaffected.
  }
}
