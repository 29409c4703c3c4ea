import type { FastifyRequest } from 'fastify';
import { apiErrors } from '../../contract/api-errors.js';
import type { Caller, TokenVerifier } from './token-verifier.js';

/** The caller of an App+User route: a verified delegated token (401 without one, 403 for an app token). */
export async function authorizeAppUser(verifier: TokenVerifier, req: FastifyRequest): Promise<Caller> {
  const caller = await verifier.verify(req.headers.authorization);
  if (caller.appOnly) throw apiErrors.appOnlyNotAllowed();
  return caller;
}
