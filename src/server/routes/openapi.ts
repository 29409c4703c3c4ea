import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../../contract/openapi.js';

/** GET /openapi.json — no auth: the generated OpenAPI 3.1 document of the served routes. */
export function openApiRoute(app: FastifyInstance, version: string): void {
  const body = JSON.stringify(openApiDocument(version));
  app.get('/openapi.json', async (_req, reply) =>
    reply.type('application/json; charset=utf-8').header('Cache-Control', 'no-cache').send(body),
  );
}
