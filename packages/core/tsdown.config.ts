import { defineConfig } from 'tsdown';
import { packageBuild } from '../../tsdown.base.ts';

/**
 * The OpenTelemetry SDK packages the pipeline always loads are bundled into dist: published split into
 * ~300 small ES modules, they cost more to resolve and read at start-up than to run (the script demo's cold
 * start goal is +150 ms). `@opentelemetry/api` stays external (a peer: the application and its libraries
 * must share it). What the pipeline imports lazily — the OTLP/Zipkin exporters, the Prometheus serializer,
 * runtime and host metrics — is bundled too but into chunks of its own, still imported only by a config that
 * uses it, and sharing the bundled SDK instead of loading a second copy. `@grpc/grpc-js` (gRPC exporters) and
 * `systeminformation` (host metrics) stay external, as direct dependencies. pino is bundled for the same
 * reason (two dozen small CommonJS files); the logger uses no pino transport (worker threads resolve files
 * next to pino's own sources, which a bundle moves), only its synchronous destination. The bundled packages keep their
 * globals under `Symbol.for` keys, so a copy elsewhere in the application still interoperates.
 */
const BUNDLED =
  /^@opentelemetry\/(api-logs|context-async-hooks|core|exporter-.*|instrumentation|instrumentation-host-metrics|instrumentation-http|instrumentation-runtime-node|instrumentation-undici|otlp-.*|resources|sdk-logs|sdk-metrics|sdk-trace|semantic-conventions)(\/.*)?$/;

export default defineConfig(
  packageBuild(['src/index.ts', 'src/testing.ts'], {
    // Declarations keep importing the packages' own types (they stay listed as dependencies for that).
    deps: {
      alwaysBundle: [BUNDLED, 'pino'],
      neverBundle: ['systeminformation', '@grpc/grpc-js'],
      dts: { alwaysBundle: [] },
    },
  }),
);
