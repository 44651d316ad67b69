#!/usr/bin/env node
// The long collector-fault soak (issue 9): `npm run soak` (builds, then runs this with the project's Node).
//
// Two identical Express apps under the same open-loop load, side by side: the reference keeps a healthy
// collector, the subject's collector goes through each fault for a long window — closed port, black hole,
// slow (5 s per export), HTTP 500 / gRPC INTERNAL, HTTP 429 / gRPC RESOURCE_EXHAUSTED — then comes back.
// Unlike the short test, the exporters keep their default 10 s OTLP timeout: a collector that takes 5 s per
// export is slow, not down, so that fault is judged on latency, memory and delivery only.
//
// Options: --fault-seconds N (default 20 per fault), --rps N (per app, default 2000), --protocol grpc|http/protobuf,
// --no-pin (do not pin both apps to one CPU), --json FILE (write the figures there too).
// Exits 1 when a guarantee does not hold; prints the figures either way.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runCollectorFaults } from '../packages/express/test/fixtures/reliability-faults.mjs';

const { values } = parseArgs({
  options: {
    'fault-seconds': { type: 'string', default: '20' },
    rps: { type: 'string', default: '2000' },
    protocol: { type: 'string', default: 'grpc' },
    'no-pin': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const P99_TOLERANCE = 1.1;
const P99_FLOOR_MS = 5;
const phaseMs = Number(values['fault-seconds']) * 1000;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

process.stdout.write(
  `soak: ${values.protocol}, ${values.rps} rps per app, ${phaseMs / 1000} s per fault, default OTLP timeout\n`,
);
const figures = await runCollectorFaults({
  protocol: values.protocol,
  rps: Number(values.rps),
  phaseMs,
  warmupMs: 5000,
  recoveryTimeoutMs: 30_000,
  pin: !values['no-pin'],
  log: (line) => process.stdout.write(`[${elapsed()}] ${line.slice(0, 240)}\n`),
});

const failures = [];
const rows = [];
for (const fault of figures.faults) {
  const { reference, subject } = fault;
  const latencyOk =
    subject.p99_ms <= reference.p99_ms * P99_TOLERANCE ||
    subject.p99_ms - reference.p99_ms <= P99_FLOOR_MS ||
    (fault.p99_ratio_windows >= 3 && fault.p99_ratio_windows_median <= P99_TOLERANCE);
  const rssOk = subject.rss_mb < reference.rss_mb * 1.3;
  // An outage warns once; a collector that stays up within the timeout (slow) may warn once about dropped
  // spans and has nothing to recover from.
  const outage = fault.outage;
  const warningsOk = fault.warnings <= 1;
  const recoveredOk = !outage || fault.recovered;
  const deliveredOk = fault.markers_arrived === fault.markers_sent;
  const errorsOk = subject.errors === 0 && reference.errors === 0;
  for (const [ok, what] of [
    [latencyOk, 'p99 within 10 % (floor 5 ms)'],
    [rssOk, 'RSS < 1.3x reference'],
    [warningsOk, 'at most one warning'],
    [recoveredOk, 'recovered'],
    [deliveredOk, 'spans after recovery delivered'],
    [errorsOk, 'no failed request'],
  ]) {
    if (!ok) failures.push(`${fault.fault}: ${what}`);
  }
  rows.push(
    `${fault.fault.padEnd(36)} rps ${String(subject.rps).padStart(5)}  p99 ${String(subject.p99_ms).padStart(8)} ms ` +
      `(ref ${String(reference.p99_ms).padStart(8)})  RSS ${String(subject.rss_mb).padStart(6)} MB ` +
      `(ref ${String(reference.rss_mb).padStart(6)})  heap ${fault.subject_heap_after_gc_mb} MB  ` +
      `warnings ${fault.warnings}  recovered ${outage ? `${fault.recovery_ms} ms` : 'n/a (no outage)'}  ` +
      `resumed ${fault.resumed_ms ?? '-'} ms  ` +
      `markers ${fault.markers_arrived}/${fault.markers_sent}`,
  );
}
const heaps = figures.faults.map((f) => f.subject_heap_after_gc_mb);
if (Math.max(...heaps) - Math.min(...heaps) >= 8) failures.push('heap after GC not flat across the faults');
if (figures.decode_errors !== 0) failures.push('the receiver could not decode an export');

process.stdout.write(`\n${rows.join('\n')}\n`);
process.stdout.write(
  `both healthy: subject p99 ${figures.both_healthy.subject.p99_ms} ms, reference ${figures.both_healthy.reference.p99_ms} ms; ` +
    `pinned to one CPU: ${figures.pinned}; total ${elapsed()}\n`,
);
if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
if (failures.length > 0) {
  process.stdout.write(`\nNOT HOLDING:\n- ${failures.join('\n- ')}\n`);
  process.exit(1);
}
process.stdout.write('\nall guarantees held\n');
