/**
 * The OpenTelemetry resource every span, metric and log record of the pipeline carries.
 *
 * Attribute keys are written out rather than imported from `@opentelemetry/semantic-conventions/incubating`:
 * that module is large and loading it would cost cold-start time for a handful of strings.
 */
import { hostname } from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import { SDK_INFO } from '@opentelemetry/core';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { Config } from '../config/types.js';

/** Name under which AutoTelemetry identifies itself as an OpenTelemetry distribution. */
export const DISTRO_NAME = 'autotelemetry';

/** Attributes that describe the running process and host (no command-line arguments: they may hold secrets). */
export function processAttributes(): Attributes {
  const attributes: Attributes = {
    'process.pid': process.pid,
    'process.executable.name': process.release.name === 'node' ? 'node' : process.title,
    'process.executable.path': process.execPath,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.runtime.description': 'Node.js',
    'host.name': hostname(),
    'host.arch': process.arch,
  };
  if (process.argv[1] !== undefined) attributes['process.command'] = process.argv[1];
  return attributes;
}

/**
 * Builds the resource from the resolved config: telemetry SDK and process attributes first, then the user's
 * additional attributes (which already include `OTEL_RESOURCE_ATTRIBUTES`), then the service identity, which
 * always wins so that `service.name` cannot be overridden by accident.
 */
export function buildResource(config: Config): Resource {
  return resourceFromAttributes({
    ...SDK_INFO,
    'telemetry.distro.name': DISTRO_NAME,
    ...processAttributes(),
    ...config.additionalAttributes,
    'service.name': config.serviceName,
    'service.version': config.serviceVersion,
    'deployment.environment.name': config.environment,
  });
}
