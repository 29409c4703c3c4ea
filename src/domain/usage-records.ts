import { JsonDecimal } from '../contract/exact-json.js';
import type {
  AzureResourceMonthlyUsageRecord,
  AzureUtilizationRecord,
  CustomerMonthlyUsageRecord,
  CustomerUsageSummary,
  Link,
  MeterUsageRecord,
  PartnerUsageSummary,
  ResourceCollection,
  ResourceUsageRecord,
  SpendingBudget,
  SubscriptionDailyUsageRecord,
  SubscriptionMonthlyUsageRecord,
  SubscriptionUsageSummary,
  UsageBudget,
  UsageExtension,
} from '../contract/resources.js';
import { formatDecimal } from '../money/decimal.js';
import type { PlanKind } from './usage-model.js';
import type {
  CustomerUsageRow,
  DayUsageRow,
  MeterUsageRow,
  ResourceUsageRow,
  SubscriptionOwner,
  SubscriptionUsageRow,
  UsageLines,
} from './usage-rows.js';
import { percentUsed } from './percent-used.js';
import { DAY_MS, dayDate } from './usage-day.js';

type RecordCurrency =
  | { readonly currencyCode: string; readonly usdTotalCost: JsonDecimal }
  | { readonly currencyLocale: string; readonly usdTotalCost: JsonDecimal };

/** Stored totals → Partner Center records. The one place the wire presence rules are applied. */

/** ISO-8601 with an explicit offset, as Partner Center writes dates. */
export function wireDate(iso: string): string {
  return iso.endsWith('Z') ? `${iso.slice(0, -1)}+00:00` : iso;
}

/** A customer without usage in a period: its lastModifiedDate is the period's start. */
export function periodStart(period: string): string {
  return `${period}-01T00:00:00+00:00`;
}

function currencyOf(plan: PlanKind, currency: string, locale: string | null, usd: string): RecordCurrency {
  // Partner Center gives legacy (0145P) customers no USD figure: usdTotalCost is 0 there.
  return plan === 'legacy'
    ? { currencyLocale: locale ?? 'en-US', usdTotalCost: new JsonDecimal('0') }
    : { currencyCode: currency, usdTotalCost: new JsonDecimal(usd) };
}

/** Summaries: legacy ones carry no USD figure at all (§4.1). */
function summaryCurrencyOf(
  plan: PlanKind,
  currency: string,
  locale: string | null,
  usd: string,
): { currencyCode: string; usdTotalCost: JsonDecimal } | { currencyLocale: string } {
  return plan === 'legacy'
    ? { currencyLocale: locale ?? 'en-US' }
    : { currencyCode: currency, usdTotalCost: new JsonDecimal(usd) };
}

function spendingBudget(amount: string | null): SpendingBudget {
  return amount === null
    ? { attributes: { objectType: 'SpendingBudget' } }
    : { amount: new JsonDecimal(amount), attributes: { objectType: 'SpendingBudget' } };
}

export function customerMonthlyUsageRecord(row: CustomerUsageRow, period: string): CustomerMonthlyUsageRecord {
  const budget = spendingBudget(row.budget);
  return {
    budget,
    ...(row.plan === 'legacy' ? { customerSpendingBudget: budget } : {}),
    percentUsed: new JsonDecimal(formatDecimal(percentUsed(row.billingTotal, row.budget))),
    isUpgraded: row.plan === 'azure-plan',
    resourceId: row.tenantId,
    id: row.tenantId,
    resourceName: row.name,
    name: row.name,
    totalCost: new JsonDecimal(row.billingTotal),
    ...currencyOf(row.plan, row.currency, row.currencyLocale, row.usdTotal),
    lastModifiedDate: row.lastModified === null ? periodStart(period) : wireDate(row.lastModified),
    attributes: { objectType: 'CustomerMonthlyUsageRecord' },
  };
}

export interface MeterOwner {
  readonly subscriptionId: string;
  readonly plan: PlanKind;
  readonly currency: string;
  readonly currencyLocale: string | null;
}

export function meterUsageRecord(row: MeterUsageRow, owner: MeterOwner): MeterUsageRecord {
  return {
    subscriptionId: owner.subscriptionId,
    meterId: row.meterId,
    meterName: row.meterName,
    category: row.category,
    subcategory: row.subcategory,
    quantityUsed: new JsonDecimal(row.quantity),
    unit: row.unit,
    totalCost: new JsonDecimal(row.billingTotal),
    ...currencyOf(owner.plan, owner.currency, owner.currencyLocale, row.usdTotal),
    lastModifiedDate: wireDate(row.lastModified),
    attributes: { objectType: 'MeterUsageRecord' },
  };
}

const selfLink = (uri: string, method = 'GET'): { self: Link } => ({ self: { uri, method, headers: [] } });

/** A collection; a next page's token is both in links.next and at the top level, as Partner Center's seek collections have it. */
export function collection<T>(items: readonly T[], selfUri: string, next?: Link): ResourceCollection<T> {
  const token = next?.headers.find((h) => h.key === 'MS-ContinuationToken')?.value;
  return {
    totalCount: items.length,
    items,
    links: { ...selfLink(selfUri), ...(next ? { next } : {}) },
    ...(token === undefined ? {} : { continuationToken: token }),
    attributes: { objectType: 'Collection' },
  };
}

