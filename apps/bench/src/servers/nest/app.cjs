// The Nest app (platform-express) every Nest contender serves, written without TypeScript decorators syntax so
// the same file serves Nest 12 (ESM) and Nest 11 (CJS): the contender passes its own @nestjs/common and
// @nestjs/core, plus the modules to import (ours: TelemetryModule.forRoot()).
'use strict';
const { workload, HELLO, orderPayload, databaseRoundTrip } = require('../workload.cjs');

async function buildNestApp({ common, core, imports = [] }) {
  class BenchController {
    hello() {
      return HELLO;
    }
    async order(id) {
      await databaseRoundTrip();
      return orderPayload(id);
    }
  }
  const proto = BenchController.prototype;
  if (workload === 'realistic') {
    common.Param('id')(proto, 'order', 0);
    Reflect.decorate([common.Get('orders/:id')], proto, 'order', Object.getOwnPropertyDescriptor(proto, 'order'));
  } else {
    Reflect.decorate([common.Get()], proto, 'hello', Object.getOwnPropertyDescriptor(proto, 'hello'));
  }
  Reflect.decorate([common.Controller()], BenchController);

  class AppModule {}
  Reflect.decorate([common.Module({ imports, controllers: [BenchController] })], AppModule);

  const app = await core.NestFactory.create(AppModule, { logger: false });
  await app.init();
  return app;
}

module.exports = { buildNestApp };
