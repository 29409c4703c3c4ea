import { apiErrors } from '../../contract/api-errors.js';
import { NotFound } from '../../storage/partner-scope.js';
import type { Caller } from '../auth/token-verifier.js';

/** Who made a change, for the audit log: the token's user (and a grantee's tenant), or `application`. */
export function actorOf(caller: Caller): string {
  const who = caller.user ?? 'application';
  return caller.grant ? `${who} (tenant ${caller.grant.tenantId})` : who;
}

/**
 * A change's answer (never served from the response cache), or the store's refusal as Partner
 * Center's fault body: what is not found is the route's 404, or (`named`) a 400 naming what the
 * body named that the partner does not have; what is wrong with it a 400.
 */
export async function changed(work: Promise<object>, named = false) {
  try {
    return { resource: await work, cache: false };
  } catch (error) {
    if (error instanceof NotFound) throw named ? apiErrors.invalidBody(`${error.message}.`) : apiErrors.routeNotFound();
    if (error instanceof RangeError) throw apiErrors.invalidBody(error.message);
    throw error;
  }
}
