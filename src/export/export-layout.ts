import { addDays, dayDate } from '../domain/usage-day.js';
import { DAILY_RATED_COLUMNS } from '../ingest/file-formats.js';
import type { LineMeter, LineOwner, StoredLineRow } from '../storage/line-reader.js';
import { boundsOf, DECIMAL_COLUMNS, reconciliationRow } from './reconciliation-row.js';

export interface ExportColumn {
  readonly name: string;
  readonly type: 'string' | 'decimal' | 'timestamp' | 'json';
  /** FOCUS says the column is never null: Parquet declares it REQUIRED. */
  readonly required: boolean;
}

/** What an export writes: its columns, and a stored line's values in their order (null: none). */
export interface ExportLayout {
  readonly columns: readonly ExportColumn[];
  values(row: StoredLineRow): (string | null)[];
}

/**
 * FOCUS ServiceCategory (its allowed values) from Azure's meter category; anything not listed
 * is Other, which FOCUS allows.
 */
const SERVICE_CATEGORIES: readonly [RegExp, string][] = [
  [/openai|cognitive|machine learning|ai services|bot service/i, 'AI and Machine Learning'],
  [/virtual machines|kubernetes|container|batch|cloud services|functions|service fabric|spring/i, 'Compute'],
  [/storage|backup|data box|netapp/i, 'Storage'],
  [/sql|cosmos|database|redis|cache/i, 'Databases'],
  [
    /bandwidth|network|load balancer|gateway|dns|front door|cdn|content delivery|expressroute|firewall|bastion|ip address/i,
    'Networking',
  ],
  [/app service|static web/i, 'Web'],
  [/log analytics|monitor|automation|insights|advisor|policy/i, 'Management and Governance'],
  [/key vault|defender|sentinel|security/i, 'Security'],
  [/event hub|service bus|logic app|api management|event grid/i, 'Integration'],
  [/iot/i, 'Internet of Things'],
  [/data factory|synapse|hdinsight|databricks|stream analytics|data explorer|purview|fabric/i, 'Analytics'],
  [/media|communication/i, 'Media'],
  [/devops|dev test|load testing/i, 'Developer Tools'],
  [/active directory|entra/i, 'Identity'],
];

function serviceCategory(meterCategory: string): string {
  return SERVICE_CATEGORIES.find(([pattern]) => pattern.test(meterCategory))?.[1] ?? 'Other';
}

/**
 * `fn` remembered per object: a line's owner, resource and meter objects are shared by all its
 * lines (line-reader.ts), so what is derived from them is computed once, not once a line.
 */
function perObject<K extends object, V>(fn: (key: K) => V): (key: K) => V {
  const memo = new WeakMap<K, V>();
  return (key) => {
    let value = memo.get(key);
    if (value === undefined && !memo.has(key)) memo.set(key, (value = fn(key)));
    return value as V;
  };
}

const categoryOf = perObject((meter: LineMeter) => serviceCategory(meter.category));
const tagsOf = perObject((resource: LineOwner['resource']) => tagsJson(resource.tags));

const orNull = (text: string): string | null => (text === '' ? null : text);

/** `Microsoft.Compute/virtualMachines` from a resource id. */
function resourceType(uri: string): string | null {
  const m = /\/providers\/([^/]+)\/([^/]+)/i.exec(uri);
  return m ? `${m[1]}/${m[2]}` : null;
}

/** Tags that are a JSON object (FOCUS's Tags is one); other text, which real files hold, is left out. */
function tagsJson(tags: string): string | null {
  if (tags.trim() === '') return null;
  const text = tags.trim().startsWith('{') ? tags : `{${tags}}`; // Microsoft writes them without braces at times
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? JSON.stringify(parsed) : null;
  } catch {
    return null;
  }
}

const day = (d: number) => `${dayDate(d)}T00:00:00Z`;

type FocusColumn = ExportColumn & { readonly value: (row: StoredLineRow) => string | null };

const S = (name: string, value: FocusColumn['value'], required = false): FocusColumn => ({
  name,
  type: 'string',
  required,
  value,
});
const D = (name: string, value: FocusColumn['value'], required = false): FocusColumn => ({
  name,
  type: 'decimal',
  required,
  value,
});
const T = (name: string, value: FocusColumn['value']): FocusColumn => ({
  name,
  type: 'timestamp',
  required: true,
  value,
});
const NONE = () => null;
const azurePlan = (row: StoredLineRow) => row.owner.customer.plan === 'azure-plan';

/**
 * FOCUS 1.2's columns (anchors.md §4) for our rated usage lines, and the `x_` extensions
 * Microsoft's own FOCUS export uses for CSP. Every cost is the line's billing total in the
 * customer's billing currency: the store keeps no list or contracted prices, so ListCost,
 * ContractedCost and EffectiveCost equal BilledCost (FOCUS: ContractedCost equals ListCost when
 * there is no negotiated discount; no commitment is amortised over these lines).
 */
