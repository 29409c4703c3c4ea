import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import type { Access, GrantedUse } from './access.js';
import type { apiErrors } from './api-errors.js';
import { ISO_4217_CODES } from './currency-codes.js';
import {
  customerTenantId,
  deliveryId,
  endTime,
  granularity,
  period,
  showDetails,
  size,
  startTime,
  subscriptionId,
  webhookId,
  ruleId,
  statementForm,
  marginGroup,
  marginOrder,
  marginSize,
  marginSort,
  currencyFilter,
  grantTenantId,
  customerFilter,
  exportFile,
  days,
  offset,
  planFilter,
  search,
  sortBy,
  sortOrder,
  viewFilters,
  viewSize,
  type Parameter,
} from './parameters.js';
import {
  AccessGrant,
  AccessGrantCreate,
  AlertEvent,
  CustomerDay,
  CustomerView,
  IngestionSummary,
  LineItemsBody,
  LineItemPage,
  AzureResourceMonthlyUsageRecord,
  Delivery,
  MarginRow,
  Me,
  PriceRule,
  PriceRuleCreate,
  ItemList,
  WebhookEndpoint,
  WebhookEndpointCreate,
  AzureUtilizationRecord,
  Collection,
  CustomerMonthlyUsageRecord,
  CustomerUsageSummary,
  MeterUsageRecord,
  PartnerUsageSummary,
  ResourceUsageRecord,
  SpendingBudgetPatch,
  SubscriptionDailyUsageRecord,
  SubscriptionMonthlyUsageRecord,
  SubscriptionUsageSummary,
  UsageBudget,
} from './resources.js';

/**
 * Partner Center's usage family as data: one entry per operation. The server registers each
 * route from it (auth, parameter validation, 405 with Allow, negotiation, the response cache),
 * the SDK takes its paths from it, and the OpenAPI document (openapi.ts) is generated from it.
 * Adding a route is an entry here, a handler (src/server/handlers/) and a store method.
 */
/** What a cached answer is made of: it is kept until that changes (the store's two versions). */
export type CachedState = 'usage' | 'alerts';

export interface Operation {
  readonly method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
  /** Partner Center's path, parameters as `{name}`. */
  readonly path: string;
  readonly summary: string;
  /** §2 of the API notes: most reads need a user's token; budgets and utilization take app-only too. */
  readonly auth: 'app+user' | 'app-or-user';
  readonly parameters: readonly Parameter[];
  /** A collection pages with `size` (and `seek_operation=Next` + MS-ContinuationToken). */
  readonly collection: boolean;
  readonly body?: TSchema;
  /** The 200 body. */
  readonly response: TSchema;
  /** Error kinds beyond the ones every route can give (auth, bad parameters, 404 customer). */
  readonly errors: readonly (keyof typeof apiErrors)[];
  /** Where partner-usage serves more than Partner Center does, or differs: said in docs/api.md. */
  readonly note?: string;
  /** A larger body than the server's default limit (REQUEST_LIMITS.bodyBytes). */
  readonly bodyLimit?: number;
  /**
   * Requests of this operation a server holds at once (each may hold bodyLimit bytes and what
   * parsing makes of them); one more is refused with 503 and Retry-After before its body is read.
   */
  readonly concurrency?: number;
  /**
   * Query parameters the handler reads itself (Partner Center's names, matched in any case): not
   * parsed by the table, but stated in the OpenAPI document so a generated client sends them right.
   */
  readonly documentedQuery?: readonly Omit<Parameter, 'parse' | 'in'>[];
  /** Media types the body may come in besides application/json (with `body`'s schema for JSON). */
  readonly otherBodyTypes?: readonly string[];
  /** Answers a file (its own media type), not JSON: Accept is not negotiated. */
  readonly download?: boolean;
  /**
   * What its answers are made of, where not the usage data: `alerts`, the alert tables (the
   * delivery sender writes them in the background). A GET's answers are cached until it changes.
   */
  readonly state?: CachedState;
  /** What it does as the roles see it, where its method does not say (access.ts: accessOf). */
  readonly access?: Access;
  /** What a grantee (a customer's or reseller's tenant) gets of it, where its access does not say (access.ts: grantedOf). */
  readonly granted?: GrantedUse;
}

