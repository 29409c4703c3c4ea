import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import type { JsonDecimal } from './exact-json.js';

/**
 * Partner Center's wire types for the usage family (shared/docs/partner-center-api.md §4, §16),
 * as TypeBox schemas: each is a JSON Schema (the OpenAPI document and the contract tests use it
 * as it is) and its TypeScript type comes from it (Static), so there is no second copy to keep.
 * TypeBox rather than zod for that reason: its schemas are plain JSON Schema 2020-12 objects,
 * which OpenAPI 3.1 embeds unchanged; zod's would need converting.
 *
 * Money is a JsonDecimal in TypeScript (every digit kept) and a JSON number on the wire.
 */

/** An exact decimal: a JSON number in the schema, a JsonDecimal in code. */
export const Money = Type.Unsafe<JsonDecimal>({ type: 'number' });

const closed = <T extends TProperties>(properties: T, options: Record<string, unknown> = {}): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, ...options });

export const Guid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'A GUID, lower case.',
});

/** ISO-8601 with an explicit offset, as Partner Center writes dates. */
export const WireDate = Type.String({
  pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?[+-]\\d\\d:\\d\\d$',
  description: 'ISO-8601 date-time with an offset, e.g. 2019-09-17T17:08:11.1433333+00:00.',
});

const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 (Azure plan).' });
const CurrencyLocale = Type.String({ pattern: '^[a-z]{2,3}-[A-Z]{2}$', description: 'A culture (legacy 0145P).' });

const attributes = <N extends string>(objectType: N) =>
  closed({ objectType: Type.Literal(objectType), etag: Type.Optional(Type.String()) });

export const KeyValuePair = closed({ key: Type.String(), value: Type.String() });
export type KeyValuePair = Static<typeof KeyValuePair>;

export const Link = closed({ uri: Type.String(), method: Type.String(), headers: Type.Array(KeyValuePair) });
export type Link = Static<typeof Link>;

const selfLinks = closed({ self: Link });

/**
 * A collection; paged ones (with `size`) carry `links.next` and the same token at the top level
 * as `continuationToken` (the Swagger's PagedResourceCollection; seek-based clients loop on it).
 */
export const Collection = <T extends TSchema>(items: T) =>
  closed({
    totalCount: Type.Integer({ minimum: 0, description: 'The items in this response (one page).' }),
    items: Type.Array(items),
    links: closed({ self: Link, next: Type.Optional(Link) }),
    continuationToken: Type.Optional(Type.String()),
    attributes: attributes('Collection'),
  });

export interface ResourceCollection<T> {
  readonly totalCount: number;
  readonly items: readonly T[];
  readonly links: { readonly self: Link; readonly next?: Link };
  readonly continuationToken?: string;
  readonly attributes: { readonly objectType: 'Collection' };
}

export const SpendingBudget = closed({
  amount: Type.Optional(Money),
  attributes: attributes('SpendingBudget'),
});
export type SpendingBudget = Static<typeof SpendingBudget>;

/** GET and PATCH /v1/customers/{c}/usagebudget. */
export const UsageBudget = closed({
  amount: Type.Optional(Money),
  usageSpendingBudget: Type.Optional(Money),
  links: Type.Optional(selfLinks),
  attributes: attributes('SpendingBudget'),
});
export type UsageBudget = Static<typeof UsageBudget>;

/** A budget's bounds: the API, `budget set` and `budget import` apply them (domain/budget.ts). */
export const BUDGET_LIMITS = { max: 10 ** 12, decimals: 6 } as const;

/** PATCH's body: property names in any case (the .NET SDK writes PascalCase); null clears. */
export const SpendingBudgetPatch = Type.Object(
  {
    amount: Type.Union(
      [
        Type.Number({
          minimum: 0,
          maximum: BUDGET_LIMITS.max,
          multipleOf: 10 ** -BUDGET_LIMITS.decimals,
        }),
        Type.Null(),
      ],
      {
        description: `The monthly budget in the customer currency: 0 to 10^12, at most ${BUDGET_LIMITS.decimals} decimals; null removes it.`,
      },
    ),
    attributes: Type.Optional(Type.Object({ objectType: Type.Optional(Type.Literal('SpendingBudget')) })),
  },
  { description: 'Property names are bound case-insensitively: {"Amount":100} and {"amount":100} are the same.' },
);

