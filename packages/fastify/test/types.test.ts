/**
 * Type tests: checked by `tsc` (`pnpm typecheck` compiles test/), and run by vitest as plain assertions.
 * `@ts-expect-error` lines fail the typecheck if the error they expect goes away.
 */
import { getTelemetry, type HttpRequestRecord, type TelemetryLogger } from '@autotelemetry/core';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyContextConfig,
  type FastifyInstance,
  type FastifyPluginCallback,
} from 'fastify';
import { afterAll, describe, expectTypeOf, it } from 'vitest';
import defaultExport, {
  type AutotelemetryLoggingOptions,
  type AutotelemetryPluginOptions,
  autotelemetry,
  autotelemetryLogger,
  autotelemetryLogging,
} from '../src/index.js';

// autotelemetryLogging() starts a pipeline (TEST environment under vitest): stop it.
afterAll(async () => {
  await getTelemetry()?.shutdown();
});

describe('types', () => {
  it('types the plugin, its options and its default export', () => {
    expectTypeOf(autotelemetry).toEqualTypeOf<FastifyPluginCallback<AutotelemetryPluginOptions>>();
    expectTypeOf(defaultExport).toEqualTypeOf(autotelemetry);
    expectTypeOf<AutotelemetryPluginOptions>().toHaveProperty('serviceName');
    expectTypeOf<AutotelemetryPluginOptions['metricsRoute']>().toEqualTypeOf<boolean | string | undefined>();

    const app = Fastify();
    app.register(autotelemetry);
    app.register(autotelemetry, { serviceName: 'shop.api', metricsRoute: true, accessLog: 'INFO' });
    // @ts-expect-error not an option of the plugin or of the core
    app.register(autotelemetry, { serviceNmae: 'typo.api' });
    // @ts-expect-error metricsRoute is a boolean or a path
    app.register(autotelemetry, { metricsRoute: 9090 });
  });

  it('adds request.telemetry and the telemetry route config flag', () => {
    const app = Fastify();
    app.get('/quiet', { config: { telemetry: false } }, async (request) => {
      expectTypeOf(request.telemetry).toEqualTypeOf<HttpRequestRecord | undefined>();
      return 'ok';
    });
    expectTypeOf<FastifyContextConfig['telemetry']>().toEqualTypeOf<boolean | undefined>();
    // @ts-expect-error the flag is a boolean
    app.get('/bad', { config: { telemetry: 'off' } }, async () => 'ok');
  });

  it('keeps Fastify’s default instance type with the logging one-liner', () => {
    expectTypeOf(autotelemetryLogger).returns.toEqualTypeOf<TelemetryLogger>();
    expectTypeOf<AutotelemetryLoggingOptions['loggerInstance']>().toEqualTypeOf<FastifyBaseLogger>();
    const app = Fastify({ ...autotelemetryLogging(), trustProxy: true });
    expectTypeOf(app).toMatchTypeOf<FastifyInstance>();
    app.register(autotelemetry);
    app.get('/', async (request) => {
      request.log.info({ id: 1 }, 'pino call shape');
      return 'ok';
    });
    // A TelemetryLogger-typed instance takes the plugin too.
    const typed = Fastify({ loggerInstance: autotelemetryLogger() });
    typed.register(autotelemetry);
  });
});