const C = '/v1/customers/{customer-tenant-id}';
const S = `${C}/subscriptions/{subscription-id}`;
/** Where partner-usage's own extension routes live: never a Partner Center path. */
const X = '/v1/partnerusage';

/** An operation, its parameters' own types kept (the handler's values are typed from them: ValuesOf). */
const op = <const Ps extends readonly Parameter[]>(o: Operation & { readonly parameters: Ps }) => o;

export const operations = {
  getPartnerUsageSummary: op({
    method: 'GET',
    path: '/v1/usagesummary',
    summary: "The partner's usage summary for the period: totals, customers over budget and trending over.",
    auth: 'app+user',
    parameters: [period],
    collection: false,
    response: PartnerUsageSummary,
    errors: [],
  }),
  getCustomerUsageRecords: op({
    method: 'GET',
    path: '/v1/customers/usagerecords',
    summary: "Every customer's month-to-date spend against its budget.",
    auth: 'app+user',
    parameters: [period, size],
    collection: true,
    response: Collection(CustomerMonthlyUsageRecord),
    errors: [],
  }),
  getCustomerUsageSummary: op({
    method: 'GET',
    path: `${C}/usagesummary`,
    summary: "One customer's usage summary, budget and forecast.",
    auth: 'app+user',
    parameters: [customerTenantId, period],
    collection: false,
    response: CustomerUsageSummary,
    errors: ['customerNotFound', 'noUsageData'],
  }),
  getCustomerUsageSpendingBudget: op({
    method: 'GET',
    path: `${C}/usagebudget`,
    summary: "A customer's monthly spending budget.",
    auth: 'app-or-user',
    parameters: [customerTenantId],
    collection: false,
    response: UsageBudget,
    errors: ['customerNotFound'],
  }),
  patchCustomerUsageSpendingBudget: op({
    method: 'PATCH',
    path: `${C}/usagebudget`,
    summary: "Sets a customer's monthly spending budget (amount null removes it).",
    auth: 'app-or-user',
    parameters: [customerTenantId],
    collection: false,
    body: SpendingBudgetPatch,
    response: UsageBudget,
    errors: ['customerNotFound', 'invalidBody', 'unsupportedMediaType', 'bodyTooLarge'],
    // A grantee with the analyst role sets its own customers' budgets (issue #30).
    granted: 'own',
  }),
  getSubscriptionUsageRecords: op({
    method: 'GET',
    path: `${C}/subscriptions/usagerecords`,
    summary: "A customer's subscriptions (for an Azure plan, the plan) with their spend.",
    auth: 'app+user',
    parameters: [customerTenantId, period, size],
    collection: true,
    response: Collection(SubscriptionMonthlyUsageRecord),
    errors: ['customerNotFound'],
  }),
  getSubscriptionUsageSummary: op({
    method: 'GET',
    path: `${S}/usagesummary`,
    summary: "One subscription's usage summary.",
    auth: 'app+user',
    parameters: [customerTenantId, subscriptionId, period],
    collection: false,
    response: SubscriptionUsageSummary,
    errors: ['customerNotFound', 'subscriptionNotFound'],
  }),
  getSubscriptionUsageRecordsByMeter: op({
    method: 'GET',
    path: `${S}/meterusagerecords`,
    summary: "A subscription's spend per meter.",
    auth: 'app+user',
    parameters: [customerTenantId, subscriptionId, period, size],
    collection: true,
    response: Collection(MeterUsageRecord),
    errors: ['customerNotFound', 'subscriptionNotFound'],
  }),
  getSubscriptionUsageRecordsByResource: op({
    method: 'GET',
    path: `${S}/resourceusagerecords`,
    summary: "An Azure plan's spend per Azure resource.",
    auth: 'app+user',
    parameters: [customerTenantId, subscriptionId, period, size],
    collection: true,
    response: Collection(ResourceUsageRecord),
    errors: ['customerNotFound', 'subscriptionNotFound', 'wrongPlanKind'],
    note: 'Azure plan only: a legacy subscription gets 400 (code 800002).',
  }),
  getSubscriptionResourceUsageRecords: op({
    method: 'GET',
    path: `${S}/usagerecords/resources`,
    summary: "A legacy (MS-AZR-0145P) subscription's spend per resource.",
    auth: 'app-or-user',
    parameters: [customerTenantId, subscriptionId, period, size],
    collection: true,
    response: Collection(AzureResourceMonthlyUsageRecord),
    errors: ['customerNotFound', 'subscriptionNotFound', 'wrongPlanKind'],
    note: 'Legacy subscriptions only: an Azure plan gets 400 (code 800002). A legacy line names a meter, not a resource: one record per meter.',
  }),
  getSubscriptionDailyUsageRecords: op({
    method: 'GET',
    path: `${S}/usagerecords/daily`,
    summary: "A subscription's spend per usage day.",
    auth: 'app+user',
    parameters: [customerTenantId, subscriptionId, period, size],
    collection: true,
    response: Collection(SubscriptionDailyUsageRecord),
    errors: ['customerNotFound', 'subscriptionNotFound'],
    note: 'Partner Center serves it for legacy subscriptions (obsolete there); for Azure plans it is our extension.',
  }),
  getAzureUtilizationRecords: op({
    method: 'GET',
    path: `${S}/utilizations/azure`,
    summary: "A subscription's usage per resource, meter and day (or hour) in a time window.",
    auth: 'app-or-user',
    parameters: [customerTenantId, subscriptionId, startTime, endTime, granularity, showDetails, size],
    collection: true,
    response: Collection(AzureUtilizationRecord),
    errors: ['customerNotFound', 'subscriptionNotFound'],
    note: 'Always paged (size default and max 1000). 204 with Retry-After while the window is not complete. For Azure plans it is our extension. Hourly from a file of daily lines gives daily records.',
  }),

  // partner-usage's own extension (issue #13): budgets that act. Not Partner Center's.
  listAlerts: op({
    method: 'GET',
    path: `${X}/alerts`,
    summary: 'Alerts raised for the partner (thresholds, the forecast, anomalies), newest first. Our extension.',
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    response: ItemList(AlertEvent),
    errors: [],
    state: 'alerts',
    granted: 'none',
  }),
  listWebhookEndpoints: op({
    method: 'GET',
    path: `${X}/webhooks`,
    summary: "The partner's webhook endpoints. Our extension.",
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    response: ItemList(WebhookEndpoint),
    errors: [],
    state: 'alerts',
    granted: 'none',
  }),
  createWebhookEndpoint: op({
    method: 'POST',
    path: `${X}/webhooks`,
    summary:
      'Registers a webhook endpoint; the answer carries its whsec_ signing secret (Standard Webhooks). Our extension.',
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    body: WebhookEndpointCreate,
    response: WebhookEndpoint,
    errors: ['invalidBody'],
  }),
  deleteWebhookEndpoint: op({
    method: 'DELETE',
    path: `${X}/webhooks/{webhook-id}`,
    summary: 'Removes a webhook endpoint; its pending deliveries fail. Our extension.',
    auth: 'app-or-user',
    parameters: [webhookId],
    collection: false,
    response: WebhookEndpoint,
    errors: ['routeNotFound'],
  }),
  listDeliveries: op({
    method: 'GET',
    path: `${X}/deliveries`,
    summary: 'The delivery log (webhooks and e-mail), newest first. Our extension.',
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    response: ItemList(Delivery),
    errors: [],
    state: 'alerts',
    granted: 'none',
  }),
  replayDelivery: op({
    method: 'POST',
    path: `${X}/deliveries/{delivery-id}/replay`,
    summary: 'Sends a delivery again with the same webhook-id. Our extension.',
    auth: 'app-or-user',
    parameters: [deliveryId],
    collection: false,
    response: Delivery,
    errors: ['routeNotFound'],
  }),

  // partner-usage's own extension (issue #30): who is signed in and what it may do.
  getMe: op({
    method: 'GET',
    path: `${X}/me`,
    summary:
      "The caller: its tenant, its user, its role (from the token's app roles or groups; null: a token without any, which keeps Partner Center's rules) and what it may do. Our extension.",
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    response: Me,
    errors: [],
  }),

  // partner-usage's own extension (issue #29): what the partner charges and keeps.
  listPriceRules: op({
    method: 'GET',
    path: `${X}/pricerules`,
    summary: "The partner's price rules: what its customers are charged. Our extension.",
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    response: ItemList(PriceRule),
    errors: [],
    granted: 'none',
  }),
  createPriceRule: op({
    method: 'POST',
    path: `${X}/pricerules`,
    summary:
      'Sets a price rule (one of the same scope, narrowing and first period is replaced); audited. Our extension.',
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    body: PriceRuleCreate,
    response: PriceRule,
    errors: ['invalidBody'],
  }),
  deletePriceRule: op({
    method: 'DELETE',
    path: `${X}/pricerules/{rule-id}`,
    summary: 'Removes a price rule; audited. Our extension.',
    auth: 'app-or-user',
    parameters: [ruleId],
    collection: false,
    response: PriceRule,
    errors: ['routeNotFound'],
  }),
  // partner-usage's own extension (issue #30): customers' and resellers' tenants given views of their own.
  listAccessGrants: op({
    method: 'GET',
    path: `${X}/access`,
    summary:
      "The partner's access grants: customers' and resellers' tenants that see their scope at prices. Admin only. Our extension.",
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    response: ItemList(AccessGrant),
    errors: [],
    // Who sees what is an administrator's to know, as to change.
    access: 'change',
  }),
  createAccessGrant: op({
    method: 'POST',
    path: `${X}/access`,
    summary:
      "Gives a tenant a view of one customer or one tier-2 reseller's lines (a grant of the same tenant is replaced); audited. Admin only. Our extension.",
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    body: AccessGrantCreate,
    response: AccessGrant,
    errors: ['invalidBody'],
  }),
  deleteAccessGrant: op({
    method: 'DELETE',
    path: `${X}/access/{tenant-id}`,
    summary: "Removes a tenant's access grant; audited. Admin only. Our extension.",
    auth: 'app-or-user',
    parameters: [grantTenantId],
    collection: false,
    response: AccessGrant,
    errors: ['routeNotFound'],
  }),
  getMargins: op({
    method: 'GET',
    path: `${X}/margins`,
    summary:
      "The period's cost, price, margin, margin % and partner-earned credit per customer, reseller, subscription, meter category or publisher (of one customer's lines with `customer`), each line priced by its rule; a row per group and billing currency, USD beside; sorted and paged (totalCount counts every row). Our extension.",
    auth: 'app-or-user',
    parameters: [period, marginGroup, customerFilter, currencyFilter, marginSort, marginOrder, offset, marginSize],
    collection: false,
    response: ItemList(MarginRow),
    errors: [],
    granted: 'none',
  }),

  getCustomerStatement: op({
    method: 'GET',
    path: `${X}/customers/{customer-tenant-id}/statement.{format}`,
    summary:
      "What the partner sends a customer for the period: its spend at the partner's prices by subscription, meter category and day, as PDF or CSV, amounts rounded to the currency's minor unit (half away from zero) with the rounding difference. Never the partner's cost or margin. Our extension.",
    auth: 'app-or-user',
    parameters: [customerTenantId, statementForm, period],
    collection: false,
    response: Type.String({ format: 'binary' }),
    errors: [],
    download: true,
  }),

  // partner-usage's own extension (issue #14): what the dashboard reads beyond Partner Center's routes.
  getCustomerView: op({
    method: 'GET',
    path: `${X}/customers`,
    summary:
      "A sorted, filtered and searched page of the partner's customers with their standing, and the header's counts, periods and freshness. Our extension.",
    auth: 'app-or-user',
    parameters: [period, sortBy, sortOrder, viewFilters, planFilter, currencyFilter, search, offset, viewSize],
    collection: false,
    response: CustomerView,
    errors: [],
  }),
  ingestLineItems: op({
    method: 'POST',
    path: `${X}/lineitems`,
    summary:
      "Stores line items sent as JSON or NDJSON (the export's field names), atomic per request, idempotent by line identity; alerts evaluated as after an import. Needs the PartnerUsage.Ingest role or scope. Our extension.",
    auth: 'app-or-user',
    parameters: [],
    collection: false,
    body: LineItemsBody,
    response: IngestionSummary,
    errors: ['invalidBody', 'tooManyItems', 'ingestBusy'],
    otherBodyTypes: ['application/x-ndjson', 'application/jsonl'],
    bodyLimit: 32 << 20,
    concurrency: 2,
    access: 'ingest',
  }),
  getCustomerDays: op({
    method: 'GET',
    path: `${X}/customers/{customer-tenant-id}/days`,
    summary:
      "The customer's spend per usage day in its currency: the last days up to the period's latest usage day (into the month before). Our extension.",
    auth: 'app-or-user',
    parameters: [customerTenantId, period, days],
    collection: false,
    response: ItemList(CustomerDay),
    errors: [],
  }),
  getExport: op({
    method: 'GET',
    path: `${X}/exports/{file}`,
    summary:
      "The period's line items as a file, streamed: FOCUS 1.2 with Microsoft's x_ extensions for CSP (focus.csv, focus.parquet) or Partner Center's reconciliation file (lineitems.csv, lineitems.parquet); of one customer with customer=. Our extension.",
    auth: 'app-or-user',
    parameters: [exportFile, period, customerFilter],
    collection: false,
    response: Type.String({ format: 'binary' }),
    errors: ['exportNotPossible'],
    download: true,
  }),
  getUnbilledLineItems: op({
    method: 'GET',
    path: '/v1/invoices/unbilled/lineitems',
    summary:
      "The older line-item API: the period's daily rated usage lines in one currency, 2,000 a page (size), the next page by seekOperation=Next and MS-ContinuationToken. Query: provider=onetime, invoicelineitemtype=usagelineitems, currencycode, period=current|previous (names and values in any case).",
    auth: 'app-or-user',
    parameters: [],
    documentedQuery: [
      { name: 'provider', required: true, description: 'onetime.', schema: Type.String({ enum: ['onetime'] }) },
      {
        name: 'invoicelineitemtype',
        required: true,
        description: 'usagelineitems.',
        schema: Type.String({ enum: ['usagelineitems'] }),
      },
      {
        name: 'currencycode',
        required: true,
        description: 'The billing currency: an ISO 4217 code.',
        schema: Type.String({ enum: [...ISO_4217_CODES] }),
      },
      {
        name: 'period',
        required: true,
        description: 'The open period: current or previous.',
        schema: Type.String({ enum: ['current', 'previous'] }),
      },
      {
        name: 'size',
        required: false,
        description: 'Lines a page, 1 to 2000 (default 2000).',
        schema: Type.Integer({ minimum: 1, maximum: 2000 }),
      },
      {
        name: 'seekOperation',
        required: false,
        description: 'Next, with MS-ContinuationToken: the next page.',
        schema: Type.String({ enum: ['Next'] }),
      },
    ],
    collection: false,
    response: LineItemPage,
    errors: ['invalidContinuationToken'],
    note: 'Served from the stored lines, every column as imported. The billed form (/v1/invoices/{id}/lineitems) is not served yet: stored lines are not indexed by invoice.',
  }),
} as const satisfies Record<string, Operation>;

export type OperationId = keyof typeof operations;

/** The parameters of an operation, each with its own type. */
export type ParametersOf<K extends OperationId> = (typeof operations)[K]['parameters'];