/** Azure plan rows: currencyCode + usdTotalCost; legacy (0145P) rows: currencyLocale. */
const currencyFields = {
  currencyCode: Type.Optional(CurrencyCode),
  currencyLocale: Type.Optional(CurrencyLocale),
  usdTotalCost: Type.Optional(Money),
};
const currencyRule = {
  oneOf: [
    { required: ['currencyCode', 'usdTotalCost'], not: { required: ['currencyLocale'] } },
    { required: ['currencyLocale'], not: { required: ['currencyCode'] } },
  ],
};
const record = <T extends TProperties>(properties: T) => closed({ ...properties, ...currencyFields }, currencyRule);
/** A customer's or subscription's record: its id and name, each under both names Partner Center gives them. */
const identifiedBy = { resourceId: Guid, id: Guid, resourceName: Type.String(), name: Type.String() };
/** A usage record: its own fields, then those of Partner Center's UsageRecordBase (in its order). */
const usageRecord = <T extends TProperties, const N extends string>(objectType: N, properties: T) =>
  record({ ...properties, totalCost: Money, lastModifiedDate: WireDate, attributes: attributes(objectType) });

/** Figures of ours beside Partner Center's (never in place of them): see docs/api.md. */
export const UsageExtension = closed(
  {
    forecastTotalCost: Type.Optional(Money),
    forecastMethod: Type.Optional(Type.String()),
    trendingOver: Type.Boolean(),
    daysWithUsage: Type.Integer({ minimum: 0 }),
    anomalies: Type.Integer({
      minimum: 0,
      description:
        "Anomalies raised in the period: days of the customer's spend and of its meters' (usage.anomaly alerts).",
    }),
  },
  { description: 'A partner-usage extension: the month-end forecast in the customer currency, and anomalies.' },
);
export type UsageExtension = Static<typeof UsageExtension>;

export const CustomerMonthlyUsageRecord = usageRecord('CustomerMonthlyUsageRecord', {
  budget: SpendingBudget,
  customerSpendingBudget: Type.Optional(SpendingBudget),
  percentUsed: Type.Unsafe<JsonDecimal>({ type: 'number', minimum: 0 }),
  isUpgraded: Type.Boolean(),
  ...identifiedBy,
});
export type CustomerMonthlyUsageRecord = Static<typeof CustomerMonthlyUsageRecord>;

export const MeterUsageRecord = usageRecord('MeterUsageRecord', {
  subscriptionId: Guid,
  meterId: Type.String(),
  meterName: Type.String(),
  category: Type.String(),
  subcategory: Type.String(),
  quantityUsed: Money,
  unit: Type.String(),
});
export type MeterUsageRecord = Static<typeof MeterUsageRecord>;

export const SubscriptionMonthlyUsageRecord = usageRecord('SubscriptionMonthlyUsageRecord', {
  status: Type.Union([
    Type.Literal('none'),
    Type.Literal('active'),
    Type.Literal('suspended'),
    Type.Literal('deleted'),
  ]),
  partnerOnRecord: Type.Optional(Type.String()),
  offerId: Type.String(),
  ...identifiedBy,
});
export type SubscriptionMonthlyUsageRecord = Static<typeof SubscriptionMonthlyUsageRecord>;

export const ResourceUsageRecord = usageRecord('ResourceUsageRecord', {
  subscriptionId: Guid,
  resourceUri: Type.String(),
  resourceType: Type.String(),
  entitlementId: Type.String(),
  entitlementName: Type.String(),
  resourceGroupName: Type.String(),
  resourceName: Type.String(),
  name: Type.String(),
});
export type ResourceUsageRecord = Static<typeof ResourceUsageRecord>;

/** A legacy subscription's usage per resource (meter, in a legacy file). */
export const AzureResourceMonthlyUsageRecord = usageRecord('AzureResourceMonthlyUsageRecord', {
  category: Type.String(),
  subcategory: Type.String(),
  quantityUsed: Money,
  unit: Type.String(),
  resourceId: Type.String(),
  id: Type.String(),
  resourceName: Type.String(),
  name: Type.String(),
});
export type AzureResourceMonthlyUsageRecord = Static<typeof AzureResourceMonthlyUsageRecord>;

export const SubscriptionDailyUsageRecord = usageRecord('SubscriptionDailyUsageRecord', {
  dateUsed: WireDate,
  ...identifiedBy,
});
export type SubscriptionDailyUsageRecord = Static<typeof SubscriptionDailyUsageRecord>;