/** The calendar month a period is, as Partner Center's billing dates (Azure plan: 1st → 1st, UTC). */
export function billingDates(period: string): { billingStartDate: string; billingEndDate: string } {
  const [y, m] = period.split('-').map(Number);
  const next = m === 12 ? `${y! + 1}-01` : `${y}-${String(m! + 1).padStart(2, '0')}`;
  return { billingStartDate: periodStart(period), billingEndDate: periodStart(next) };
}

/** yyyymmdd → the day's start as Partner Center writes dates. */
export const dayStart = (day: number): string => `${dayDate(day)}T00:00:00+00:00`;

const modifiedOr = (lastModified: string | null, period: string): string =>
  lastModified === null ? periodStart(period) : wireDate(lastModified);

export function usageBudget(amount: string | null, selfUri: string, method: 'GET' | 'PATCH'): UsageBudget {
  return {
    ...(amount === null ? {} : { amount: new JsonDecimal(amount), usageSpendingBudget: new JsonDecimal(amount) }),
    links: selfLink(selfUri, method),
    attributes: { objectType: 'SpendingBudget' },
  };
}

export function customerUsageSummary(
  row: CustomerUsageRow,
  period: string,
  selfUri: string,
  extension: UsageExtension,
): CustomerUsageSummary {
  const legacy = row.plan === 'legacy';
  return {
    budget: spendingBudget(row.budget),
    resourceId: row.tenantId,
    resourceName: row.name,
    ...(legacy ? { id: row.tenantId, name: row.name } : {}),
    ...billingDates(period),
    totalCost: new JsonDecimal(row.billingTotal),
    ...summaryCurrencyOf(row.plan, row.currency, row.currencyLocale, row.usdTotal),
    lastModifiedDate: modifiedOr(row.lastModified, period),
    ...(legacy ? { links: selfLink(selfUri) } : {}),
    partnerUsage: extension,
    attributes: { objectType: 'CustomerUsageSummary' },
  };
}

/** An Azure plan is named "Azure plan" in Partner Center's records, a legacy subscription "Microsoft Azure". */
const subscriptionName = (owner: { plan: PlanKind; description: string }): string =>
  owner.description.trim() !== '' ? owner.description : owner.plan === 'legacy' ? 'Microsoft Azure' : 'Azure plan';

export function subscriptionMonthlyUsageRecord(
  row: SubscriptionUsageRow,
  customer: CustomerUsageRow,
  period: string,
): SubscriptionMonthlyUsageRecord {
  const name = subscriptionName({ plan: customer.plan, description: row.description });
  return {
    status: 'active',
    // On Azure plan rows only, as Partner Center writes it; a file without MpnId names none.
    ...(customer.plan === 'azure-plan' && row.partnerOnRecord !== '' ? { partnerOnRecord: row.partnerOnRecord } : {}),
    offerId: row.offerId,
    resourceId: row.subscriptionId,
    id: row.subscriptionId,
    resourceName: name,
    name,
    totalCost: new JsonDecimal(row.billingTotal),
    ...currencyOf(customer.plan, customer.currency, customer.currencyLocale, row.usdTotal),
    lastModifiedDate: modifiedOr(row.lastModified, period),
    attributes: { objectType: 'SubscriptionMonthlyUsageRecord' },
  };
}

export function subscriptionUsageSummary(
  owner: SubscriptionOwner & { billingTotal: string; usdTotal: string; lastModified: string | null },
  period: string,
  selfUri: string,
): SubscriptionUsageSummary {
  return {
    resourceId: owner.subscriptionId,
    resourceName: subscriptionName(owner),
    ...billingDates(period),
    totalCost: new JsonDecimal(owner.billingTotal),
    ...summaryCurrencyOf(owner.plan, owner.currency, owner.currencyLocale, owner.usdTotal),
    lastModifiedDate: modifiedOr(owner.lastModified, period),
    links: selfLink(selfUri),
    attributes: { objectType: 'SubscriptionUsageSummary' },
  };
}

export interface PartnerFigures {
  readonly tenantId: string;
  readonly name: string;
  readonly customersOverBudget: number;
  readonly customersTrendingOver: number;
  readonly customersWithUsageBasedSubscription: number;
  readonly lastModified: string | null;
  /** Per currency, most customers first: the first is the summary's own. */
  readonly totals: readonly {
    currency: string;
    locale: string | null;
    plan: PlanKind;
    billing: string;
    usd: string;
    customers: number;
  }[];
  readonly usdTotal: string;
}

