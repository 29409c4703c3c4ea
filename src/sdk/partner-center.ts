import { JsonDecimal, stringifyExact } from '../contract/exact-json.js';
import { expandPath } from '../contract/openapi.js';
import { operations, type OperationId } from '../contract/operations.js';
import type {
  AzureResourceMonthlyUsageRecord,
  AzureUtilizationRecord,
  CustomerMonthlyUsageRecord,
  CustomerUsageSummary,
  MeterUsageRecord,
  PartnerUsageSummary,
  ResourceUsageRecord,
  SubscriptionDailyUsageRecord,
  SubscriptionMonthlyUsageRecord,
  SubscriptionUsageSummary,
  UsageBudget as UsageBudgetResource,
} from '../contract/resources.js';
import { ApiClient, type ClientOptions, type RequestOptions } from './client.js';
import { PartnerUsageExtensions } from './extensions.js';
import { CollectionRequest, ResourceRequest, withIds, type Page, type ResponseIds } from './pagination.js';

type Ids = { readonly c?: string; readonly s?: string };

/** An operation's path from the table (src/contract/operations.ts), its ids filled in and encoded. */
function pathOf(id: OperationId, ids: Ids = {}): string {
  return expandPath(operations[id].path, {
    ...(ids.c === undefined ? {} : { 'customer-tenant-id': ids.c }),
    ...(ids.s === undefined ? {} : { 'subscription-id': ids.s }),
  });
}

/**
 * A Partner Center client with the .NET SDK's fluent paths, e.g.
 * `pc.customers.byId(c).subscriptions.byId(s).usageRecords.meters.get()`.
 * Works against Partner Center itself and against partner-usage.
 */
export class PartnerCenter {
  readonly client: ApiClient;
  /** GET /v1/usagesummary. */
  readonly usageSummary: ResourceRequest<PartnerUsageSummary>;
  readonly customers: Customers;
  /** partner-usage's own routes (/v1/partnerusage/…): not served by Partner Center. */
  readonly partnerUsage: PartnerUsageExtensions;

  constructor(options: ClientOptions) {
    this.client = new ApiClient(options);
    this.usageSummary = new ResourceRequest(this.client, pathOf('getPartnerUsageSummary'));
    this.customers = new Customers(this.client);
    this.partnerUsage = new PartnerUsageExtensions(this.client);
  }
}

export class Customers {
  /** GET /v1/customers/usagerecords. */
  readonly usageRecords: CollectionRequest<CustomerMonthlyUsageRecord>;

  constructor(private readonly client: ApiClient) {
    this.usageRecords = new CollectionRequest(client, pathOf('getCustomerUsageRecords'));
  }

  byId(customerTenantId: string): Customer {
    return new Customer(this.client, customerTenantId);
  }
}

export class Customer {
  /** GET /v1/customers/{c}/usagesummary (with our forecast in `partnerUsage`). */
  readonly usageSummary: ResourceRequest<CustomerUsageSummary>;
  /** GET and PATCH /v1/customers/{c}/usagebudget. */
  readonly usageBudget: UsageBudget;
  readonly subscriptions: CustomerSubscriptions;

  constructor(client: ApiClient, c: string) {
    this.usageSummary = new ResourceRequest(client, pathOf('getCustomerUsageSummary', { c }));
    this.usageBudget = new UsageBudget(client, pathOf('getCustomerUsageSpendingBudget', { c }));
    this.subscriptions = new CustomerSubscriptions(client, c);
  }
}

export class UsageBudget extends ResourceRequest<UsageBudgetResource> {
  /**
   * Sets the monthly budget; null removes it. A decimal string keeps every digit; `{ amount }`
   * is accepted too, as the .NET SDK's `Patch(new SpendingBudget { Amount = 100 })`.
   */
  async patch(
    budget: string | number | null | { readonly amount: string | number | null },
    options: RequestOptions = {},
  ): Promise<UsageBudgetResource & ResponseIds> {
    const amount = budget !== null && typeof budget === 'object' ? budget.amount : budget;
    const body = stringifyExact({
      amount: amount === null ? null : new JsonDecimal(String(amount)),
      attributes: { objectType: 'SpendingBudget' },
    });
    const response = await this.client.request('PATCH', this.path, { ...options, body });
    return withIds(response.body as UsageBudgetResource, response);
  }
}

