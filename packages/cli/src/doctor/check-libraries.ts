/**
 * The traced libraries the service has installed (database and cache clients, RabbitMQ, GraphQL, gRPC), and
 * whether they get spans: each copy reachable from the project, with its version checked against the
 * versions traced (a library with several entries, like node-redis 4 and ≥ 5.12, is traced when one has it).
 *
 * @packageDocumentation
 */
import { isNewerThanTraced, LIBRARY_SUPPORT, supportOf } from '@autotelemetry/core';
import { findInstalledCopies, type InstalledCopy } from './installed-packages.js';
import type { ProjectInfo } from './project.js';
import type { DoctorCheck } from './types.js';

/**
 * Whether the project reaches `copy` only through AutoTelemetry's own dependencies (the OTLP gRPC exporter's
 * `@grpc/grpc-js`): that copy is no library of the app's. The first chain found is the shortest, so a copy
 * the app also depends on is reported.
 */
const onlyOurs = (copy: InstalledCopy): boolean => copy.via.includes(' > @autotelemetry/');

/** One finding per installed copy of a traced library; none when the project has none of them. */
export function checkLibraries(project: ProjectInfo): DoctorCheck[] {
  const copies = findInstalledCopies(project.dir, [
    ...new Set(LIBRARY_SUPPORT.map((support) => support.package)),
  ]).filter((copy) => !onlyOurs(copy));
  return copies.flatMap((copy): DoctorCheck[] => {
    const { entries, traced } = supportOf(copy.name, copy.version);
    const first = entries[0];
    if (first === undefined) return [];
    const data = { library: first.library, package: copy.name, version: copy.version, path: copy.path };
    if (traced !== undefined) {
      return [
        {
          id: 'libraries',
          status: 'ok',
          title: `${copy.name} ${copy.version}: ${traced.traced ?? 'its calls get client spans'} (${traced.how})`,
          data,
        },
      ];
    }
    const versions = entries.map((support) => support.versions).join(' || ');
    // Entries are listed oldest range first: the last is the one to move to.
    const newest = entries[entries.length - 1] ?? first;
    return [
      {
        id: 'libraries',
        status: 'warn',
        title: `${copy.name} ${copy.version}: its calls get no spans (traced versions: ${versions})`,
        detail: `Spans come from ${entries.map((support) => support.how).join(', or ')}, which this version does not have. Its calls still work, untraced.`,
        fix: entries.every((support) => isNewerThanTraced(support, copy.version))
          ? `To get spans, use ${copy.name} in ${versions}; this newer version runs as before, untraced.`
          : `Upgrade ${copy.name} to a version in ${newest.versions}.`,
        data,
      } satisfies DoctorCheck,
    ];
  });
}
