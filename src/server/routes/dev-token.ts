import type { FastifyInstance } from 'fastify';
import { apiErrors } from '../../contract/api-errors.js';
import { fromThisMachine, sameMachine } from '../request-origin.js';

/**
 * POST /v1/partnerusage/dev-token — registered only in embedded mode (local tokens) on a loopback
 * address (serve decides): a token for the database's partner, for the dashboard's "Use
 * development token" button. Refused to any caller not on this machine.
 */
export function devTokenRoute(app: FastifyInstance, issue: () => Promise<string>): void {
  app.post('/v1/partnerusage/dev-token', async (req, reply) => {
    if (!fromThisMachine(req)) throw apiErrors.routeNotFound();
    if (!sameMachine(req.headers.host, req.headers.origin)) throw apiErrors.otherOrigin();
    const token = await issue();
    return reply.header('Cache-Control', 'no-store').type('application/json; charset=utf-8').send({ token });
  });
}
