/**
 * This package's own dependencies that only some services need, loaded on first use so that a service
 * without any traced library starts as fast as before: the OpenTelemetry instrumentations, and semver
 * (~10 ms to load), needed only to check a found library's version.
 */
import { createRequire } from 'node:module';

/** Resolves this package's own dependencies, in the ESM and the CJS build alike. */
export const requireDependency = createRequire(import.meta.url);

type Satisfies = (version: string, range: string, options: { includePrerelease: boolean }) => boolean;
let satisfies: Satisfies | undefined;

/** Whether `version` is in the semver `range` (prereleases included). */
export function inRange(version: string, range: string): boolean {
  satisfies ??= requireDependency('semver/functions/satisfies') as Satisfies;
  return satisfies(version, range, { includePrerelease: true });
}
