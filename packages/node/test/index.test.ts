/** The public surface a script user imports from `@autotelemetry/node`. */
import { afterEach, describe, expect, it } from 'vitest';
import * as node from '../src/index.js';

afterEach(async () => {
  await node.getTelemetry()?.shutdown();
});

describe('@autotelemetry/node', () => {
  it('exports autoInstrument (the core pipeline start) and the helpers a script needs', () => {
    expect(node.autoInstrument).toBe(node.startTelemetry);
    expect(node.Environment.PRODUCTION).toBe('production');
    expect(node.LogLevel.WARN).toBe('WARN');
    for (const helper of [node.traced, node.Traced, node.traceAll, node.measure, node.getTelemetry]) {
      expect(typeof helper).toBe('function');
    }
    expect(new node.ConfigError('x', 1, 'y')).toBeInstanceOf(Error);
  });

  it('autoInstrument returns a client with the logger, tracer, meter, helpers and shutdown', async () => {
    const lines: string[] = [];
    const client = node.autoInstrument({
      serviceName: 'demo.script',
      environment: node.Environment.TEST,
      logLevel: node.LogLevel.INFO,
      logDestination: { write: (line: string) => lines.push(line) },
    });
    expect(node.autoInstrument()).toBe(client);
    expect(node.getTelemetry()).toBe(client);
    const result = client.measure('rows.process', () => client.traced(() => 41 + 1, { name: 'rows.add' })());
    expect(result).toBe(42);
    client.getLogger('pipeline').info('Processing done', { rows_processed: 150 });
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ logger: 'pipeline', message: 'Processing done', data: { rows_processed: 150 } }),
    );
    expect(client.getTracer('t').startSpan('x').isRecording()).toBe(true);
    expect(typeof client.getMeter('m').createHistogram).toBe('function');
    await client.shutdown();
    expect(node.getTelemetry()).toBeUndefined();
  });
});
