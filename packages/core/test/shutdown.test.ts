/**
 * Clean exit, in real child processes: 100 spans and 100 log lines must all reach the collector and stdout
 * whether the process ends by itself, calls shutdown(), or gets SIGTERM — and the process must end the way
 * Node would have ended it (or the way the application's own handler decides).
 */
import { fileURLToPath } from 'node:url';
import { killAllChildren, type OtlpReceiver, spawnNode, startOtlpReceiver } from '@autotelemetry/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./fixtures/pipeline-app.mjs', import.meta.url));
const COUNT = 100;

let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await killAllChildren();
  await receiver?.close();
  receiver = undefined;
});

async function runApp(exit: string) {
  receiver = await startOtlpReceiver({ protocol: 'grpc' });
  const child = spawnNode(APP, {
    env: {
      AUTOTELEMETRY_ENVIRONMENT: 'production',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
      AUTOTELEMETRY_RUNTIME_METRICS: 'false',
      FIXTURE_SPANS: String(COUNT),
      FIXTURE_EXIT: exit,
    },
  });
  return { child, receiver };
}

/** Everything the app produced arrived: 100 spans, 100 log records, 100 JSON lines, and the counter. */
async function expectEverythingDelivered(receiver: OtlpReceiver, stdoutJson: Record<string, unknown>[]) {
  // Nothing may arrive late: the child has exited, so what is not here by now was lost.
  expect(receiver.spans.filter((s) => s.name === 'fixture.step')).toHaveLength(COUNT);
  expect(receiver.logs.filter((r) => r.body === 'step done')).toHaveLength(COUNT);
  const counter = receiver.metrics.filter((m) => m.name === 'fixture.items.processed').at(-1);
  expect(counter?.points[0]?.value).toBe(COUNT);
  expect(stdoutJson.filter((line) => line.message === 'step done')).toHaveLength(COUNT);
  expect(receiver.decodeErrors).toEqual([]);
}

describe('flush at exit', () => {
  it('flushes everything when the process ends by itself (beforeExit)', async () => {
    const { child, receiver } = await runApp('natural');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    await expectEverythingDelivered(receiver, child.json());
  });

  it('flushes everything on an explicit shutdown(), which is safe to call twice', async () => {
    const { child, receiver } = await runApp('shutdown');
    await child.waitForLine('SHUTDOWN_DONE');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    await expectEverythingDelivered(receiver, child.json());
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'flushes on %s, then ends by that signal as Node would when the app has no handler',
    async (signal) => {
      const { child, receiver } = await runApp('sigterm');
      await child.waitForLine('READY');
      // Sent before the batch processor's 1 s schedule: only the exit flush can deliver the spans.
      child.kill(signal);
      expect(await child.exited).toEqual({ code: null, signal });
      await expectEverythingDelivered(receiver, child.json());
    },
  );

  it("flushes on SIGTERM but leaves the exit to the app's own handler", async () => {
    const { child, receiver } = await runApp('sigterm-handled');
    await child.waitForLine('READY');
    child.kill('SIGTERM');
    await child.waitForLine('APP_HANDLER');
    // The library's flush completes while the process lives on, under the app's control.
    await receiver.waitForSpans(COUNT, (s) => s.name === 'fixture.step', { timeoutMs: 5000 });
    expect(child.child.exitCode).toBeNull();
    expect(await child.exited).toEqual({ code: 7, signal: null });
    await expectEverythingDelivered(receiver, child.json());
  });
});
