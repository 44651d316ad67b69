/**
 * Which versions of each traced library get spans, and how: the one table the docs, `doctor` and the
 * instrumentations agree on. Libraries traced through their own tracing channels get spans from the first
 * version that publishes them; older versions run as before, untraced. A package may have several entries
 * (`@redis/client` 1.x is patched, ≥ 5.12 publishes channels): a version is traced when one of them has it.
 */
import type { InstrumentedLibrary } from '../config/types.js';
import { inRange, requireDependency } from './dependencies.js';
import { REDIS4_VERSIONS } from './redis4.js';

export interface LibrarySupport {
  readonly library: InstrumentedLibrary;
  /** The npm package whose installed version decides. */
  readonly package: string;
  /** The versions traced (a semver range). */
  readonly versions: string;
  /** How its spans are made, in words. */
  readonly how: string;
  /** What gets spans, in words, when it is not the library's calls (client spans). */
  readonly traced?: string;
}

export const LIBRARY_SUPPORT: readonly LibrarySupport[] = Object.freeze([
  {
    library: 'pg',
    package: 'pg',
    versions: '>=8.0.3 <9',
    how: '@opentelemetry/instrumentation-pg, applied to the loaded package',
  },
  {
    library: 'mysql2',
    package: 'mysql2',
    versions: '>=3.20.0',
    how: 'the mysql2:query and mysql2:execute tracing channels',
  },
  {
    library: 'ioredis',
    package: 'ioredis',
    versions: '>=5.11.0',
    how: 'the ioredis:command and ioredis:batch tracing channels',
  },
  {
    library: 'redis',
    package: '@redis/client',
    versions: REDIS4_VERSIONS,
    how: '@opentelemetry/instrumentation-redis, applied to the loaded package',
  },
  {
    library: 'redis',
    package: '@redis/client',
    versions: '>=5.12.0',
    how: 'the node-redis:command and node-redis:batch tracing channels',
  },
  {
    library: 'amqplib',
    package: 'amqplib',
    versions: '>=0.5.5 <3',
    how: '@opentelemetry/instrumentation-amqplib, applied to the loaded package',
  },
  {
    library: 'grpc',
    package: '@grpc/grpc-js',
    versions: '>=1.0.0 <2',
    how: 'its Channel.prototype.createCall for clients and @opentelemetry/instrumentation-grpc for servers, applied to the loaded package',
    traced: 'its calls get client and server spans',
  },
  {
    library: 'graphql',
    package: 'graphql',
    versions: '>=15.0.0 <17',
    how: '@opentelemetry/instrumentation-graphql, applied to the loaded package',
    traced: 'its operations get parse, validate and execute spans',
  },
]);

/** Whether `version` of `support`'s package gets spans. */
export function isTracedVersion(support: LibrarySupport, version: string): boolean {
  return inRange(version, support.versions);
}

type GreaterThanRange = (version: string, range: string, options: { includePrerelease: boolean }) => boolean;
let gtr: GreaterThanRange | undefined;

/** Whether `version` is newer than every version traced (a major this project does not trace yet). */
export function isNewerThanTraced(support: LibrarySupport, version: string): boolean {
  gtr ??= requireDependency('semver/ranges/gtr') as GreaterThanRange;
  return gtr(version, support.versions, { includePrerelease: true });
}

/** The entries of `packageName`, and the one that traces `version` (undefined when none does). */
export function supportOf(
  packageName: string,
  version: string,
): { readonly entries: readonly LibrarySupport[]; readonly traced: LibrarySupport | undefined } {
  const entries = LIBRARY_SUPPORT.filter((support) => support.package === packageName);
  return { entries, traced: entries.find((support) => isTracedVersion(support, version)) };
}
