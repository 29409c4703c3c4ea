import type { FastifyInstance } from 'fastify';
import { apiErrors } from '../../contract/api-errors.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;
/** A Host (or an Origin's host) naming this machine: localhost, 127.x.x.x or [::1], with any port. */
const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?$/i;

/**
 * Whether the request comes from a page of this very server: its Host names this machine (a
 * rebinding name pointing at 127.0.0.1 does not), and an Origin, when sent, is that same host.
 */
function sameMachine(host: string | undefined, origin: string | undefined): boolean {
  if (host === undefined || !LOOPBACK_HOST.test(host)) return false;
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * POST /v1/partnerusage/dev-token — registered only in embedded mode (local tokens) on a loopback
 * address (serve decides): a token for the database's partner, for the dashboard's "Use
 * development token" button. Refused to any caller not on this machine.
 */
export function devTokenRoute(app: FastifyInstance, issue: () => Promise<string>): void {
  app.post('/v1/partnerusage/dev-token', async (req, reply) => {
    if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) throw apiErrors.routeNotFound();
    if (!sameMachine(req.headers.host, req.headers.origin)) throw apiErrors.otherOrigin();
    const token = await issue();
    return reply.header('Cache-Control', 'no-store').type('application/json; charset=utf-8').send({ token });
  });
}
