/**
 * Applies a maintained OpenTelemetry instrumentation to a package that is already loaded, for libraries
 * that publish no tracing channels (pg, amqplib). Such an instrumentation normally patches a package as it
 * is required, through a require hook, which misses a package loaded before it and any package imported
 * from ESM without a loader flag. Here its own module definitions (`getModuleDefinitions()`: the package,
 * its supported versions, the patch for its main exports and for some of its files) are applied to the
 * loaded copy: its shared prototypes are wrapped in place, so every caller sees the patch.
 *
 * The instrumentation object is created disabled (no require hook of its own) and only when its package is
 * found, so an app without the package never loads the instrumentation's code.
 */
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { inRange } from './dependencies.js';
import type { LoadedPackage } from './module-watch.js';

type Definitions = ReturnType<InstrumentationBase['getModuleDefinitions']>;

const supports = (ranges: readonly string[], version: string): boolean =>
  ranges.some((range) => inRange(version, range));

/**
 * Patches `loaded` with `instrumentation`'s definitions for its package. Returns the function that undoes
 * the patches, or undefined when no definition supports this copy's version.
 */
export function patchLoadedPackage(
  instrumentation: InstrumentationBase,
  loaded: LoadedPackage,
): (() => void) | undefined {
  const undo: Array<() => void> = [];
  const definitions: Definitions = instrumentation.getModuleDefinitions();
  for (const definition of definitions) {
    if (definition.name !== loaded.name || !supports(definition.supportedVersions, loaded.version)) continue;
    if (definition.patch !== undefined) {
      definition.patch(loaded.exports, loaded.version);
      undo.push(() => definition.unpatch?.(loaded.exports, loaded.version));
    }
    for (const file of definition.files) {
      if (!supports(file.supportedVersions, loaded.version)) continue;
      // File names are `<package>/<path>`; a file this copy does not have (pg's native client) is skipped.
      const relativePath = file.name.slice(loaded.name.length + 1);
      let exports: unknown;
      try {
        exports = loaded.requireFile(relativePath);
      } catch {
        continue;
      }
      file.patch(exports, loaded.version);
      undo.push(() => file.unpatch(exports, loaded.version));
    }
  }
  return undo.length === 0 ? undefined : undoInReverse(undo);
}

/**
 * The undo of several patches: each step in reverse order (the last patch made is the first undone), best
 * effort — a step that throws leaves the others to run; a later start patches again over whatever is left.
 */
export function undoInReverse(steps: ReadonlyArray<() => void>): () => void {
  const reversed = [...steps].reverse();
  return () => {
    for (const step of reversed) {
      try {
        step();
      } catch {
        // Best effort.
      }
    }
  };
}