const FOCUS_COLUMNS: readonly FocusColumn[] = [
  S('AvailabilityZone', NONE),
  D('BilledCost', (r) => r.billing, true),
  S('BillingAccountId', (r) => r.owner.partner.tenantId, true),
  S('BillingAccountName', (r) => r.owner.partner.name),
  S('BillingAccountType', () => 'Partner', true),
  S('BillingCurrency', (r) => r.owner.customer.currency, true),
  T('BillingPeriodEnd', (r) => boundsOf(r.period).end),
  T('BillingPeriodStart', (r) => boundsOf(r.period).start),
  S('CapacityReservationId', NONE),
  S('CapacityReservationStatus', NONE),
  S('ChargeCategory', () => 'Usage', true),
  S('ChargeClass', NONE),
  S('ChargeDescription', (r) => orNull(r.meter.name)),
  S('ChargeFrequency', () => 'Usage-Based', true),
  T('ChargePeriodEnd', (r) => day(addDays(r.day, 1))),
  T('ChargePeriodStart', (r) => day(r.day)),
  S('CommitmentDiscountCategory', NONE),
  S('CommitmentDiscountId', NONE),
  S('CommitmentDiscountName', NONE),
  D('CommitmentDiscountQuantity', NONE),
  S('CommitmentDiscountStatus', NONE),
  S('CommitmentDiscountType', NONE),
  S('CommitmentDiscountUnit', NONE),
  D('ConsumedQuantity', (r) => r.quantity),
  S('ConsumedUnit', (r) => orNull(r.meter.unit)),
  D('ContractedCost', (r) => r.billing, true),
  D('ContractedUnitPrice', NONE),
  D('EffectiveCost', (r) => r.billing, true),
  S('InvoiceId', NONE),
  S('InvoiceIssuerName', (r) => r.owner.partner.name, true),
  D('ListCost', (r) => r.billing, true),
  D('ListUnitPrice', NONE),
  S('PricingCategory', () => 'Standard'),
  S('PricingCurrency', (r) => (azurePlan(r) ? 'USD' : null)),
  D('PricingCurrencyContractedUnitPrice', NONE),
  D('PricingCurrencyEffectiveCost', (r) => (azurePlan(r) ? r.usd : null)),
  D('PricingCurrencyListUnitPrice', NONE),
  D('PricingQuantity', (r) => r.quantity),
  S('PricingUnit', (r) => orNull(r.meter.unit)),
  S('ProviderName', () => 'Microsoft', true),
  S('PublisherName', () => 'Microsoft', true),
  S('RegionId', (r) => orNull(r.owner.resource.location.toLowerCase().replace(/\s+/g, ''))),
  S('RegionName', (r) => orNull(r.owner.resource.location)),
  S('ResourceId', (r) => orNull(r.owner.resource.uri)),
  S('ResourceName', (r) => orNull(r.owner.resource.uri.split('/').pop() ?? '')),
  S('ResourceType', (r) => resourceType(r.owner.resource.uri)),
  S('ServiceCategory', (r) => categoryOf(r.meter), true),
  S('ServiceName', (r) => r.meter.category || 'Azure', true),
  S('ServiceSubcategory', (r) => `Other (${categoryOf(r.meter)})`, true),
  S('SkuId', (r) => (r.owner.subscription.offerId.includes(':') ? r.owner.subscription.offerId : null)),
  S('SkuMeter', (r) => orNull(r.meter.name)),
  { name: 'SkuPriceDetails', type: 'json', required: false, value: NONE },
  S('SkuPriceId', NONE),
  S('SubAccountId', (r) => r.owner.entitlement.id),
  S('SubAccountName', (r) => orNull(r.owner.entitlement.description)),
  S('SubAccountType', () => 'Subscription'),
  { name: 'Tags', type: 'json', required: false, value: (r) => tagsOf(r.owner.resource) },
  D('x_BilledCostInUsd', (r) => r.usd),
  S('x_CustomerId', (r) => r.owner.customer.tenantId),
  S('x_CustomerName', (r) => r.owner.customer.name),
  D('x_EffectiveCostInUsd', (r) => r.usd),
  S('x_InvoiceIssuerId', (r) => r.owner.partner.tenantId),
  S('x_ResellerId', (r) => orNull(r.owner.subscription.partnerOnRecord)),
  S('x_ResourceGroupName', (r) => orNull(r.owner.resource.group)),
  S('x_SkuMeterCategory', (r) => orNull(r.meter.category)),
  S('x_SkuMeterId', (r) => r.meter.id),
  S('x_SkuMeterSubcategory', (r) => orNull(r.meter.subcategory)),
  S('x_SkuRegion', (r) => orNull(r.meter.region)),
  S('x_SubscriptionId', (r) => r.owner.subscription.id),
];

export const FOCUS_LAYOUT: ExportLayout = {
  columns: FOCUS_COLUMNS,
  values: (row) => FOCUS_COLUMNS.map((c) => c.value(row)),
};

/** Partner Center's daily-rated reconciliation file: what `import` reads back to the same totals. */
export const RECONCILIATION_LAYOUT: ExportLayout = {
  columns: DAILY_RATED_COLUMNS.map((name) => ({
    name,
    type: DECIMAL_COLUMNS.has(name) ? 'decimal' : 'string',
    required: false,
  })),
  values: (row) => {
    const fields = reconciliationRow(row);
    return DAILY_RATED_COLUMNS.map((name) => fields[name]);
  },
};
