import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ANOMALY_COUNTER_NAME,
  ANOMALY_EVENT_NAME,
  type AnomalyDetection,
  AnomalyDetector,
  getAnomalyDetector,
  setAnomalyDetector,
} from '../src/instrument/anomaly.js';
import { setState } from '../src/state.js';
import { normal, seededRandom } from './anomaly-series.js';
import { CaptureLogger, pointsOf, startTestPipeline, type TestPipeline } from './otel-test-pipeline.js';

let pipeline: TestPipeline;
beforeAll(() => {
  pipeline = startTestPipeline();
});
afterAll(async () => {
  await pipeline.shutdown();
});
beforeEach(() => {
  setState(undefined);
  pipeline.exporter.reset();
});

/** Feeds `n` observations of a steady process: Gaussian latency and Bernoulli errors. */
function feedSteady(
  detector: AnomalyDetector,
  key: string,
  n: number,
  seed: number,
  shape: { meanMs: number; sdMs: number; errorRate: number },
): AnomalyDetection[] {
  const random = seededRandom(seed);
  const gauss = normal(random);
  const found: AnomalyDetection[] = [];
  for (let i = 0; i < n; i++) {
    const latency = Math.max(0, shape.meanMs + shape.sdMs * gauss());
    const d = detector.observe(key, latency, random() < shape.errorRate);
    if (d) found.push(d);
  }
  return found;
}

