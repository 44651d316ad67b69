/**
 * Readers of option and environment-variable values. Each checks one kind of value and throws a
 * {@link ConfigError} naming the option, the value and what is accepted.
 */

import { DEFAULT_REDACTED_KEYS } from './defaults.js';
import {
  type Environment,
  type LogLevel,
  parseEnvironment,
  parseLogLevel,
  type TraceExporterKind,
} from './environment.js';
import { ConfigError, type ConfigSource, type OtlpProtocol, type ResourceAttributeValue } from './types.js';

export function parseBoolean(option: string, accepted = 'true or false'): (value: unknown) => boolean {
  return (value) => {
    if (typeof value === 'boolean') return value;
    throw new ConfigError(option, value, accepted);
  };
}

export function parseBooleanEnv(option: string): (raw: string) => boolean {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
    if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
    throw new ConfigError(option, raw, 'true/false, 1/0, yes/no, on/off', 'env');
  };
}

export function nonEmptyString(option: string): (value: unknown) => string {
  return (value) => {
    if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(option, value, 'a non-empty string');
    return value.trim();
  };
}

export function parsePort(option: string, source: ConfigSource) {
  return (value: unknown): number | false => {
    if (value === false) return false;
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
    if (source === 'env' && typeof value === 'string' && /^(false|off|no|disabled?)$/i.test(value.trim())) return false;
    throw new ConfigError(option, value, 'an integer port from 1 to 65535, or false to disable', source);
  };
}

/** A port that may also be 0 (the system picks a free one) or false (off): the viewer's. */
export function parseListenPort(option: string, source: ConfigSource) {
  const strict = parsePort(option, source);
  return (value: unknown): number | false => {
    if (value === 0 || (typeof value === 'string' && /^\s*0\s*$/.test(value))) return 0;
    try {
      return strict(value);
    } catch {
      throw new ConfigError(
        option,
        value,
        'an integer port from 0 (any free port) to 65535, or false to disable',
        source,
      );
    }
  };
}

/** A positive integer up to `max` (a buffer's size, say). */
export function parseBoundedCount(option: string, source: ConfigSource, max: number) {
  return (value: unknown): number => {
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max) return n;
    throw new ConfigError(option, value, `an integer from 1 to ${max}`, source);
  };
}

export const OTLP_ENDPOINT_ACCEPTED =
  '"host:port" or an http(s):// URL, e.g. "localhost:4317" or "http://collector:4318"';

/** Normalises `host:port` or a URL into a URL string without a trailing slash. */
export function parseEndpoint(option: string, source: ConfigSource) {
  return (value: unknown): string => {
    if (typeof value !== 'string' || value.trim() === '')
      throw new ConfigError(option, value, OTLP_ENDPOINT_ACCEPTED, source);
    const raw = value.trim();
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new ConfigError(option, value, OTLP_ENDPOINT_ACCEPTED, source);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username || url.search) {
      throw new ConfigError(option, value, OTLP_ENDPOINT_ACCEPTED, source);
    }
    if (!/^https?:\/\/[^/]+:\d+/i.test(withScheme) && !/^https?:\/\//i.test(raw)) {
      // A bare host without a port is ambiguous between the gRPC and HTTP ports.
      throw new ConfigError(option, value, OTLP_ENDPOINT_ACCEPTED, source);
    }
    return url.href.replace(/\/+$/, '');
  };
}

export function parseProtocol(source: ConfigSource) {
  return (value: unknown): OtlpProtocol => {
    if (value === 'grpc' || value === 'http/protobuf') return value;
    throw new ConfigError('otlpProtocol', value, '"grpc" or "http/protobuf"', source);
  };
}

export function parseLevelOption(option: string, source: ConfigSource) {
  return (value: unknown): LogLevel => {
    const level = typeof value === 'string' ? parseLogLevel(value) : undefined;
    if (!level) {
      throw new ConfigError(option, value, 'TRACE, DEBUG, INFO, WARN (WARNING), ERROR or FATAL (CRITICAL)', source);
    }
    return level;
  };
}

export function parseEnvironmentOption(source: ConfigSource) {
  return (value: unknown): Environment => {
    const env = typeof value === 'string' ? parseEnvironment(value) : undefined;
    if (!env) throw new ConfigError('environment', value, 'development, test, staging or production', source);
    return env;
  };
}

