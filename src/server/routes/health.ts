import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../server-deps.js';

/**
 * GET /healthz — no auth: the process is up and its database answers (else 503 with the reason,
 * through the error handler), so a load balancer routes around a node whose database is gone.
 */
export function healthRoute(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/healthz', async (_req, reply) => {
    await deps.store.ping();
    return reply.type('application/json; charset=utf-8').send('{"status":"ok"}');
  });
}
