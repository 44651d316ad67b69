/**
 * The database and cache clients the service has installed, and whether their calls get spans: each copy
 * reachable from the project, with its version checked against the versions traced.
 *
 * @packageDocumentation
 */
import { LIBRARY_SUPPORT, supportOf } from '@autotelemetry/core';
import { findInstalledCopies } from './installed-packages.js';
import type { ProjectInfo } from './project.js';
import type { DoctorCheck } from './types.js';

/** One finding per installed copy of a traced library; none when the project has none of them. */
export function checkLibraries(project: ProjectInfo): DoctorCheck[] {
  const copies = findInstalledCopies(project.dir, [...new Set(LIBRARY_SUPPORT.map((support) => support.package))]);
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
          title: `${copy.name} ${copy.version}: its calls get client spans (${traced.how})`,
          data,
        },
      ];
    }
    const versions = entries.map((support) => support.versions).join(' || ');
    const newest = entries[entries.length - 1] ?? first;
    return [
      {
        id: 'libraries',
        status: 'warn',
        title: `${copy.name} ${copy.version}: its calls get no spans (traced versions: ${versions})`,
        detail: `Spans come from ${entries.map((support) => support.how).join(', or ')}, which this version does not have. Its calls still work, untraced.`,
        fix: `Upgrade ${copy.name} to a version in ${newest.versions}.`,
        data,
      } satisfies DoctorCheck,
    ];
  });
}
