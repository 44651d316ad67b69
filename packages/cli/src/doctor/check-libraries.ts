/**
 * The traced libraries the service has installed (database and cache clients, RabbitMQ, GraphQL, gRPC), and
 * whether they get
 * spans: each copy reachable from the project, with its version checked against the versions traced.
 *
 * @packageDocumentation
 */
import { isNewerThanTraced, isTracedVersion, LIBRARY_SUPPORT } from '@autotelemetry/core';
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
  const copies = findInstalledCopies(
    project.dir,
    LIBRARY_SUPPORT.map((support) => support.package),
  ).filter((copy) => !onlyOurs(copy));
  return copies.flatMap((copy): DoctorCheck[] => {
    const support = LIBRARY_SUPPORT.find((s) => s.package === copy.name);
    if (support === undefined) return [];
    const data = { library: support.library, package: copy.name, version: copy.version, path: copy.path };
    if (isTracedVersion(support, copy.version)) {
      return [
        {
          id: 'libraries',
          status: 'ok',
          title: `${copy.name} ${copy.version}: ${support.traced ?? 'its calls get client spans'} (${support.how})`,
          data,
        },
      ];
    }
    return [
      {
        id: 'libraries',
        status: 'warn',
        title: `${copy.name} ${copy.version}: its calls get no spans (traced versions: ${support.versions})`,
        detail: `Spans come from ${support.how}, which this version does not have. Its calls still work, untraced.`,
        fix: isNewerThanTraced(support, copy.version)
          ? `To get spans, use ${copy.name} in ${support.versions}; this newer version runs as before, untraced.`
          : `Upgrade ${copy.name} to a version in ${support.versions}.`,
        data,
      } satisfies DoctorCheck,
    ];
  });
}
