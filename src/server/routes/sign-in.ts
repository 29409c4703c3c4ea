import type { FastifyInstance } from 'fastify';
import type { SignIn } from '../../contract/sign-in.js';

/**
 * GET /v1/partnerusage/sign-in — no auth: where the dashboard signs a user in (the provider's
 * endpoints, the client id, the scope), registered only when a provider is configured (issue #30).
 * Nothing secret: a public client with PKCE has no secret.
 */
export function signInRoute(app: FastifyInstance, signIn: SignIn): void {
  app.get('/v1/partnerusage/sign-in', async (_req, reply) =>
    reply.header('Cache-Control', 'no-cache').type('application/json; charset=utf-8').send(signIn),
  );
}
