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
 * | grpc | its channel's `createCall` (client); `@opentelemetry/instrumentation-grpc`'s server patch | `@grpc/grpc-js` |
 * | graphql (graphql-js 15, 16) | `@opentelemetry/instrumentation-graphql`, applied to the loaded package | `graphql` |
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
import { createGraphqlInstrumentation, type GraphqlInstrumentation, type GraphqlSettings } from './graphql.js';
import { createGrpcInstrumentation, instrumentGrpc } from './grpc.js';
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

type PatchedKey = 'pg' | 'amqplib' | 'redis4' | 'grpc';

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
type SharedInstrumentations = Partial<Record<PatchedKey, InstrumentationBase>> & { graphql?: GraphqlInstrumentation };
type GlobalWithSlot = typeof globalThis & { [SLOT]?: SharedInstrumentations };

function sharedInstrumentations(): SharedInstrumentations {
  const global = globalThis as GlobalWithSlot;
  global[SLOT] ??= {};
  return global[SLOT];
}

/** What the libraries with settings of their own are asked for. */
export interface LibrarySettings {
  readonly graphql: GraphqlSettings;
}

const DEFAULT_SETTINGS: LibrarySettings = { graphql: { resolvers: false } };

/**
 * Watches package `name` and patches every copy loaded with `patch` (which returns the undo, or undefined
 * for a copy it leaves alone); the copies patched are listed in `copies`. Returns the stop, which undoes.
 */
function patchEveryCopy(
  name: string,
  copies: string[],
  patch: (loaded: LoadedPackage) => (() => void) | undefined,
): () => void {
  const unpatches: Array<() => void> = [];
  const unwatch = watchPackage(name, (loaded) => {
    const undo = patch(loaded);
    if (undo === undefined) return;
    unpatches.push(undo);
    copies.push(`${loaded.name}@${loaded.version} ${loaded.dir}`);
  });
  return () => {
    unwatch();
    for (const undo of unpatches) undo();
  };
}

/** Watches `spec`'s package and patches every copy loaded in its versions; returns the stop, which undoes. */
function tracePatchedLibrary(
  spec: PatchedLibrary,
  tracerProvider: TracerProvider,
  leanProvider: TracerProvider,
  tracer: Tracer,
  copies: string[],
): () => void {
  const shared = sharedInstrumentations();
  return patchEveryCopy(spec.package ?? spec.library, copies, (loaded) => {
    if (spec.versions !== undefined && !inRange(loaded.version, spec.versions)) return undefined;
    const instrumentation = shared[spec.key] ?? spec.create(requireDependency, tracerProvider);
    shared[spec.key] = instrumentation;
    instrumentation.setTracerProvider(spec.tracerProvider(leanProvider));
    const undo = patchLoadedPackage(instrumentation, loaded);
    if (undo === undefined) return undefined;
    let undoExtra: (() => void) | undefined;
    try {
      undoExtra = spec.extra?.(loaded, tracer);
    } catch {
      // The instrumentation's spans go on without what the extra patches add.
    }
    return () => {
      undoExtra?.();
      undo();
    };
  });
}

/**
 * Starts tracing the enabled libraries with `tracerProvider`. `leanProvider`, when given, makes the spans of
 * the tracing channels and of the patched libraries instead (the pipeline's lean spans, pipeline/lean-tracer.ts).
 */
export function enableLibraryInstrumentation(
  tracerProvider: TracerProvider,
  enabled: Readonly<Record<InstrumentedLibrary, boolean>>,
  settings: LibrarySettings = DEFAULT_SETTINGS,
  leanProvider: TracerProvider = tracerProvider,
): LibraryInstrumentation {
  const tracer = tracerProvider.getTracer(LIBRARY_INSTRUMENTATION_SCOPE);
  const channelSpans = leanProvider.getTracer(LIBRARY_INSTRUMENTATION_SCOPE);
  const stops: Array<() => void> = [];
  const patched = new Map<InstrumentedLibrary, string[]>();
  if (enabled.mysql2) stops.push(instrumentMysql2(channelSpans));
  if (enabled.ioredis) stops.push(instrumentIoredis(channelSpans));
  if (enabled.redis) stops.push(instrumentNodeRedis(channelSpans));
  for (const spec of PATCHED) {
    if (!enabled[spec.library]) continue;
    const copies = patched.get(spec.library) ?? [];
    patched.set(spec.library, copies);
    stops.push(tracePatchedLibrary(spec, tracerProvider, leanProvider, tracer, copies));
  }
  if (enabled.grpc) {
    const copies: string[] = [];
    patched.set('grpc', copies);
    const shared = sharedInstrumentations();
    stops.push(
      patchEveryCopy('@grpc/grpc-js', copies, (loaded) =>
        instrumentGrpc(loaded, tracer, () => {
          shared.grpc ??= createGrpcInstrumentation(requireDependency, tracerProvider);
          shared.grpc.setTracerProvider(tracerProvider);
          return shared.grpc;
        }),
      ),
    );
  }
  if (enabled.graphql) {
    const copies: string[] = [];
    patched.set('graphql', copies);
    const shared = sharedInstrumentations();
    stops.push(
      patchEveryCopy('graphql', copies, (loaded) => {
        shared.graphql ??= createGraphqlInstrumentation(requireDependency, tracerProvider, settings.graphql);
        shared.graphql.configure(tracerProvider, settings.graphql);
        return shared.graphql.patch(loaded);
      }),
    );
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