export class CustomerSubscriptions {
  /** GET /v1/customers/{c}/subscriptions/usagerecords. */
  readonly usageRecords: CollectionRequest<SubscriptionMonthlyUsageRecord>;

  constructor(
    private readonly client: ApiClient,
    private readonly c: string,
  ) {
    this.usageRecords = new CollectionRequest(client, pathOf('getSubscriptionUsageRecords', { c }));
  }

  /** For an Azure plan, the plan id. */
  byId(subscriptionId: string): Subscription {
    return new Subscription(this.client, this.c, subscriptionId);
  }
}

export class Subscription {
  /** GET /v1/customers/{c}/subscriptions/{s}/usagesummary. */
  readonly usageSummary: ResourceRequest<SubscriptionUsageSummary>;
  readonly usageRecords: {
    /** GET …/meterusagerecords (.NET: ByMeter). */
    readonly meters: CollectionRequest<MeterUsageRecord>;
    readonly byMeter: CollectionRequest<MeterUsageRecord>;
    /** GET …/resourceusagerecords, Azure plans (.NET: ByResource). */
    readonly resources: CollectionRequest<ResourceUsageRecord>;
    readonly byResource: CollectionRequest<ResourceUsageRecord>;
    /** GET …/usagerecords/resources, legacy (0145P) subscriptions. */
    readonly legacyResources: CollectionRequest<AzureResourceMonthlyUsageRecord>;
    /** GET …/usagerecords/daily. */
    readonly daily: CollectionRequest<SubscriptionDailyUsageRecord>;
  };
  readonly utilizations: { readonly azure: AzureUtilization };

  constructor(client: ApiClient, c: string, s: string) {
    this.usageSummary = new ResourceRequest(client, pathOf('getSubscriptionUsageSummary', { c, s }));
    const meters = new CollectionRequest<MeterUsageRecord>(
      client,
      pathOf('getSubscriptionUsageRecordsByMeter', { c, s }),
    );
    const resources = new CollectionRequest<ResourceUsageRecord>(
      client,
      pathOf('getSubscriptionUsageRecordsByResource', { c, s }),
    );
    this.usageRecords = {
      meters,
      byMeter: meters,
      resources,
      byResource: resources,
      legacyResources: new CollectionRequest(client, pathOf('getSubscriptionResourceUsageRecords', { c, s })),
      daily: new CollectionRequest(client, pathOf('getSubscriptionDailyUsageRecords', { c, s })),
    };
    this.utilizations = { azure: new AzureUtilization(client, pathOf('getAzureUtilizationRecords', { c, s })) };
  }
}

export interface UtilizationQuery extends RequestOptions {
  readonly startTime: Date | string;
  readonly endTime: Date | string;
  readonly granularity?: 'daily' | 'hourly';
  readonly showDetails?: boolean;
  /** Records a page (default and max 1000). */
  readonly size?: number;
}

const isoUtc = (t: Date | string) => (typeof t === 'string' ? t : t.toISOString().replace(/\.\d{3}Z$/, 'Z'));

/**
 * GET …/utilizations/azure: `for await (const page of azure.query({ startTime, endTime }))`
 * follows links.next with its token; a window not complete yet throws DataNotReadyError
 * (after the client's retries of Partner Center's 204 + Retry-After).
 */
export class AzureUtilization {
  readonly #pages: CollectionRequest<AzureUtilizationRecord>;

  constructor(
    private readonly client: ApiClient,
    private readonly path: string,
  ) {
    this.#pages = new CollectionRequest(client, path);
  }

  async *query(q: UtilizationQuery): AsyncGenerator<Page<AzureUtilizationRecord>> {
    const params = new URLSearchParams({ start_time: isoUtc(q.startTime), end_time: isoUtc(q.endTime) });
    if (q.granularity) params.set('granularity', q.granularity);
    if (q.showDetails !== undefined) params.set('show_details', String(q.showDetails));
    if (q.size !== undefined) params.set('size', String(q.size));
    let page = await this.#pages.at(`${this.path}?${params.toString()}`, q);
    yield page;
    while (page.links.next) {
      page = await this.#pages.next(page.links.next, q);
      yield page;
    }
  }

  /** Every record of the window, page after page. */
  async *list(q: UtilizationQuery): AsyncGenerator<AzureUtilizationRecord> {
    for await (const page of this.query(q)) yield* page.items;
  }
}
