// The Fastify app every Fastify contender serves (the workload from workload.cjs); `install` registers the
// contender's own plugin before the routes.
'use strict';
const { workload, HELLO, orderPayload, databaseRoundTrip, declareRoutes } = require('../workload.cjs');

function filler(_request, reply) {
  reply.send('filler');
}
function hello(_request, reply) {
  reply.send(HELLO);
}
async function order(request) {
  await databaseRoundTrip();
  return orderPayload(request.params.id);
}

async function buildFastifyApp(Fastify, install) {
  const app = Fastify({ logger: false });
  if (install) await install(app);
  const hot = declareRoutes((path) => app.get(path, filler));
  app.get(hot, workload === 'realistic' ? order : hello);
  await app.ready();
  return app;
}

module.exports = { buildFastifyApp };