const summaryFields = {
  resourceId: Guid,
  resourceName: Type.String(),
  id: Type.Optional(Guid),
  name: Type.Optional(Type.String()),
  billingStartDate: WireDate,
  billingEndDate: WireDate,
  totalCost: Money,
  lastModifiedDate: WireDate,
  links: Type.Optional(selfLinks),
};

export const CustomerUsageSummary = record({
  ...summaryFields,
  budget: SpendingBudget,
  partnerUsage: Type.Optional(UsageExtension),
  attributes: attributes('CustomerUsageSummary'),
});
export type CustomerUsageSummary = Static<typeof CustomerUsageSummary>;

export const SubscriptionUsageSummary = record({
  ...summaryFields,
  attributes: attributes('SubscriptionUsageSummary'),
});
export type SubscriptionUsageSummary = Static<typeof SubscriptionUsageSummary>;

/**
 * The partner's summary. A partner whose customers pay in several currencies has no one total:
 * totalCost and currency are those of the currency with the most customers, and `totalsByCurrency`
 * (our extension) lists every currency's total; no figure is ever summed across currencies.
 */
export const PartnerUsageSummary = closed({
  ...summaryFields,
  ...currencyFields,
  customersOverBudget: Type.Integer({ minimum: 0 }),
  customersTrendingOver: Type.Integer({ minimum: 0 }),
  customersWithUsageBasedSubscription: Type.Integer({ minimum: 0 }),
  totalsByCurrency: Type.Optional(
    Type.Array(closed({ currency: Type.String(), totalCost: Money, usdTotalCost: Money, customers: Type.Integer() })),
  ),
  attributes: attributes('PartnerUsageSummary'),
});
export type PartnerUsageSummary = Static<typeof PartnerUsageSummary>;

export const AzureUtilizationRecord = closed({
  usageStartTime: WireDate,
  usageEndTime: WireDate,
  resource: closed({
    id: Type.String(),
    name: Type.Optional(Type.String()),
    category: Type.Optional(Type.String()),
    subcategory: Type.Optional(Type.String()),
    region: Type.Optional(Type.String()),
  }),
  quantity: Money,
  unit: Type.Optional(Type.String()),
  infoFields: Type.Record(Type.String(), Type.String()),
  instanceData: Type.Optional(
    closed({
      resourceUri: Type.String(),
      location: Type.String(),
      partNumber: Type.String(),
      orderNumber: Type.String(),
      tags: Type.Optional(Type.Record(Type.String(), Type.String())),
      additionalInfo: Type.Optional(Type.Record(Type.String(), Type.String())),
    }),
  ),
  attributes: attributes('AzureUtilizationRecord'),
});
export type AzureUtilizationRecord = Static<typeof AzureUtilizationRecord>;

/** Partner Center's error body. */
export const ApiFault = closed({
  code: Type.Integer(),
  description: Type.String({ minLength: 1, maxLength: 1024 }),
  data: Type.Array(Type.Unknown()),
  source: Type.Literal('PartnerFD'),
});
export type ApiFault = Static<typeof ApiFault>;

// partner-usage's own extension resources (budgets that act), under /v1/partnerusage/.

const ALERT_TYPE = Type.Union([
  Type.Literal('budget.threshold_reached'),
  Type.Literal('budget.forecast_over'),
  Type.Literal('usage.anomaly'),
]);

export const WebhookEndpoint = closed({
  id: Type.String({ description: 'ep_…' }),
  url: Type.String(),
  events: Type.Array(ALERT_TYPE),
  enabled: Type.Boolean(),
  failures: Type.Integer({ description: 'Consecutive failed attempts; the endpoint is disabled after 50.' }),
  createdAt: Type.String(),
  secret: Type.Optional(Type.String({ description: 'The whsec_ signing secret: in the answer to POST only.' })),
});

/** The longest webhook URL accepted. */
export const MAX_WEBHOOK_URL = 2048;

export const WebhookEndpointCreate = Type.Object({
  url: Type.String({
    format: 'uri',
    maxLength: MAX_WEBHOOK_URL,
    pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^@/?#]+([/?#]|$)',
    description:
      'An http(s) URL, without user or password, that receives POSTed events. Private, loopback, link-local and unspecified addresses are refused unless the server allows them (PARTNER_USAGE_WEBHOOK_ALLOW).',
  }),
  events: Type.Optional(
    Type.Array(ALERT_TYPE, { minItems: 1, description: 'The event types to receive; leave it out for every type.' }),
  ),
});

