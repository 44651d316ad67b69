import { defineConfig } from 'tsdown';

/**
 * The OpenTelemetry SDK packages the pipeline always loads are bundled into dist: published split into
 * ~300 small ES modules, they cost more to resolve and read at start-up than to run (the script demo's cold
 * start goal is +150 ms). `@opentelemetry/api` stays external (a peer: the application and its libraries
 * must share it), and so do the exporters loaded lazily (OTLP/Zipkin, the Prometheus serializer), which only
 * a config that uses them pays for. Runtime and host metrics are bundled but still loaded lazily (their own
 * chunk), so that they share the bundled SDK instead of loading a second copy; `systeminformation`, which
 * host metrics reads, stays external. The bundled packages keep their
 * globals under `Symbol.for` keys, so a copy elsewhere in the application still interoperates.
 */
const BUNDLED =
  /^@opentelemetry\/(api-logs|context-async-hooks|core|instrumentation|instrumentation-host-metrics|instrumentation-http|instrumentation-runtime-node|instrumentation-undici|otlp-transformer|resources|sdk-logs|sdk-metrics|sdk-trace|semantic-conventions)(\/.*)?$/;

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  platform: 'node',
  target: 'node22',
  // Declarations keep importing the packages' own types (they stay listed as dependencies for that).
  deps: { alwaysBundle: [BUNDLED], neverBundle: ['systeminformation'], dts: { alwaysBundle: [] } },
});
