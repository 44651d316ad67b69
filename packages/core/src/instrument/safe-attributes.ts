/**
 * Attributes handed to the library's helpers (`traced`, `measure`) are the application's objects: a getter
 * that throws or a Proxy whose `ownKeys` throws would make the SDK throw while it copies them, inside the
 * helper, into the application's call. Reading them here first turns that into missing attributes instead.
 */
import type { Attributes } from '@opentelemetry/api';

/**
 * A plain copy of `attributes`, each value read once; a key whose read throws is left out, and an object
 * whose keys cannot even be listed gives no attributes at all. Never throws.
 */
export function readAttributesSafely(attributes: Attributes | undefined): Attributes | undefined {
  if (attributes === undefined || attributes === null || typeof attributes !== 'object') return undefined;
  let keys: string[];
  try {
    keys = Object.keys(attributes);
  } catch {
    return undefined;
  }
  const copy: Attributes = {};
  for (const key of keys) {
    try {
      copy[key] = attributes[key];
    } catch {
      // This attribute is lost; the call goes on.
    }
  }
  return copy;
}
