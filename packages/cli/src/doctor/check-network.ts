/**
 * Network checks: is the exporter's endpoint (OTLP or Zipkin) reachable from here, and is the Prometheus
 * port free — or held by this very service, already running.
 *
 * @packageDocumentation
 */
import type { Config } from '@autotelemetry/core';
import { parseExposition } from '../exposition.js';
import { hostPort, httpGet, portStatus, tcpConnect } from './network.js';
import type { DoctorCheck } from './types.js';

async function endpointCheck(
  id: 'otlp-endpoint' | 'zipkin-endpoint',
  what: string,
  url: string,
  envVar: string,
  timeoutMs: number,
): Promise<DoctorCheck> {
  const { host, port } = hostPort(url);
  const result = await tcpConnect(host, port, timeoutMs);
  if (result.reachable) {
    return { id, status: 'ok', title: `${what} ${url} is reachable (TCP connect in ${result.ms} ms)`, data: { url } };
  }
  return {
    id,
    status: 'problem',
    title: `${what} ${url} is not reachable (${result.error})`,
    detail:
      result.error === 'ECONNREFUSED'
        ? `Nothing listens on ${host}:${port}: exports fail and the service warns once per outage.`
        : `A TCP connection to ${host}:${port} failed within ${timeoutMs} ms: a wrong host, a firewall, or a collector that is down.`,
    fix: `Start the collector/backend, or point ${envVar} at it.`,
    data: { url, error: result.error },
  };
}

/** OTLP and Zipkin reachability, for the destinations the config actually uses. */
export async function checkExporterEndpoints(
  config: Config,
  timeoutMs: number,
  unread: ReadonlySet<string> = new Set(),
): Promise<DoctorCheck[]> {
  if (!config.enabled) return [];
  const notChecked = ['otlpEndpoint', 'otlpProtocol', 'traceExporter', 'zipkinEndpoint'].filter((o) => unread.has(o));
  if (notChecked.length > 0) {
    return [
      {
        id: 'otlp-endpoint',
        status: 'info',
        title: `Exporter endpoints not checked: the code sets ${notChecked.join(', ')} from an expression`,
        fix: 'Check the running service’s first log lines: an unreachable collector is reported once.',
      },
    ];
  }
  const checks: DoctorCheck[] = [];
  const otlpUsed = config.traceExporter === 'otlp' || config.otlpEnabled;
  if (otlpUsed) {
    const { port } = hostPort(config.otlpEndpoint);
    // 4317 and 4318 are the registered OTLP ports of gRPC and HTTP: a swap connects, then every export fails.
    const expected = config.otlpProtocol === 'grpc' ? 4317 : 4318;
    const other = config.otlpProtocol === 'grpc' ? 4318 : 4317;
    if (port === other) {
      checks.push({
        id: 'otlp-endpoint',
        status: 'warn',
        title: `OTLP protocol is ${config.otlpProtocol} but the endpoint's port is ${port}, the usual port of ${config.otlpProtocol === 'grpc' ? 'OTLP/HTTP' : 'OTLP/gRPC'}`,
        detail: 'A collector answers each protocol on its own port: the connection opens, then every export fails.',
        fix: `Use port ${expected}, or set OTEL_EXPORTER_OTLP_PROTOCOL=${config.otlpProtocol === 'grpc' ? 'http/protobuf' : 'grpc'}.`,
        data: { protocol: config.otlpProtocol, port },
      });
    }
    checks.push(
      await endpointCheck(
        'otlp-endpoint',
        `OTLP endpoint (${config.otlpProtocol})`,
        config.otlpEndpoint,
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        timeoutMs,
      ),
    );
  } else {
    checks.push({
      id: 'otlp-endpoint',
      status: 'info',
      title: `OTLP is not used in ${config.environment} with this configuration`,
      fix: 'Set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER=otlp) to export to a collector.',
    });
  }
  if (config.traceExporter === 'zipkin') {
    checks.push(
      await endpointCheck(
        'zipkin-endpoint',
        'Zipkin endpoint',
        config.zipkinEndpoint,
        'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
        timeoutMs,
      ),
    );
  }
  return checks;
}

/** Whether the `/metrics` port can be bound, and if not, who holds it. */
export async function checkPrometheusPort(
  config: Config,
  timeoutMs: number,
  unread: ReadonlySet<string> = new Set(),
): Promise<DoctorCheck> {
  const notChecked = ['prometheusPort', 'prometheusHost', 'enabled'].filter((o) => unread.has(o));
  if (notChecked.length > 0) {
    return {
      id: 'prometheus-port',
      status: 'info',
      title: `Prometheus port not checked: the code sets ${notChecked.join(', ')} from an expression`,
      fix: 'Run the service and check it with doctor --url http://127.0.0.1:<its port>.',
    };
  }
  if (!config.enabled || config.prometheusPort === false) {
    return {
      id: 'prometheus-port',
      status: 'info',
      title: `The Prometheus endpoint is off${config.sources.prometheusPort === 'default' ? ` (the ${config.environment} default)` : ''}`,
      fix: 'Set AUTOTELEMETRY_PROMETHEUS_PORT to serve /metrics.',
    };
  }
  const port = config.prometheusPort;
  const status = await portStatus(config.prometheusHost, port);
  if (status.free) {
    return {
      id: 'prometheus-port',
      status: 'ok',
      title: `Prometheus port ${port} is free on ${config.prometheusHost}`,
      data: { port },
    };
  }
  if (status.error === 'EADDRINUSE') {
    // Maybe it is this service, already running: its /metrics names it.
    const probe = await httpGet(`http://127.0.0.1:${port}/metrics`, timeoutMs);
    const running =
      probe.ok && probe.status === 200
        ? parseExposition(probe.body).find((s) => s.name === 'target_info')?.labels.service_name
        : undefined;
    if (running === config.serviceName) {
      return {
        id: 'prometheus-port',
        status: 'ok',
        title: `Prometheus port ${port} is in use by ${running} itself, running (its /metrics answers)`,
        data: { port, runningService: running },
      };
    }
    return {
      id: 'prometheus-port',
      status: 'problem',
      title: `Prometheus port ${port} is taken by ${running ? `another service (${running})` : 'another process'}`,
      detail: 'The service would start without /metrics (it warns once "port … is already in use").',
      fix: `Stop that process, or give this service another port: AUTOTELEMETRY_PROMETHEUS_PORT=<port> (or false to disable).`,
      data: { port, error: status.error, ...(running ? { runningService: running } : {}) },
    };
  }
  return {
    id: 'prometheus-port',
    status: 'problem',
    title: `Prometheus port ${port} cannot be bound on ${config.prometheusHost} (${status.error})`,
    detail: status.error === 'EACCES' ? 'Ports below 1024 need privileges.' : undefined,
    fix: 'Use another AUTOTELEMETRY_PROMETHEUS_PORT / AUTOTELEMETRY_PROMETHEUS_HOST.',
    data: { port, error: status.error },
  };
}