export function parseRatio(source: ConfigSource) {
  return (value: unknown): number => {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1) return n;
    throw new ConfigError('samplingRatio', value, 'a number from 0 to 1', source);
  };
}

export const TRACE_EXPORTERS: readonly TraceExporterKind[] = ['console', 'memory', 'otlp', 'zipkin', 'none'];

export function parseTraceExporter(source: ConfigSource) {
  return (value: unknown): TraceExporterKind => {
    if (typeof value === 'string' && (TRACE_EXPORTERS as readonly string[]).includes(value.trim().toLowerCase())) {
      return value.trim().toLowerCase() as TraceExporterKind;
    }
    throw new ConfigError('traceExporter', value, TRACE_EXPORTERS.join(', '), source);
  };
}

export function parseAccessLog(source: ConfigSource) {
  return (value: unknown): LogLevel | 'auto' | false => {
    if (value === false || value === 'auto') return value;
    if (typeof value === 'string') {
      if (/^(false|off|none)$/i.test(value.trim())) return false;
      if (/^auto$/i.test(value.trim())) return 'auto';
      const level = parseLogLevel(value);
      if (level) return level;
    }
    throw new ConfigError('accessLog', value, '"auto" (level by status), a log level, or false', source);
  };
}

export function parsePathList(option: string, source: ConfigSource) {
  return (value: unknown): readonly string[] => {
    const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
      throw new ConfigError(option, value, 'a list of paths starting with "/"', source);
    }
    return Object.freeze(list.filter((p: string) => p.length > 0));
  };
}

export function parseKeyList(option: string, source: ConfigSource) {
  return (value: unknown): readonly string[] => {
    const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
    if (!Array.isArray(list) || list.some((k) => typeof k !== 'string' || k.trim() === '')) {
      throw new ConfigError(option, value, 'a list of non-empty key names', source);
    }
    const merged = new Set(DEFAULT_REDACTED_KEYS);
    for (const k of list as string[]) if (k.trim() !== '') merged.add(k.trim().toLowerCase());
    return Object.freeze([...merged]);
  };
}

export function parseAttributes(value: unknown): Record<string, ResourceAttributeValue> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('additionalAttributes', value, 'an object of string, number or boolean values');
  }
  const out: Record<string, ResourceAttributeValue> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ConfigError(`additionalAttributes.${k}`, v, 'a string, number or boolean');
    }
    out[k] = v;
  }
  return out;
}

/** Parses `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, values percent-encoded) per the OTel spec. */
export function parseResourceAttributesEnv(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      if (pair.trim() === '') continue;
      throw new ConfigError(
        'additionalAttributes',
        raw,
        'OTEL_RESOURCE_ATTRIBUTES as key=value pairs separated by commas',
        'env',
      );
    }
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new ConfigError('additionalAttributes', raw, 'percent-encoded values in OTEL_RESOURCE_ATTRIBUTES', 'env');
    }
    out[key] = value;
  }
  return out;
}

export function fromDefaults<T>(value: T) {
  return { value, source: 'default' as ConfigSource };
}

export function samplerFromEnv(env: NodeJS.ProcessEnv): { value: number; source: ConfigSource } {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (!sampler) return fromDefaults(1);
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  switch (sampler) {
    case 'always_on':
    case 'parentbased_always_on':
      return { value: 1, source: 'env' };
    case 'always_off':
    case 'parentbased_always_off':
      return { value: 0, source: 'env' };
    case 'traceidratio':
    case 'parentbased_traceidratio':
      if (arg === undefined || arg.trim() === '') return { value: 1, source: 'env' };
      try {
        return { value: parseRatio('env')(arg), source: 'env' };
      } catch {
        throw new ConfigError('samplingRatio', arg, 'a number from 0 to 1', 'env', 'OTEL_TRACES_SAMPLER_ARG');
      }
    default:
      throw new ConfigError(
        'samplingRatio',
        sampler,
        'always_on, always_off, traceidratio or their parentbased_ forms',
        'env',
        'OTEL_TRACES_SAMPLER',
      );
  }
}
