/**
 * The pipeline in-process: idempotent start, restart cycles that leave nothing behind, the resource,
 * sampling, propagation, the disabled mode, and one state shared by the ESM and CJS builds.
 */
import { createRequire } from 'node:module';
import { freePort } from '@autotelemetry/test-utils';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { getTelemetry, startTelemetry } from '../src/sdk.js';
import { getState } from '../src/state.js';
import { LogCapture } from '../src/testing.js';

afterEach(async () => {
  await getTelemetry()?.shutdown();
});

const QUIET = { prometheusPort: false, runtimeMetrics: false } as const;

function processFootprint(): Record<string, unknown> {
  const resources: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) resources[name] = (resources[name] ?? 0) + 1;
  return {
    sigterm: process.listenerCount('SIGTERM'),
    sigint: process.listenerCount('SIGINT'),
    beforeExit: process.listenerCount('beforeExit'),
    resources,
  };
}

describe('startTelemetry', () => {
  it('returns the running client on a second call, and warns once when the options differ', async () => {
    const capture = new LogCapture();
    const first = startTelemetry({ serviceName: 'shop.api', environment: 'test', logDestination: capture, ...QUIET });
    expect(startTelemetry()).toBe(first);
    expect(startTelemetry({ serviceName: 'shop.api', environment: 'test', logDestination: capture, ...QUIET })).toBe(
      first,
    );
    expect(capture.json().filter((line) => line.logger === 'autotelemetry')).toEqual([]);

    expect(startTelemetry({ serviceName: 'other.api', environment: 'test', ...QUIET })).toBe(first);
    expect(startTelemetry({ serviceName: 'other.api', environment: 'test', ...QUIET })).toBe(first);
    const warnings = capture.json().filter((line) => line.logger === 'autotelemetry');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'WARN' });
    expect(String(warnings[0]?.message)).toContain('serviceName');
    expect(first.config.serviceName).toBe('shop.api');
    expect(getTelemetry()).toBe(first);
  });

  it('fails fast on a bad option, naming it, before anything starts', () => {
    expect(() => startTelemetry({ prometheusPort: 70000 })).toThrow(/prometheusPort/);
    expect(getTelemetry()).toBeUndefined();
  });

  it('can start and shut down many times in one process, leaving nothing behind', async () => {
    const before = processFootprint();
    for (let cycle = 0; cycle < 4; cycle++) {
      const capture = new LogCapture();
      const client = startTelemetry({
        serviceName: 'cycle.test',
        environment: 'test',
        logDestination: capture,
        prometheusPort: await freePort(),
        prometheusHost: '127.0.0.1',
        runtimeMetrics: cycle % 2 === 0,
      });
      if (cycle === 0) await getState()?.pipeline?.runtimeMetrics?.ready;
      expect(await getState()?.pipeline?.prometheus?.ready).toEqual(expect.any(Number));
      // The globals are this cycle's: a span through the API is recorded by this pipeline.
      trace.getTracer('cycle').startSpan(`cycle.${cycle}`).end();
      expect(
        getState()
          ?.pipeline?.memorySpans?.getFinishedSpans()
          .map((s) => s.name),
      ).toEqual([`cycle.${cycle}`]);
      await client.shutdown();
      expect(getTelemetry()).toBeUndefined();
      // Nothing about registration or duplicates was reported.
      expect(capture.json().filter((line) => line.logger === 'autotelemetry')).toEqual([]);
      // After shutdown the API is back to no-ops.
      expect(trace.getTracer('cycle').startSpan('after').isRecording()).toBe(false);
    }
    // Closed handles leave the list on a later loop turn.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = processFootprint();
    expect({ ...after, resources: undefined }).toEqual({ ...before, resources: undefined });
    const resources = after.resources as Record<string, number>;
    for (const [name, count] of Object.entries(resources)) {
      expect(count, name).toBeLessThanOrEqual((before.resources as Record<string, number>)[name] ?? 0);
    }
  });

  it('puts the service, deployment, user attributes, SDK and process on the resource', () => {
    startTelemetry({
      serviceName: 'shop.api',
      serviceVersion: '2.0.0',
      environment: 'staging',
      additionalAttributes: { 'team.name': 'core', 'service.name': 'ignored' },
      traceExporter: 'memory',
      otlpEndpoint: 'http://127.0.0.1:1',
      logDestination: new LogCapture(),
      ...QUIET,
    });
    expect(getState()?.pipeline?.resource.attributes).toMatchObject({
      'service.name': 'shop.api',
      'service.version': '2.0.0',
      'deployment.environment.name': 'staging',
      'team.name': 'core',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': expect.any(String),
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'process.executable.path': process.execPath,
    });
  });

  it('samples new traces by ratio and follows the parent decision', () => {
    startTelemetry({ environment: 'test', samplingRatio: 0, logDestination: new LogCapture(), ...QUIET });
    const tracer = trace.getTracer('sampling');
    expect(tracer.startSpan('root').isRecording()).toBe(false);
    const sampledParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    const child = tracer.startSpan('child', {}, sampledParent);
    expect(child.isRecording()).toBe(true);
    expect(child.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('propagates W3C trace context and baggage through the active context', () => {
    startTelemetry({ environment: 'test', logDestination: new LogCapture(), ...QUIET });
    const span = trace.getTracer('propagation').startSpan('outgoing');
    const carrier: Record<string, string> = {};
    const ctx = propagation.setBaggage(
      trace.setSpan(context.active(), span),
      propagation.createBaggage({ tenant: { value: 'acme' } }),
    );
    context.with(ctx, () => propagation.inject(context.active(), carrier));
    const { traceId, spanId } = span.spanContext();
    expect(carrier.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(carrier.baggage).toBe('tenant=acme');
    // And the context manager carries the span across awaits.
    return context.with(trace.setSpan(context.active(), span), async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(trace.getActiveSpan()).toBe(span);
    });
  });

  it('with enabled: false, keeps the logger and gives no-op tracers and meters', async () => {
    const capture = new LogCapture();
    const client = startTelemetry({ enabled: false, environment: 'test', logDestination: capture, logLevel: 'INFO' });
    expect(client.getTracer('off').startSpan('x').isRecording()).toBe(false);
    client.getMeter('off').createCounter('off.items.count').add(1);
    client.getLogger('off').info('still logging', { a: 1 });
    expect(capture.json()).toEqual([expect.objectContaining({ logger: 'off', message: 'still logging' })]);
    expect(getState()?.pipeline?.tracerProvider).toBeUndefined();
    await client.shutdown();
  });

  it('shares one running pipeline between the ESM source and the CJS build', () => {
    const client = startTelemetry({ environment: 'test', logDestination: new LogCapture(), ...QUIET });
    const cjs = createRequire(import.meta.url)('@autotelemetry/core') as typeof import('../src/index.js');
    expect(cjs.getTelemetry()).toBe(client);
    expect(cjs.startTelemetry()).toBe(client);
  });
});
