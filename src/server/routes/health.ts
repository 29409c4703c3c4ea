import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../server-deps.js';

/** GET /healthz — no auth: the process is up and its database answers. */
export function healthRoute(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/healthz', async (_req, reply) => {
    deps.store.dataVersion();
    return reply.type('application/json; charset=utf-8').send('{"status":"ok"}');
  });
}