export const AlertEvent = Type.Object(
  {
    id: Type.String({ description: 'evt_…' }),
    type: ALERT_TYPE,
    timestamp: Type.String(),
    test: Type.Optional(Type.Boolean()),
    data: Type.Object({}, { additionalProperties: true }),
  },
  { description: 'The body every webhook of the alert carries.' },
);

// Price rules and margins (issue #29), our extension.

const PriceRuleFields = {
  basis: Type.Union([Type.Literal('cost'), Type.Literal('retail')], {
    description:
      "cost: the line's BillingPreTaxTotal (after partner-earned credit); retail: UnitPrice × Quantity × PCToBCExchangeRate.",
  }),
  adjust: Type.String({
    description: 'Percent added (12.5) or taken off (-5), from -100 to 1000, at most 6 decimals.',
  }),
  customer: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: "One customer's lines." }),
  reseller: Type.Union([Type.String(), Type.Null()], { description: "A tier-2 reseller's lines (Tier2MpnId)." }),
  category: Type.Union([Type.String(), Type.Null()], { description: 'Only lines of this meter category.' }),
  publisher: Type.Union([Type.String(), Type.Null()], { description: "Only this publisher's lines (marketplace)." }),
  from: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'The first billing period it prices.' }),
};

export const PriceRule = closed({
  id: Type.String({ description: 'pr_…' }),
  ...PriceRuleFields,
});

export const PriceRuleCreate = Type.Object(
  {
    basis: PriceRuleFields.basis,
    adjust: Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'Default 0.' })),
    customer: Type.Optional(PriceRuleFields.customer),
    reseller: Type.Optional(PriceRuleFields.reseller),
    category: Type.Optional(PriceRuleFields.category),
    publisher: Type.Optional(PriceRuleFields.publisher),
    from: Type.Optional(Type.String({ description: 'Default: the current billing period.' })),
  },
  { description: 'A price rule; one of the same scope, narrowing and first period is replaced.' },
);

export const MarginRow = closed({
  group: Type.String({
    description:
      "The group's key: a customer or subscription id, a reseller's MPN id, a meter category, a publisher ('' for none).",
  }),
  name: Type.String(),
  currency: Type.String({ description: 'The billing currency: a group spanning currencies has a row per currency.' }),
  lines: Type.Integer({ minimum: 0 }),
  cost: Money,
  price: Money,
  margin: Money,
  marginPercent: Type.Union([Money, Type.Null()], {
    description: 'margin ÷ price × 100, 2 decimals; null at price 0.',
  }),
  pecEarned: Money,
  usdCost: Money,
  usdPrice: Money,
});
export type MarginRow = Static<typeof MarginRow>;

// Who is signed in (issue #30), our extension.
const GrantFields = {
  customer: Type.Union([Guid, Type.Null()], {
    description: "The customer's tenant id its users see (one of customer and reseller).",
  }),
  reseller: Type.Union([Type.String(), Type.Null()], {
    description: "The tier-2 reseller's MPN id whose lines its users see.",
  }),
};

export const AccessGrant = closed({
  tenantId: Type.String({ description: "The grantee's tenant: its users' tokens carry it as tid." }),
  ...GrantFields,
  role: Type.Union([Type.Literal('viewer'), Type.Literal('analyst')], {
    description: "viewer reads; analyst also exports and sets its customers' budgets.",
  }),
  createdAt: Type.String(),
});
export type AccessGrant = Static<typeof AccessGrant>;

export const AccessGrantCreate = Type.Object(
  {
    tenantId: Type.String(),
    customer: Type.Optional(Type.String()),
    reseller: Type.Optional(Type.String()),
    role: Type.Optional(
      Type.Union([Type.Literal('viewer'), Type.Literal('analyst')], { description: 'Default viewer.' }),
    ),
  },
  {
    description: "A tenant's view of one customer or of one reseller's lines; a grant of the same tenant is replaced.",
  },
);

export const Me = closed({
  tenantId: Guid,
  /** The partner whose data it sees: its own tenant, or the partner that gave its grant. */
  partnerTenantId: Guid,
  grant: Type.Union([closed(GrantFields), Type.Null()], {
    description: "A grantee's scope (it sees only that, at prices); null for the partner's own users.",
  }),
  user: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('admin'), Type.Literal('analyst'), Type.Literal('viewer'), Type.Null()]),
  may: closed({
    read: Type.Boolean(),
    export: Type.Boolean(),
    change: Type.Boolean(),
  }),
});
export type Me = Static<typeof Me>;

