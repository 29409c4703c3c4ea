import { grantJson } from '../../domain/access-grant.js';
import type { OperationHandler } from '../operation-routes.js';
import { actorOf, changed } from './changes.js';

// Our extension routes for access grants (issue #30); admin only (contract/operations.ts).

export const listAccessGrants: OperationHandler<'listAccessGrants'> = async ({ caller }, deps) => {
  // Grants change only through the store, which moves the data version: cached as any read.
  const items = (await deps.store.access.list(caller.partnerTenantId)).map(grantJson);
  return { resource: { totalCount: items.length, items } };
};

export const createAccessGrant: OperationHandler<'createAccessGrant'> = ({ caller, body }, deps) =>
  changed(deps.store.access.add(caller.partnerTenantId, body, actorOf(caller)).then(grantJson), true);

export const deleteAccessGrant: OperationHandler<'deleteAccessGrant'> = ({ caller, values }, deps) =>
  changed(deps.store.access.remove(caller.partnerTenantId, values['tenant-id'], actorOf(caller)).then(grantJson));
