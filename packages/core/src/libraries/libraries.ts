/**
 * The libraries a service talks to, traced with one switch each (`instrumentations`):
 *
 * | library | how | package watched |
 * |---|---|---|
 * | pg | `@opentelemetry/instrumentation-pg`, applied to the loaded package | `pg` |
 * | mysql2 | its `mysql2:*` tracing channels | — |
 * | ioredis | its `ioredis:*` tracing channels | — |
 * | redis (node-redis) | its `node-redis:*` tracing channels | — |
 * | graphql (graphql-js 15, 16) | `@opentelemetry/instrumentation-graphql`, applied to the loaded package | `graphql` |
 *
 * Channel subscriptions are made up front: they cost nothing until the library publishes. A patched library
 * is watched (module-watch.ts) and its instrumentation is loaded only once the app loads it, so a service
 * without it loads no code for it.
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentedLibrary } from '../config/types.js';
import { requireDependency } from './dependencies.js';
import { createGraphqlInstrumentation, type GraphqlInstrumentation, type GraphqlSettings } from './graphql.js';
import { watchPackage } from './module-watch.js';
import { instrumentMysql2 } from './mysql2.js';
import { patchLoadedPackage } from './otel-patch.js';
import { createPgInstrumentation } from './pg.js';
import { instrumentIoredis, instrumentNodeRedis } from './redis.js';

/** Scope of the spans made here from tracing channels. */
export const LIBRARY_INSTRUMENTATION_SCOPE = '@autotelemetry/core/libraries';

/** What was found and traced, for `doctor` and the tests. */
export interface LibraryReport {
  readonly library: InstrumentedLibrary;
  /** The copies patched (`pg@8.16.3 /app/node_modules/pg`); empty for channel-based libraries. */
  readonly patched: readonly string[];
}

export interface LibraryInstrumentation {
  /** The libraries enabled, with the copies patched so far. */
  report(): readonly LibraryReport[];
  stop(): void;
}

interface PatchedState {
  instrumentation?: InstrumentationBase;
  graphql?: GraphqlInstrumentation;
}

/** What the libraries with settings of their own are asked for. */
export interface LibrarySettings {
  readonly graphql: GraphqlSettings;
}

const DEFAULT_SETTINGS: LibrarySettings = { graphql: { resolvers: false } };

// One instrumentation object per process: its patches outlive a stop only until the next start re-applies.
const SLOT = Symbol.for('autotelemetry.library-instrumentation.v1');
type GlobalWithSlot = typeof globalThis & { [SLOT]?: PatchedState };

/** Starts tracing the enabled libraries with `tracerProvider`. */
export function enableLibraryInstrumentation(
  tracerProvider: TracerProvider,
  enabled: Readonly<Record<InstrumentedLibrary, boolean>>,
  settings: LibrarySettings = DEFAULT_SETTINGS,
): LibraryInstrumentation {
  const tracer = tracerProvider.getTracer(LIBRARY_INSTRUMENTATION_SCOPE);
  const stops: Array<() => void> = [];
  const patched = new Map<InstrumentedLibrary, string[]>();
  if (enabled.mysql2) stops.push(instrumentMysql2(tracer));
  if (enabled.ioredis) stops.push(instrumentIoredis(tracer));
  if (enabled.redis) stops.push(instrumentNodeRedis(tracer));
  const global = globalThis as GlobalWithSlot;
  global[SLOT] ??= {};
  const shared = global[SLOT];
  if (enabled.pg) {
    const copies: string[] = [];
    patched.set('pg', copies);
    const unpatches: Array<() => void> = [];
    const unwatch = watchPackage('pg', (loaded) => {
      shared.instrumentation ??= createPgInstrumentation(requireDependency, tracerProvider);
      shared.instrumentation.setTracerProvider(tracerProvider);
      const undo = patchLoadedPackage(shared.instrumentation, loaded);
      if (undo === undefined) return;
      unpatches.push(undo);
      copies.push(`pg@${loaded.version} ${loaded.dir}`);
    });
    stops.push(() => {
      unwatch();
      for (const undo of unpatches) undo();
    });
  }
  if (enabled.graphql) {
    const copies: string[] = [];
    patched.set('graphql', copies);
    const unpatches: Array<() => void> = [];
    const unwatch = watchPackage('graphql', (loaded) => {
      shared.graphql ??= createGraphqlInstrumentation(requireDependency, tracerProvider, settings.graphql);
      shared.graphql.configure(tracerProvider, settings.graphql);
      const undo = shared.graphql.patch(loaded);
      if (undo === undefined) return;
      unpatches.push(undo);
      copies.push(`graphql@${loaded.version} ${loaded.dir}`);
    });
    stops.push(() => {
      unwatch();
      for (const undo of unpatches) undo();
    });
  }
  return {
    report: () =>
      (Object.keys(enabled) as InstrumentedLibrary[])
        .filter((library) => enabled[library])
        .map((library) => ({ library, patched: [...(patched.get(library) ?? [])] })),
    stop() {
      for (const stop of stops) stop();
    },
  };
}
