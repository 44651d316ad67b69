/**
 * Every adapter's reliability fixture app (child process, built packages; same routes: /items/:id,
 * /hostile-log/:name, /secret, /forward), for the core's cross-adapter tests. Adding an adapter is one entry
 * here and one fixture app with the same routes.
 */
import { fileURLToPath } from 'node:url';

const app = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export const ADAPTER_APPS = [
  { name: 'express', app: app('../../express/test/fixtures/reliability-app.mjs') },
  { name: 'fastify', app: app('../../fastify/test/fixtures/reliability-app.mjs') },
  { name: 'nestjs', app: app('../../nestjs/test/fixtures/reliability-app.mjs') },
] as const;
