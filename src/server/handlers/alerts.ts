import { apiErrors } from '../../contract/api-errors.js';
import { ALERT_TYPES, type AlertType } from '../../domain/alert-rules.js';
import { NotFound } from '../../storage/alert-store.js';
import type { OperationHandler, OperationRequest } from '../operation-routes.js';

/** Our extension routes under /v1/partnerusage/: alerts, webhook endpoints, deliveries. */

const actorOf = (r: OperationRequest) => r.caller.user ?? 'application';
const list = <T>(items: readonly T[]) => ({ totalCount: items.length, items });
// Written in the background by the delivery sender: never served from the response cache.
const fresh = (resource: object) => ({ resource, cache: false });

/** A change's answer: its row, or the alert store's refusal as Partner Center's fault body. */
async function changed(work: Promise<object>) {
  try {
    return fresh(await work);
  } catch (error) {
    if (error instanceof NotFound) throw apiErrors.routeNotFound();
    if (error instanceof RangeError) throw apiErrors.invalidBody(error.message);
    throw error;
  }
}

/** A partner the database holds no usage of has nothing to list (not a 404: the route exists for it). */
async function listOf<T>(work: Promise<readonly T[]>) {
  try {
    return fresh(list(await work));
  } catch (error) {
    if (error instanceof NotFound) return fresh(list([]));
    throw error;
  }
}

export const listAlerts: OperationHandler = async ({ caller }, deps) =>
  listOf(deps.store.alerts.alerts(caller.partnerTenantId).then((rows) => rows.map((a) => a.event)));

export const listWebhookEndpoints: OperationHandler = ({ caller }, deps) =>
  listOf(deps.store.alerts.webhooks(caller.partnerTenantId));

export const createWebhookEndpoint: OperationHandler = async (request, deps) => {
  const { req, caller } = request;
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    throw apiErrors.invalidBody('The body must be application/json: {"url": "https://…", "events": [...]}.');
  }
  let body: unknown;
  try {
    body = JSON.parse(String(req.body));
  } catch {
    throw apiErrors.invalidBody('The body is not valid JSON.');
  }
  const { url, events } = (body ?? {}) as { url?: unknown; events?: unknown };
  if (typeof url !== 'string') throw apiErrors.invalidBody('The body has no url.');
  if (
    events !== undefined &&
    !(Array.isArray(events) && events.length > 0 && events.every((e) => ALERT_TYPES.includes(e as AlertType)))
  ) {
    throw apiErrors.invalidBody(`events is a non-empty list of ${ALERT_TYPES.join(', ')} (leave it out for all).`);
  }
  return changed(
    deps.store.alerts.addWebhook(caller.partnerTenantId, url, events as AlertType[] | undefined, actorOf(request)),
  );
};

export const deleteWebhookEndpoint: OperationHandler = (request, deps) =>
  changed(
    deps.store.alerts.removeWebhook(
      request.caller.partnerTenantId,
      request.values['webhook-id'] as string,
      actorOf(request),
    ),
  );

export const listDeliveries: OperationHandler = ({ caller }, deps) =>
  listOf(deps.store.alerts.deliveries(caller.partnerTenantId));

export const replayDelivery: OperationHandler = (request, deps) =>
  changed(
    deps.store.alerts.replay(request.caller.partnerTenantId, request.values['delivery-id'] as string, actorOf(request)),
  );
