import type { FastifyInstance } from 'fastify';
import { apiErrors } from '../../contract/api-errors.js';

/** Answers 405 (not 404), with an Allow header, to the methods a GET-only route does not take. */
export function rejectOtherMethods(app: FastifyInstance, url: string): void {
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'],
    url,
    handler: (req) => {
      throw apiErrors.methodNotAllowed(req.method, 'GET, HEAD');
    },
  });
}
