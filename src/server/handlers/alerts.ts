import { NotFound } from '../../storage/partner-scope.js';
import type { OperationHandler } from '../operation-routes.js';
import { actorOf, changed } from './changes.js';

/** Our extension routes under /v1/partnerusage/: alerts, webhook endpoints, deliveries. */

// Cached until the alert tables change (the operations' `state`), though the sender writes them in the background.
const list = <T>(items: readonly T[]) => ({ resource: { totalCount: items.length, items } });

/** A partner the database holds no usage of has nothing to list (not a 404: the route exists for it). */
async function listOf<T>(work: Promise<readonly T[]>) {
  try {
    return list(await work);
  } catch (error) {
    if (error instanceof NotFound) return list([]);
    throw error;
  }
}

export const listAlerts: OperationHandler<'listAlerts'> = async ({ caller }, deps) =>
  listOf(deps.store.alerts.alerts(caller.partnerTenantId).then((rows) => rows.map((a) => a.event)));

export const listWebhookEndpoints: OperationHandler<'listWebhookEndpoints'> = ({ caller }, deps) =>
  listOf(deps.store.alerts.webhooks(caller.partnerTenantId));

export const createWebhookEndpoint: OperationHandler<'createWebhookEndpoint'> = async (request, deps) =>
  changed(
    deps.store.alerts.addWebhook(
      request.caller.partnerTenantId,
      request.body.url,
      request.body.events,
      actorOf(request.caller),
    ),
  );

export const deleteWebhookEndpoint: OperationHandler<'deleteWebhookEndpoint'> = (request, deps) =>
  changed(
    deps.store.alerts.removeWebhook(
      request.caller.partnerTenantId,
      request.values['webhook-id'],
      actorOf(request.caller),
    ),
  );

export const listDeliveries: OperationHandler<'listDeliveries'> = ({ caller }, deps) =>
  listOf(deps.store.alerts.deliveries(caller.partnerTenantId));

export const replayDelivery: OperationHandler<'replayDelivery'> = (request, deps) =>
  changed(
    deps.store.alerts.replay(request.caller.partnerTenantId, request.values['delivery-id'], actorOf(request.caller)),
  );