describe('AnomalyDetector on seeded synthetic series', () => {
  it('raises no alarm on thousands of points of steady noise, for slow and fast keys and a steady error rate', () => {
    const detector = new AnomalyDetector({ logger: false });
    const found = [
      ...feedSteady(detector, 'GET /orders', 5000, 1, { meanMs: 100, sdMs: 10, errorRate: 0.02 }),
      ...feedSteady(detector, 'cache.get', 5000, 2, { meanMs: 0.4, sdMs: 0.1, errorRate: 0 }),
      ...feedSteady(detector, 'GET /search', 5000, 3, { meanMs: 250, sdMs: 40, errorRate: 0.1 }),
      ...feedSteady(detector, 'db.query', 5000, 4, { meanMs: 12, sdMs: 3, errorRate: 0.005 }),
    ];
    expect(found).toEqual([]);
    const learnt = detector.baseline('GET /orders');
    expect(learnt?.count).toBe(5000);
    expect(learnt?.meanMs).toBeGreaterThan(90);
    expect(learnt?.meanMs).toBeLessThan(110);
    expect(learnt?.stddevMs).toBeGreaterThan(5);
    expect(learnt?.stddevMs).toBeLessThan(15);
  });

  it('detects every injected latency spike, and nothing else', () => {
    const detector = new AnomalyDetector({ logger: false });
    const random = seededRandom(42);
    const gauss = normal(random);
    const spikes = new Set<number>();
    const found: { index: number; detection: AnomalyDetection }[] = [];
    for (let i = 0; i < 4000; i++) {
      let latency = 100 + 10 * gauss();
      if (i >= 100 && i % 337 === 0) {
        latency = 400 + 50 * random();
        spikes.add(i);
      }
      const d = detector.observe('GET /orders', latency, false);
      if (d) found.push({ index: i, detection: d });
    }
    expect(spikes.size).toBeGreaterThan(10);
    expect(found.map((f) => f.index)).toEqual([...spikes]);
    for (const { detection } of found) {
      expect(detection.kind).toBe('latency');
      expect(detection.unit).toBe('ms');
      expect(detection.observed).toBeGreaterThan(detection.threshold);
      expect(detection.baseline).toBeGreaterThan(90);
      expect(detection.baseline).toBeLessThan(110);
      expect(detection.threshold).toBeGreaterThanOrEqual(detection.baseline * 2);
    }
  });

  it('judges nothing during the warm-up', () => {
    const detector = new AnomalyDetector({ logger: false, warmup: 30 });
    const found: AnomalyDetection[] = [];
    for (let i = 0; i < 30; i++) {
      const d = detector.observe('k.warm', i % 10 === 9 ? 10_000 : 10, i % 2 === 0);
      if (d) found.push(d);
    }
    expect(found).toEqual([]);
    expect(detector.baseline('k.warm')?.count).toBe(30);
  });

  it('detects an error burst once per episode, and again after recovery', () => {
    const detector = new AnomalyDetector({ logger: false });
    const random = seededRandom(7);
    const found: { index: number; detection: AnomalyDetection }[] = [];
    const burst = (i: number) => (i >= 2000 && i < 2040) || (i >= 3500 && i < 3540);
    for (let i = 0; i < 5000; i++) {
      const isError = random() < (burst(i) ? 0.7 : 0.01);
      const d = detector.observe('POST /checkout', 50 + 5 * random(), isError);
      if (d) found.push({ index: i, detection: d });
    }
    expect(found).toHaveLength(2);
    const [first, second] = found;
    expect(first?.index).toBeGreaterThanOrEqual(2000);
    expect(first?.index).toBeLessThan(2015);
    expect(second?.index).toBeGreaterThanOrEqual(3500);
    expect(second?.index).toBeLessThan(3515);
    for (const { detection } of found) {
      expect(detection.kind).toBe('error_rate');
      expect(detection.unit).toBe('1');
      // The burst's first errors already nudge the slow baseline up a little.
      expect(detection.baseline).toBeLessThan(0.1);
      expect(detection.observed).toBeGreaterThan(detection.threshold);
    }
  });

  it('bounds the number of keys: new keys beyond the bound are ignored, with one warning', () => {
    const logger = new CaptureLogger();
    const detector = new AnomalyDetector({ logger, maxKeys: 10 });
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 25; k++) detector.observe(`op.k${k}`, 10, false);
    }
    expect(detector.size).toBe(10);
    expect(detector.ignoredObservations).toBe(45);
    expect(detector.baseline('op.k9')?.count).toBe(3);
    expect(detector.baseline('op.k10')).toBeUndefined();
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.message).toMatch(/at most 10 keys/);
  });

  it('rate-limits WARN lines per key with an injected clock, and counts the suppressed ones', () => {
    let now = 1_000_000;
    const logger = new CaptureLogger();
    const detector = new AnomalyDetector({ logger, now: () => now, warnIntervalMs: 10_000 });
    for (let i = 0; i < 50; i++) detector.observe('GET /a', 100 + (i % 5), false);
    for (let i = 0; i < 50; i++) detector.observe('GET /b', 100 + (i % 5), false);
    const results: AnomalyDetection[] = [];
    for (let i = 0; i < 5; i++) {
      now += 1000;
      results.push(detector.observe('GET /a', 5000, false) as AnomalyDetection);
    }
    results.push(detector.observe('GET /b', 5000, false) as AnomalyDetection);
    expect(results.every((d) => d?.kind === 'latency')).toBe(true);
    expect(results.map((d) => d.logged)).toEqual([true, false, false, false, false, true]);
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'warn']);
    expect(logger.lines[0]?.data).toMatchObject({ anomaly_kind: 'latency', anomaly_key: 'GET /a', observed: 5000 });
    expect(logger.lines[0]?.message).toContain('GET /a took 5000 ms');

    now += 10_000;
    expect(detector.observe('GET /a', 5000, false)?.logged).toBe(true);
    expect(logger.lines).toHaveLength(3);
    expect(logger.lines[2]?.data).toMatchObject({ anomaly_key: 'GET /a', suppressed_warnings: 4 });
  });

  it('adds an anomaly.detected event to the span and counts it in autotelemetry.anomalies', async () => {
    const detector = new AnomalyDetector({ logger: false });
    for (let i = 0; i < 40; i++) detector.observe('orders.import', 20 + (i % 3), false);
    const span = trace.getTracer('anomaly.test').startSpan('orders.import');
    const detection = detector.observe('orders.import', 500, false, span);
    span.end();
    expect(detection?.kind).toBe('latency');

    const [finished] = pipeline.spansNamed('orders.import');
    const event = finished?.events.find((e) => e.name === ANOMALY_EVENT_NAME);
    expect(event?.attributes).toMatchObject({
      'anomaly.kind': 'latency',
      'anomaly.key': 'orders.import',
      'anomaly.observed': 500,
      'anomaly.baseline': detection?.baseline,
      'anomaly.threshold': detection?.threshold,
      'anomaly.unit': 'ms',
    });

    const points = pointsOf(await pipeline.collectMetrics(), ANOMALY_COUNTER_NAME);
    const point = points.find((p) => p.attributes['anomaly.key'] === 'orders.import');
    expect(point?.attributes).toEqual({ 'anomaly.kind': 'latency', 'anomaly.key': 'orders.import' });
    expect(point?.value).toBe(1);
  });

  it("writes to the running pipeline's logger by default and survives a logger that throws", () => {
    const logger = new CaptureLogger();
    setState({ config: {} as never, logger, services: {} });
    const detector = new AnomalyDetector();
    for (let i = 0; i < 40; i++) detector.observe('GET /x', 10, false);
    expect(detector.observe('GET /x', 1000, false)?.logged).toBe(true);
    expect(logger.lines).toHaveLength(1);

    const hostile = new AnomalyDetector({
      logger: {
        warn() {
          throw new Error('logger down');
        },
      },
    });
    for (let i = 0; i < 40; i++) hostile.observe('GET /y', 10, false);
    expect(hostile.observe('GET /y', 1000, false)?.kind).toBe('latency');
  });

  it('rejects out-of-range options with an error naming the option', () => {
    expect(() => new AnomalyDetector({ alpha: 2 })).toThrow(/"alpha"/);
    expect(() => new AnomalyDetector({ errorRateJump: -1 })).toThrow(/"errorRateJump"/);
    expect(() => new AnomalyDetector({ maxKeys: Number.NaN })).toThrow(/"maxKeys"/);
  });

  it('offers one process-wide detector, replaceable', () => {
    const first = getAnomalyDetector();
    expect(getAnomalyDetector()).toBe(first);
    const custom = new AnomalyDetector({ warmup: 5 });
    setAnomalyDetector(custom);
    expect(getAnomalyDetector()).toBe(custom);
    setAnomalyDetector(undefined);
    expect(getAnomalyDetector()).not.toBe(custom);
  });
});
