import type { FastifyRequest } from 'fastify';
import { apiErrors } from '../contract/api-errors.js';
import { JsonDecimal, parseExact } from '../contract/exact-json.js';
import type { OperationId } from '../contract/operations.js';
import { ALERT_TYPES, type AlertType } from '../domain/alert-rules.js';
import { readBudgetAmount } from '../domain/budget.js';
import type { PriceRule } from '../domain/price-rules.js';
import type { GrantRole, GrantScope } from '../domain/access-grant.js';
import { currentBillingPeriod } from '../domain/usage-model.js';

/** A budget body is a few dozen bytes; anything far larger is not one. */
export const BUDGET_BODY_BYTES = 1024;

type JsonObject = { readonly [key: string]: unknown };
const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isAlertType = (value: unknown): value is AlertType => ALERT_TYPES.some((t) => t === value);

/** The body as a JSON object (`exact`: numbers as JsonDecimal), or a 400 saying what it should be. */
function jsonObject(req: FastifyRequest, example: string, exact: boolean, maxBytes?: number): JsonObject {
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    throw apiErrors.invalidBody(`The body must be application/json: ${example}.`);
  }
  const text = req.body;
  if (typeof text !== 'string' || (maxBytes !== undefined && Buffer.byteLength(text) > maxBytes)) {
    throw apiErrors.invalidBody(
      `The body must be a JSON object${maxBytes === undefined ? '' : ` of at most ${maxBytes} bytes`}.`,
    );
  }
  let body: unknown;
  try {
    body = exact ? parseExact(text) : JSON.parse(text);
  } catch {
    throw apiErrors.invalidBody('The body is not valid JSON.');
  }
  if (!isObject(body)) throw apiErrors.invalidBody(`The body must be a JSON object, e.g. ${example}.`);
  return body;
}

/** The property of `body` named `name` in any case (the .NET SDK writes PascalCase). */
function property(body: JsonObject, name: string): { found: boolean; value: unknown } {
  const keys = Object.keys(body).filter((k) => k.toLowerCase() === name);
  if (keys.length > 1) throw apiErrors.invalidBody(`The body names ${name} more than once (${keys.join(', ')}).`);
  return keys.length === 0 ? { found: false, value: undefined } : { found: true, value: body[keys[0]!] };
}

/** PATCH usagebudget: the new amount (null: no budget), by the one budget rule (domain/budget.ts). */
function budgetBody(req: FastifyRequest): { readonly amount: string | null } {
  const body = jsonObject(req, '{"amount": 100} (null removes the budget)', true, BUDGET_BODY_BYTES);
  const attributes = property(body, 'attributes').value;
  if (isObject(attributes)) {
    const objectType = property(attributes, 'objecttype').value;
    if (objectType !== undefined && objectType !== 'SpendingBudget') {
      throw apiErrors.invalidBody(`The body's objectType must be SpendingBudget, not ${JSON.stringify(objectType)}.`);
    }
  }
  const amount = property(body, 'amount');
  if (!amount.found) throw apiErrors.invalidBody('The body has no amount (null removes the budget).');
  if (amount.value === null) return { amount: null };
  const given =
    amount.value instanceof JsonDecimal
      ? amount.value.text
      : typeof amount.value === 'number'
        ? String(amount.value)
        : undefined;
  if (given === undefined) throw apiErrors.invalidBody(`The amount ${JSON.stringify(amount.value)} is not a number.`);
  const read = readBudgetAmount(given);
  if ('problem' in read) throw apiErrors.invalidBody(`The amount ${given} ${read.problem}.`);
  return { amount: read.amount };
}

/** POST webhooks: the target URL (checked by the store) and the event types it wants (undefined: all). */
function webhookBody(req: FastifyRequest): { readonly url: string; readonly events: readonly AlertType[] | undefined } {
  const { url, events } = jsonObject(req, '{"url": "https://…", "events": [...]}', false);
  if (typeof url !== 'string') throw apiErrors.invalidBody('The body has no url.');
  if (events === undefined) return { url, events: undefined };
  if (!Array.isArray(events) || events.length === 0 || !events.every(isAlertType)) {
    throw apiErrors.invalidBody(`events is a non-empty list of ${ALERT_TYPES.join(', ')} (leave it out for all).`);
  }
  return { url, events };
}

/** A string property, or null when absent or null; a 400 when it is something else. */
function optionalText(body: JsonObject, name: string): string | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw apiErrors.invalidBody(`${name} must be text.`);
  return value;
}

/** POST pricerules: a rule as given (checked by the store: domain/price-rules.ts); `from` defaults to the current period. */
function priceRuleBody(req: FastifyRequest): Omit<PriceRule, 'id'> {
  const body = jsonObject(req, '{"basis": "cost", "adjust": "12.5"}', true);
  const { basis, adjust } = body;
  if (basis !== 'cost' && basis !== 'retail') throw apiErrors.invalidBody('basis must be cost or retail.');
  const percent =
    adjust === undefined || adjust === null
      ? '0'
      : adjust instanceof JsonDecimal
        ? adjust.text
        : typeof adjust === 'string'
          ? adjust
          : undefined;
  if (percent === undefined) throw apiErrors.invalidBody('adjust must be a number of percent, e.g. 12.5 or -5.');
  return {
    basis,
    adjust: percent,
    customer: optionalText(body, 'customer'),
    reseller: optionalText(body, 'reseller'),
    category: optionalText(body, 'category'),
    publisher: optionalText(body, 'publisher'),
    from: optionalText(body, 'from') ?? currentBillingPeriod(),
  };
}

/** POST access: a tenant and one scope (checked by the store: domain/access-grant.ts); the role defaults to viewer. */
function accessGrantBody(req: FastifyRequest): { tenantId: string; scope: GrantScope; id: string; role: GrantRole } {
  const body = jsonObject(req, '{"tenantId": "…", "customer": "…"}', true);
  const tenantId = optionalText(body, 'tenantId');
  if (tenantId === null) throw apiErrors.invalidBody('The body has no tenantId.');
  const customer = optionalText(body, 'customer');
  const reseller = optionalText(body, 'reseller');
  if ((customer === null) === (reseller === null)) throw apiErrors.invalidBody('Give one of customer and reseller.');
  const role = optionalText(body, 'role') ?? 'viewer';
  if (role !== 'viewer' && role !== 'analyst') throw apiErrors.invalidBody('role must be viewer or analyst.');
  return customer !== null
    ? { tenantId, scope: 'customer', id: customer, role }
    : { tenantId, scope: 'reseller', id: reseller!, role };
}

/**
 * The operations whose handler gets a parsed body (`request.body`, typed from the reader): read
 * and checked by the engine before the handler runs, a 400 with Partner Center's fault body when
 * it is wrong. (Line ingestion reads its own: a stream of line items in the ingest module's rules.)
 */
export const bodyReaders = {
  patchCustomerUsageSpendingBudget: budgetBody,
  createWebhookEndpoint: webhookBody,
  createPriceRule: priceRuleBody,
  createAccessGrant: accessGrantBody,
} satisfies { readonly [K in OperationId]?: (req: FastifyRequest) => unknown };

/** The parsed body operation K's handler gets: its reader's value, or undefined without one. */
export type BodyOf<K extends OperationId> = K extends keyof typeof bodyReaders
  ? ReturnType<(typeof bodyReaders)[K]>
  : undefined;
