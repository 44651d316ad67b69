/**
 * Carrying a function's identity over to a wrapper, so frameworks that read things off a method still
 * find them after `traced()`/`@Traced()` replaced it: NestJS, for one, reads route and guard metadata
 * with `Reflect.getMetadata(key, descriptor.value)`.
 */

interface ReflectMetadataApi {
  getOwnMetadataKeys?(target: object): unknown[];
  getMetadataKeys?(target: object): unknown[];
  getOwnMetadata?(key: unknown, target: object): unknown;
  getMetadata?(key: unknown, target: object): unknown;
  defineMetadata?(key: unknown, value: unknown, target: object): void;
}

// Own properties every function has, which the wrapper sets itself or must not share.
const SKIPPED_KEYS: ReadonlySet<PropertyKey> = new Set(['length', 'name', 'prototype', 'arguments', 'caller']);

/**
 * Gives `to` the `name` and `length` of `from`, copies its other own properties (enumerable or not, by
 * descriptor), and, when a reflect-metadata polyfill is loaded, its own metadata entries. Nothing here
 * depends on reflect-metadata being installed.
 */
export function copyFunctionIdentity(from: Function, to: Function): void {
  Object.defineProperty(to, 'name', { value: from.name, configurable: true });
  Object.defineProperty(to, 'length', { value: from.length, configurable: true });
  for (const key of Reflect.ownKeys(from)) {
    if (SKIPPED_KEYS.has(key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(from, key);
    if (descriptor === undefined) continue;
    try {
      Object.defineProperty(to, key, descriptor);
    } catch {
      // A non-configurable clash on the wrapper: keep the wrapper's own.
    }
  }
  const api = Reflect as unknown as ReflectMetadataApi;
  const keysOf = api.getOwnMetadataKeys ?? api.getMetadataKeys;
  const read = api.getOwnMetadata ?? api.getMetadata;
  if (typeof keysOf !== 'function' || typeof read !== 'function' || typeof api.defineMetadata !== 'function') return;
  try {
    for (const key of keysOf.call(Reflect, from)) {
      api.defineMetadata.call(Reflect, key, read.call(Reflect, key, from), to);
    }
  } catch {
    // An exotic polyfill: metadata stays on the original only.
  }
}
