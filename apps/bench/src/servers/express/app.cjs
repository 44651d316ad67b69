// The Express app every Express contender serves (the workload from workload.cjs); `install` adds the
// contender's own middleware before the routes.
'use strict';
const { workload, HELLO, orderPayload, databaseRoundTrip, declareRoutes } = require('../workload.cjs');

function filler(_req, res) {
  res.send('filler');
}
function hello(_req, res) {
  res.send(HELLO);
}
async function order(req, res) {
  await databaseRoundTrip();
  res.json(orderPayload(req.params.id));
}

function handlerOf() {
  if (workload === 'realistic') return order;
  if (workload !== 'database') return hello;
  const database = require('../database.cjs').openDatabase();
  return async function stock(req, res) {
    res.json(await database.lookup(Number(req.params.id)));
  };
}

function buildExpressApp(express, install) {
  const app = express();
  if (install) install(app);
  const hot = declareRoutes((path) => app.get(path, filler));
  app.get(hot, handlerOf());
  return app;
}

module.exports = { buildExpressApp };
