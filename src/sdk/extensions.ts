import type { Static } from '@sinclair/typebox';
import { expandPath } from '../contract/openapi.js';
import { operations } from '../contract/operations.js';
import type {
  AlertEvent,
  CustomerDay,
  CustomerView,
  Delivery,
  MarginRow,
  Me,
  PriceRule,
  AccessGrant,
  AccessGrantCreate,
  PriceRuleCreate,
  WebhookEndpoint,
} from '../contract/resources.js';
import type { EXPORT_FILES } from '../contract/parameters.js';
import type { MarginGroup, MarginSort, ViewFilter, ViewSort } from '../contract/view-options.js';
import { numberOf, type ApiClient, type RequestOptions } from './client.js';

/** Our extension's lists: items and their count. */
export interface ItemList<T> {
  readonly totalCount: number;
  readonly items: T[];
}

export interface CustomerViewQuery extends RequestOptions {
  readonly period?: string | undefined;
  readonly sort?: ViewSort | undefined;
  readonly order?: 'asc' | 'desc' | undefined;
  readonly filter?: readonly ViewFilter[] | undefined;
  readonly plan?: 'azure-plan' | 'legacy' | undefined;
  readonly currency?: string | undefined;
  readonly search?: string | undefined;
  readonly offset?: number | undefined;
  readonly size?: number | undefined;
}

export interface MarginsQuery extends RequestOptions {
  readonly period?: string | undefined;
  readonly groupBy?: MarginGroup | undefined;
  /** One customer's lines only (its subscriptions, its meter categories). */
  readonly customer?: string | undefined;
  /** One billing currency's rows. */
  readonly currency?: string | undefined;
  readonly sort?: MarginSort | undefined;
  readonly order?: 'asc' | 'desc' | undefined;
  readonly offset?: number | undefined;
  readonly size?: number | undefined;
}

const queryOf = (values: Record<string, string | number | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') q.set(k, String(v));
  return q.size > 0 ? `?${q.toString()}` : '';
};

/**
 * partner-usage's own routes under /v1/partnerusage/ (not Partner Center's): the customers view
 * and per-day spend the dashboard reads, alerts, webhook endpoints and deliveries. Money arrives
 * as JsonDecimal (every digit), as everywhere in the SDK.
 */
export class PartnerUsageExtensions {
  constructor(private readonly client: ApiClient) {}

