/**
 * The libraries a service talks to, traced with one switch each (`instrumentations`):
 *
 * | library | how | package watched |
 * |---|---|---|
 * | pg | `@opentelemetry/instrumentation-pg`, applied to the loaded package | `pg` |
 * | mysql2 | its `mysql2:*` tracing channels | — |
 * | ioredis | its `ioredis:*` tracing channels | — |
 * | redis (node-redis ≥ 5.12) | its `node-redis:*` tracing channels | — |
 * | redis (node-redis 4) | `@opentelemetry/instrumentation-redis`, applied to the loaded package | `@redis/client` 1.x |
 * | amqplib (RabbitMQ) | `@opentelemetry/instrumentation-amqplib`, applied to the loaded package | `amqplib` |
 *
 * Channel subscriptions are made up front: they cost nothing until the library publishes. A patched library
 * is watched (module-watch.ts) and its instrumentation is loaded only once the app loads it, so a service
 * without it loads no code for it.
 */
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentedLibrary } from '../config/types.js';
import { createAmqplibInstrumentation, rabbitmqTracerProvider, trackChannels } from './amqplib.js';
import { inRange, requireDependency } from './dependencies.js';
import { type LoadedPackage, watchPackage } from './module-watch.js';
import { instrumentMysql2 } from './mysql2.js';
import { patchLoadedPackage } from './otel-patch.js';
import { createPgInstrumentation } from './pg.js';
import { instrumentIoredis, instrumentNodeRedis } from './redis.js';
import { createRedis4Instrumentation, REDIS4_VERSIONS, reattachCommands, redis4TracerProvider } from './redis4.js';

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

/** A library traced by an OpenTelemetry instrumentation applied to the loaded package. */
interface PatchedLibrary {
  /** The key of its instrumentation object (one per process). */
  readonly key: PatchedKey;
  /** The switch that turns it on (`instrumentations.redis`). */
  readonly library: InstrumentedLibrary;
  /** The package watched (default: the library's name). */
  readonly package?: string;
  /** The versions patched (default: all the instrumentation supports); the others load no instrumentation. */
  readonly versions?: string;
  /** Creates the instrumentation (loading its package). */
  create(requireDependency: NodeJS.Require, tracerProvider: TracerProvider): InstrumentationBase;
  /** The provider the instrumentation's tracer comes from. */
  tracerProvider(tracerProvider: TracerProvider): TracerProvider;
  /** More patches of our own, made after the instrumentation's and undone before them. */
  extra?(loaded: LoadedPackage, tracer: Tracer): () => void;
}

type PatchedKey = 'pg' | 'amqplib' | 'redis4';

const PATCHED: readonly PatchedLibrary[] = [
  { key: 'pg', library: 'pg', create: createPgInstrumentation, tracerProvider: (provider) => provider },
  {
    key: 'amqplib',
    library: 'amqplib',
    create: createAmqplibInstrumentation,
    tracerProvider: rabbitmqTracerProvider,
    extra: trackChannels,
  },
  {
    // node-redis 4; node-redis ≥ 5.12 is traced by its channels.
    key: 'redis4',
    library: 'redis',
    package: '@redis/client',
    versions: REDIS4_VERSIONS,
    create: createRedis4Instrumentation,
    tracerProvider: redis4TracerProvider,
    extra: reattachCommands,
  },
];

// One instrumentation object per library and process: its patches outlive a stop only until the next start
// re-applies.
const SLOT = Symbol.for('autotelemetry.library-instrumentation.v2');
type GlobalWithSlot = typeof globalThis & { [SLOT]?: Partial<Record<PatchedKey, InstrumentationBase>> };

/** Watches `spec`'s package and patches every copy loaded; returns the stop, which undoes the patches. */
function tracePatchedLibrary(
  spec: PatchedLibrary,
  tracerProvider: TracerProvider,
  tracer: Tracer,
  copies: string[],
): () => void {
  const global = globalThis as GlobalWithSlot;
  global[SLOT] ??= {};
  const shared = global[SLOT];
  const unpatches: Array<() => void> = [];
  const unwatch = watchPackage(spec.package ?? spec.library, (loaded) => {
    if (spec.versions !== undefined && !inRange(loaded.version, spec.versions)) return;
    const instrumentation = shared[spec.key] ?? spec.create(requireDependency, tracerProvider);
    shared[spec.key] = instrumentation;
    instrumentation.setTracerProvider(spec.tracerProvider(tracerProvider));
    const undo = patchLoadedPackage(instrumentation, loaded);
    if (undo === undefined) return;
    let undoExtra: (() => void) | undefined;
    try {
      undoExtra = spec.extra?.(loaded, tracer);
    } catch {
      // The instrumentation's spans go on without what the extra patches add.
    }
    unpatches.push(() => {
      undoExtra?.();
      undo();
    });
    copies.push(`${loaded.name}@${loaded.version} ${loaded.dir}`);
  });
  return () => {
    unwatch();
    for (const undo of unpatches) undo();
  };
}

/** Starts tracing the enabled libraries with `tracerProvider`. */
export function enableLibraryInstrumentation(
  tracerProvider: TracerProvider,
  enabled: Readonly<Record<InstrumentedLibrary, boolean>>,
): LibraryInstrumentation {
  const tracer = tracerProvider.getTracer(LIBRARY_INSTRUMENTATION_SCOPE);
  const stops: Array<() => void> = [];
  const patched = new Map<InstrumentedLibrary, string[]>();
  if (enabled.mysql2) stops.push(instrumentMysql2(tracer));
  if (enabled.ioredis) stops.push(instrumentIoredis(tracer));
  if (enabled.redis) stops.push(instrumentNodeRedis(tracer));
  for (const spec of PATCHED) {
    if (!enabled[spec.library]) continue;
    const copies = patched.get(spec.library) ?? [];
    patched.set(spec.library, copies);
    stops.push(tracePatchedLibrary(spec, tracerProvider, tracer, copies));
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
