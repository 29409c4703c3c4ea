import { JsonDecimal, stringifyExact } from '../contract/exact-json.js';
import type {
  CustomerMonthlyUsageRecord,
  CustomerUsageSummary,
  MeterUsageRecord,
  PartnerUsageSummary,
  ResourceUsageRecord,
  SpendingBudget,
  SubscriptionMonthlyUsageRecord,
  SubscriptionUsageSummary,
} from '../contract/resources.js';
import { ApiClient, type ClientOptions, type RequestOptions } from './client.js';
import { CollectionRequest, ResourceRequest, withIds, type ResponseIds } from './pagination.js';

/** A path segment, percent-encoded; `.` and `..` are refused (they would change the path). */
function segment(value: string): string {
  if (value === '' || value === '.' || value === '..') throw new TypeError(`not a usable id: ${JSON.stringify(value)}`);
  return encodeURIComponent(value);
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

  constructor(options: ClientOptions) {
    this.client = new ApiClient(options);
    this.usageSummary = new ResourceRequest(this.client, '/usagesummary');
    this.customers = new Customers(this.client);
  }
}

export class Customers {
  /** GET /v1/customers/usagerecords. */
  readonly usageRecords: CollectionRequest<CustomerMonthlyUsageRecord>;

  constructor(private readonly client: ApiClient) {
    this.usageRecords = new CollectionRequest(client, '/customers/usagerecords');
  }

  byId(customerTenantId: string): Customer {
    return new Customer(this.client, `/customers/${segment(customerTenantId)}`);
  }
}

export class Customer {
  /** GET /v1/customers/{c}/usagesummary. */
  readonly usageSummary: ResourceRequest<CustomerUsageSummary>;
  /** GET and PATCH /v1/customers/{c}/usagebudget. */
  readonly usageBudget: UsageBudget;
  readonly subscriptions: CustomerSubscriptions;

  constructor(client: ApiClient, path: string) {
    this.usageSummary = new ResourceRequest(client, `${path}/usagesummary`);
    this.usageBudget = new UsageBudget(client, `${path}/usagebudget`);
    this.subscriptions = new CustomerSubscriptions(client, `${path}/subscriptions`);
  }
}

export class UsageBudget extends ResourceRequest<SpendingBudget> {
  /** Sets the monthly budget (a decimal string keeps every digit); null removes it. */
  async patch(amount: string | number | null, options: RequestOptions = {}): Promise<SpendingBudget & ResponseIds> {
    const body = stringifyExact({
      ...(amount === null ? { amount: null } : { amount: new JsonDecimal(String(amount)) }),
      attributes: { objectType: 'SpendingBudget' },
    });
    const response = await this.client.request('PATCH', this.path, { ...options, body });
    return withIds(response.body as SpendingBudget, response);
  }
}

export class CustomerSubscriptions {
  /** GET /v1/customers/{c}/subscriptions/usagerecords. */
  readonly usageRecords: CollectionRequest<SubscriptionMonthlyUsageRecord>;

  constructor(
    private readonly client: ApiClient,
    private readonly path: string,
  ) {
    this.usageRecords = new CollectionRequest(client, `${path}/usagerecords`);
  }

  /** For an Azure plan, the plan id. */
  byId(subscriptionId: string): Subscription {
    return new Subscription(this.client, `${this.path}/${segment(subscriptionId)}`);
  }
}

export class Subscription {
  /** GET /v1/customers/{c}/subscriptions/{s}/usagesummary. */
  readonly usageSummary: ResourceRequest<SubscriptionUsageSummary>;
  readonly usageRecords: {
    /** GET …/meterusagerecords. */
    readonly meters: CollectionRequest<MeterUsageRecord>;
    /** GET …/resourceusagerecords (Azure plan). */
    readonly resources: CollectionRequest<ResourceUsageRecord>;
  };

  constructor(client: ApiClient, path: string) {
    this.usageSummary = new ResourceRequest(client, `${path}/usagesummary`);
    this.usageRecords = {
      meters: new CollectionRequest(client, `${path}/meterusagerecords`),
      resources: new CollectionRequest(client, `${path}/resourceusagerecords`),
    };
  }
}