export const Delivery = closed({
  id: Type.String({ description: 'msg_…: the webhook-id header of every attempt.' }),
  alertId: Type.String(),
  type: Type.String(),
  channel: Type.Union([Type.Literal('webhook'), Type.Literal('email')]),
  target: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttemptAt: Type.String(),
  lastError: Type.String(),
  createdAt: Type.String(),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
});

/** A list of our own extension: items and their count, no paging. */
export const ItemList = <T extends TSchema>(items: T) =>
  closed({ totalCount: Type.Integer({ minimum: 0 }), items: Type.Array(items) });

// The customers view (issue #14), our extension: what the dashboard's table and header show.

export const CustomerViewRow = closed({
  id: Guid,
  name: Type.String(),
  plan: Type.Union([Type.Literal('azure-plan'), Type.Literal('legacy')]),
  currencyCode: Type.String(),
  currencyLocale: Type.Optional(CurrencyLocale),
  totalCost: Money,
  usdTotalCost: Money,
  budget: Type.Union([Money, Type.Null()]),
  percentUsed: Money,
  forecastTotalCost: Money,
  overBudget: Type.Boolean(),
  trendingOver: Type.Boolean(),
  anomalies: Type.Integer({ minimum: 0 }),
  lastModifiedDate: Type.Union([Type.String(), Type.Null()]),
  price: Type.Union([Money, Type.Null()], {
    description:
      "What the customer is charged at the partner's price rules; null until the period's price bases are computed (serve: seconds after an import).",
  }),
  margin: Type.Union([Money, Type.Null()], { description: 'price − cost; null with the price.' }),
  marginPercent: Type.Union([Money, Type.Null()], {
    description: 'margin ÷ price × 100, 2 decimals; null with the price or at price 0.',
  }),
});
export type CustomerViewRow = Static<typeof CustomerViewRow>;

export const CustomerView = closed(
  {
    period: Type.String(),
    /** Rows matching the filters and search, before offset and size. */
    totalCount: Type.Integer({ minimum: 0 }),
    offset: Type.Integer({ minimum: 0 }),
    items: Type.Array(CustomerViewRow),
    /** Every imported period of the partner, newest first. */
    periods: Type.Array(Type.String()),
    counts: closed({
      customers: Type.Integer({ minimum: 0 }),
      overBudget: Type.Integer({ minimum: 0 }),
      trendingOver: Type.Integer({ minimum: 0 }),
      noBudget: Type.Integer({ minimum: 0 }),
      anomaly: Type.Integer({ minimum: 0 }),
      negativeMargin: Type.Integer({ minimum: 0 }),
    }),
    currencies: Type.Array(Type.String()),
    freshness: closed({
      lastImportAt: Type.Union([Type.String(), Type.Null()]),
      lastUsageDay: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  { description: "A sorted, filtered page of the partner's customers with their standing; our extension." },
);
export type CustomerView = Static<typeof CustomerView>;

export const CustomerDay = closed({ day: Type.String(), totalCost: Money });
export type CustomerDay = Static<typeof CustomerDay>;

// HTTP ingestion (issue #15), our extension.

/** The most line items one ingestion request may carry (its body is bounded too: the operation's bodyLimit). */
export const MAX_INGESTED_ITEMS = 100_000;

export const LineItemsBody = Type.Array(Type.Object({}, { additionalProperties: true }), {
  minItems: 1,
  maxItems: MAX_INGESTED_ITEMS,
  description:
    "Line items with the reconciliation file's (and the billing export's) field names, any case; also sent as NDJSON (application/x-ndjson).",
});

export const IngestionSummary = closed({
  lines: Type.Integer({ minimum: 0 }),
  replaced: Type.Integer({ minimum: 0, description: 'Lines that replaced one of the same identity (sent before).' }),
  customers: Type.Integer({ minimum: 0 }),
  periods: Type.Array(Type.String()),
  alerts: Type.Integer({ minimum: 0 }),
});

/** A page of the older line-item API (`GET /v1/invoices/unbilled/lineitems`): seek paging by MS-ContinuationToken. */
export const LineItemPage = Type.Object(
  {
    totalCount: Type.Integer({ minimum: 0, description: 'Items on this page.' }),
    items: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description: 'DailyRatedUsageLineItem objects: the reconciliation columns in camelCase, money as exact numbers.',
    }),
    continuationToken: Type.Optional(Type.String()),
    links: Type.Object({}, { additionalProperties: true }),
    attributes: Type.Object({ objectType: Type.Literal('Collection') }),
  },
  { additionalProperties: false },
);