export function partnerUsageSummary(f: PartnerFigures, period: string): PartnerUsageSummary {
  const main = f.totals[0];
  return {
    resourceId: f.tenantId,
    resourceName: f.name,
    id: f.tenantId,
    name: f.name,
    ...billingDates(period),
    totalCost: new JsonDecimal(main?.billing ?? '0'),
    ...(main === undefined
      ? { currencyCode: 'USD' }
      : main.plan === 'legacy'
        ? { currencyLocale: main.locale ?? 'en-US' }
        : { currencyCode: main.currency }),
    usdTotalCost: new JsonDecimal(f.usdTotal),
    lastModifiedDate: modifiedOr(f.lastModified, period),
    links: selfLink('/usagesummary'),
    customersOverBudget: f.customersOverBudget,
    customersTrendingOver: f.customersTrendingOver,
    customersWithUsageBasedSubscription: f.customersWithUsageBasedSubscription,
    totalsByCurrency: f.totals.map((t) => ({
      currency: t.currency,
      totalCost: new JsonDecimal(t.billing),
      usdTotalCost: new JsonDecimal(t.usd),
      customers: t.customers,
    })),
    attributes: { objectType: 'PartnerUsageSummary' },
  };
}

/** The provider namespace and the last name of an ARM resource id. */
function armParts(uri: string): { type: string; name: string } {
  const segments = uri.split('/').filter((s) => s !== '');
  const at = segments.findIndex((s) => s.toLowerCase() === 'providers');
  return { type: at >= 0 ? (segments[at + 1] ?? '') : '', name: segments.at(-1) ?? '' };
}

export function resourceUsageRecord(row: ResourceUsageRow, owner: SubscriptionOwner): ResourceUsageRecord {
  const { type, name } = armParts(row.uri);
  return {
    subscriptionId: owner.subscriptionId,
    resourceUri: row.uri,
    resourceType: type,
    entitlementId: row.entitlementId,
    entitlementName: row.entitlementName,
    resourceGroupName: row.group,
    name,
    resourceName: name,
    totalCost: new JsonDecimal(row.billingTotal),
    ...currencyOf(owner.plan, owner.currency, owner.currencyLocale, row.usdTotal),
    lastModifiedDate: wireDate(row.lastModified),
    attributes: { objectType: 'ResourceUsageRecord' },
  };
}

export function azureResourceMonthlyUsageRecord(
  row: MeterUsageRow,
  owner: SubscriptionOwner,
): AzureResourceMonthlyUsageRecord {
  return {
    category: row.category,
    subcategory: row.subcategory,
    quantityUsed: new JsonDecimal(row.quantity),
    unit: row.unit,
    resourceId: row.meterId,
    id: row.meterId,
    resourceName: row.meterName,
    name: row.meterName,
    totalCost: new JsonDecimal(row.billingTotal),
    ...summaryCurrencyOf(owner.plan, owner.currency, owner.currencyLocale, row.usdTotal),
    lastModifiedDate: wireDate(row.lastModified),
    attributes: { objectType: 'AzureResourceMonthlyUsageRecord' },
  };
}

export function subscriptionDailyUsageRecord(row: DayUsageRow, owner: SubscriptionOwner): SubscriptionDailyUsageRecord {
  const name = subscriptionName(owner);
  return {
    dateUsed: dayStart(row.day),
    resourceId: owner.subscriptionId,
    id: owner.subscriptionId,
    resourceName: name,
    name,
    totalCost: new JsonDecimal(row.billingTotal),
    ...currencyOf(owner.plan, owner.currency, owner.currencyLocale, row.usdTotal),
    lastModifiedDate: wireDate(row.lastModified),
    attributes: { objectType: 'SubscriptionDailyUsageRecord' },
  };
}

/** The Tags column when it is a JSON object (values as strings); otherwise none (it is kept as text). */
function tagsOf(text: string): Record<string, string> | undefined {
  // Text that starts with "{" parses to an object or not at all: no other kind of value to refuse.
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  } catch {
    return undefined;
  }
}

/** Row i of a subscription's summed lines as an AzureUtilizationRecord (resource = the meter). */
export function azureUtilizationRecord(lines: UsageLines, i: number, showDetails: boolean): AzureUtilizationRecord {
  const meter = lines.meters.get(lines.meter[i]!);
  const resource = lines.resources.get(lines.resource[i]!);
  const start = dayStart(lines.day[i]!);
  const end = new Date(Date.parse(start) + DAY_MS).toISOString().replace('.000Z', '+00:00');
  const tags = resource ? tagsOf(resource.tags) : undefined;
  return {
    usageStartTime: start,
    usageEndTime: end,
    resource: {
      id: meter?.meterId ?? '',
      name: meter?.name ?? '',
      category: meter?.category ?? '',
      subcategory: meter?.subcategory ?? '',
      region: meter?.region ?? '',
    },
    quantity: new JsonDecimal(lines.amount(i, 0)),
    unit: meter?.unit ?? '',
    infoFields: {},
    ...(showDetails && resource && resource.uri !== ''
      ? {
          instanceData: {
            resourceUri: resource.uri,
            location: resource.location,
            partNumber: '',
            orderNumber: '',
            ...(tags ? { tags } : {}),
          },
        }
      : {}),
    attributes: { objectType: 'AzureUtilizationRecord' },
  };
}