  async #get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.client.request('GET', path, options)).body as T;
  }

  /** GET /v1/partnerusage/customers: a sorted, filtered page with the header's counts. */
  async customerView(q: CustomerViewQuery = {}): Promise<Static<typeof CustomerView>> {
    const { period, sort, order, filter, plan, currency, search, offset, size, ...options } = q;
    const query = queryOf({ period, sort, order, filter: filter?.join(','), plan, currency, search, offset, size });
    const view = await this.#get<Static<typeof CustomerView>>(`${operations.getCustomerView.path}${query}`, options);
    // Counts arrive as exact numbers like every figure; they are plain integers.
    const counts = Object.fromEntries(Object.entries(view.counts).map(([k, v]) => [k, numberOf(v)]));
    return {
      ...view,
      totalCount: numberOf(view.totalCount),
      offset: numberOf(view.offset),
      counts: counts as Static<typeof CustomerView>['counts'],
      items: view.items.map((r) => ({ ...r, anomalies: numberOf(r.anomalies) })),
    };
  }

  /**
   * GET /v1/partnerusage/exports/{file}: the period's lines (of one customer with `customer`) as
   * FOCUS 1.2 (focus.csv, focus.parquet) or the reconciliation file (lineitems.csv,
   * lineitems.parquet). The Response is handed back unread: stream its body, or take a Blob.
   */
  async exportFile(
    file: (typeof EXPORT_FILES)[number],
    q: { period?: string | undefined; customer?: string | undefined } & RequestOptions = {},
  ): Promise<Response> {
    const { period, customer, ...options } = q;
    const path = `${expandPath(operations.getExport.path, { file })}${queryOf({ period, customer })}`;
    const r = await this.client.request('GET', path, {
      ...options,
      file: true,
      headers: { Accept: '*/*', ...options.headers },
    });
    return r.body as Response;
  }

  /** GET /v1/partnerusage/customers/{c}/days: spend per day, the last `days` (default 30) of the period. */
  async customerDays(
    customerTenantId: string,
    q: { period?: string | undefined; days?: number | undefined } & RequestOptions = {},
  ): Promise<ItemList<Static<typeof CustomerDay>>> {
    const { period, days, ...options } = q;
    const path = expandPath(operations.getCustomerDays.path, { 'customer-tenant-id': customerTenantId });
    return this.#list(`${path}${queryOf({ period, days })}`, options);
  }

  async #list<T>(path: string, options: RequestOptions): Promise<ItemList<T>> {
    const list = await this.#get<ItemList<T>>(path, options);
    return { ...list, totalCount: numberOf(list.totalCount) };
  }

  /** GET /v1/partnerusage/me: who the token is, its role and what it may do. */
  async me(options: RequestOptions = {}): Promise<Static<typeof Me>> {
    return this.#get<Static<typeof Me>>(operations.getMe.path, options);
  }

  /** GET /v1/partnerusage/pricerules: the partner's price rules. */
  priceRules(options: RequestOptions = {}): Promise<ItemList<Static<typeof PriceRule>>> {
    return this.#list(operations.listPriceRules.path, options);
  }

  /** POST /v1/partnerusage/pricerules: sets a rule (one of the same scope, narrowing and first period is replaced). */
  async createPriceRule(
    rule: Static<typeof PriceRuleCreate>,
    options: RequestOptions = {},
  ): Promise<Static<typeof PriceRule>> {
    return (
      await this.client.request('POST', operations.createPriceRule.path, { ...options, body: JSON.stringify(rule) })
    ).body as Static<typeof PriceRule>;
  }

  /** DELETE /v1/partnerusage/pricerules/{id}: removes a rule; answers it as it was. */
  async deletePriceRule(id: string, options: RequestOptions = {}): Promise<Static<typeof PriceRule>> {
    const path = expandPath(operations.deletePriceRule.path, { 'rule-id': id });
    return (await this.client.request('DELETE', path, options)).body as Static<typeof PriceRule>;
  }

  /** GET /v1/partnerusage/access: the partner's access grants (admin only). */
  accessGrants(options: RequestOptions = {}): Promise<ItemList<Static<typeof AccessGrant>>> {
    return this.#list(operations.listAccessGrants.path, options);
  }

  /** POST /v1/partnerusage/access: gives a tenant a view of one customer or one reseller's lines (admin only). */
  async createAccessGrant(
    grant: Static<typeof AccessGrantCreate>,
    options: RequestOptions = {},
  ): Promise<Static<typeof AccessGrant>> {
    return (
      await this.client.request('POST', operations.createAccessGrant.path, { ...options, body: JSON.stringify(grant) })
    ).body as Static<typeof AccessGrant>;
  }

  /** DELETE /v1/partnerusage/access/{tenant-id}: removes a tenant's grant; answers it as it was. */
  async deleteAccessGrant(tenantId: string, options: RequestOptions = {}): Promise<Static<typeof AccessGrant>> {
    const path = expandPath(operations.deleteAccessGrant.path, { 'tenant-id': tenantId });
    return (await this.client.request('DELETE', path, options)).body as Static<typeof AccessGrant>;
  }

  /** GET /v1/partnerusage/margins: cost, price, margin and partner-earned credit per group (exact), a sorted page. */
  margins(q: MarginsQuery = {}): Promise<ItemList<Static<typeof MarginRow>>> {
    const { period, groupBy, customer, currency, sort, order, offset, size, ...options } = q;
    return this.#list(
      `${operations.getMargins.path}${queryOf({ period, groupBy, customer, currency, sort, order, offset, size })}`,
      options,
    );
  }

  alerts(options: RequestOptions = {}): Promise<ItemList<Static<typeof AlertEvent>>> {
    return this.#list(operations.listAlerts.path, options);
  }

  deliveries(options: RequestOptions = {}): Promise<ItemList<Static<typeof Delivery>>> {
    return this.#list(operations.listDeliveries.path, options);
  }

  webhooks(options: RequestOptions = {}): Promise<ItemList<Static<typeof WebhookEndpoint>>> {
    return this.#list(operations.listWebhookEndpoints.path, options);
  }

  /** POST /v1/partnerusage/webhooks: registers an endpoint; the answer carries its whsec_ secret, shown once. */
  async addWebhook(
    url: string,
    events: readonly string[] = [],
    options: RequestOptions = {},
  ): Promise<Static<typeof WebhookEndpoint>> {
    const body = JSON.stringify(events.length > 0 ? { url, events } : { url });
    const response = await this.client.request('POST', operations.createWebhookEndpoint.path, { ...options, body });
    return response.body as Static<typeof WebhookEndpoint>;
  }

  /** DELETE /v1/partnerusage/webhooks/{id}. */
  async removeWebhook(endpointId: string, options: RequestOptions = {}): Promise<Static<typeof WebhookEndpoint>> {
    const path = expandPath(operations.deleteWebhookEndpoint.path, { 'webhook-id': endpointId });
    return (await this.client.request('DELETE', path, options)).body as Static<typeof WebhookEndpoint>;
  }

  async replay(deliveryId: string, options: RequestOptions = {}): Promise<Static<typeof Delivery>> {
    const path = expandPath(operations.replayDelivery.path, { 'delivery-id': deliveryId });
    return (await this.client.request('POST', path, options)).body as Static<typeof Delivery>;
  }
}
