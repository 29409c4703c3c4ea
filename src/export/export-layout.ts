import { addDays, dayDate } from '../domain/usage-day.js';
import { columnsOf, nameIn, type LineColumn, type LineFormat } from '../domain/line-schema.js';
import { formatDecimal, multiply, parseDecimal, type Decimal } from '../money/decimal.js';
import type { StoredLineRow } from '../storage/line-reader.js';
import { focusUnit } from './focus-unit.js';
import { COLUMN as C, LEGACY_COLUMN as L, lineFormat, lineValue } from './line-values.js';
import { boundsOf } from './reconciliation-row.js';

export interface ExportColumn {
  readonly name: string;
  readonly type: 'string' | 'decimal' | 'timestamp' | 'json';
  /** FOCUS says the column is never null: Parquet declares it REQUIRED. */
  readonly required: boolean;
  /** An earlier column whose value this one holds on every line (written once: column-groups.ts). */
  readonly sameAs?: string;
}

/** What an export writes: its columns, and a stored line's values in their order (null: none). */
export interface ExportLayout {
  readonly columns: readonly ExportColumn[];
  values(row: StoredLineRow): (string | null)[];
  /** The line's values of the decimal columns alone, in their order: what a Parquet export reads first. */
  decimals(row: StoredLineRow): (string | null)[];
}

/** Where a layout's decimal columns are among its columns: the order of its decimals(row). */
export const decimalPositions = (columns: readonly ExportColumn[]): number[] =>
  columns.flatMap((c, i) => (c.type === 'decimal' ? [i] : []));

/**
 * A layout from its columns and values alone: its decimals are read from the whole row's values
 * (for layouts made from another's — a customer's FOCUS, a grantee's lines — off the hot path).
 */
export function layoutOf(
  columns: readonly ExportColumn[],
  values: (row: StoredLineRow) => (string | null)[],
): ExportLayout {
  const at = decimalPositions(columns);
  return {
    columns,
    values,
    decimals: (row) => {
      const all = values(row);
      return at.map((i) => all[i]!);
    },
  };
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
 * `fn` remembered per text: a meter's category, a resource's tags repeat line after line. At most
 * 10,000 texts are kept (then forgotten at once), so no file's values grow memory without bound.
 */
function perText<V>(fn: (text: string) => V): (text: string) => V {
  const memo = new Map<string, { value: V }>();
  return (text) => {
    const known = memo.get(text); // one look-up a line, not two (has, then get)
    if (known) return known.value;
    if (memo.size >= 10_000) memo.clear();
    const value = fn(text);
    memo.set(text, { value });
    return value;
  };
}

const categoryOf = perText(serviceCategory);

const orNull = (text: string): string | null => (text === '' ? null : text);

/** `Microsoft.Compute/virtualMachines` from a resource id. */
const resourceType = perText((uri: string): string | null => {
  const m = /\/providers\/([^/]+)\/([^/]+)/i.exec(uri);
  return m ? `${m[1]}/${m[2]}` : null;
});
/** ResourceName: the resource id's last segment. */
const resourceName = perText((uri: string) => orNull(uri.slice(uri.lastIndexOf('/') + 1)));

/** Tags that are a JSON object (FOCUS's Tags is one); other text, which real files hold, is left out. */
const tagsJson = perText((tags: string): string | null => {
  if (tags.trim() === '') return null;
  const text = tags.trim().startsWith('{') ? tags : `{${tags}}`; // Microsoft writes them without braces at times
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? JSON.stringify(parsed) : null;
  } catch {
    return null;
  }
});

// A day's timestamp text made once (the same text object each line: the sinks look values up).
const days = new Map<number, string>();
function day(d: number): string {
  let text = days.get(d);
  if (text === undefined) {
    if (days.size >= 10_000) days.clear();
    days.set(d, (text = `${dayDate(d)}T00:00:00Z`));
  }
  return text;
}
const otherOf = perText((category: string) => `Other (${category})`);

/** Exact decimal text of a × b; null when either is empty or not a decimal. */
function times(a: string, b: string): string | null {
  const x = parseDecimal(a.trim());
  const y = parseDecimal(b.trim());
  return x && y ? formatDecimal(multiply(x, y)) : null;
}

/** A unit price in the billing currency: its exact text, and its value for the line's costs. */
type Price = { readonly text: string; readonly value: Decimal } | null;

/**
 * `fn` remembered per pair of texts, by the first and then the second — the texts themselves, no
 * key made a call (a key string a line cost a hash each line) — 10,000 pairs at most.
 */
function perPair<V>(fn: (a: string, b: string) => V): (a: string, b: string) => V {
  const memo = new Map<string, Map<string, { value: V }>>();
  let kept = 0;
  return (a, b) => {
    let byB = memo.get(a);
    const known = byB?.get(b);
    if (known) return known.value;
    if (++kept > 10_000) {
      memo.clear();
      kept = 1;
      byB = undefined;
    }
    if (!byB) memo.set(a, (byB = new Map()));
    const value = fn(a, b);
    byB.set(b, { value });
    return value;
  };
}

/**
 * A unit price in the billing currency, by the exchange rate and then the price (a customer's
 * rate, a meter's price repeat line after line): converted once each.
 */
const unitPrice = perPair((rate: string, price: string): Price => {
  const text = times(price, rate);
  return text === null ? null : { text, value: parseDecimal(text)! };
});

/** A legacy price, which Microsoft writes with a currency sign at times ("$0.0808"). */
const legacyPrice = (text: string) => text.trim().replace(/^[^\d.+-]+/, '');

/** A percentage as a fraction (15 → 0.15), exactly. */
const fraction = perText((percent: string): string | null => {
  const d = parseDecimal(percent.trim());
  return d ? formatDecimal({ units: d.units, scale: d.scale + 2 }) : null;
});
const pricingCurrencyOf = perText((code: string) => code.trim().toUpperCase() || 'USD');
// SkuPriceId's text by meter and availability (or legacy SKU): one string each, not one a line.
const skuPriceOf = perPair((meter: string, sku: string) => `${meter}/${sku}`);

/** FOCUS's commitment discount from a line's benefit columns (anchors.md §4.4: Microsoft's mapping). */
function commitment(benefitType: string, orderId: string, benefitId: string) {
  if (benefitId.trim() === '') return null;
  const savingsPlan = /savings/i.test(benefitType);
  const id = orderId.trim()
    ? savingsPlan
      ? `/providers/Microsoft.BillingBenefits/savingsPlanOrders/${orderId.trim()}/savingsPlans/${benefitId.trim()}`
      : `/providers/Microsoft.Capacity/reservationOrders/${orderId.trim()}/reservations/${benefitId.trim()}`
    : benefitId.trim();
  return {
    id,
    // Reservations commit to usage, savings plans to spend (Microsoft's FOCUS conversion).
    category: savingsPlan ? 'Spend' : 'Usage',
    type: savingsPlan ? 'Savings Plan' : benefitType.trim() || 'Reservation',
  };
}

/** A line's value of a column, under its daily-rated name or its legacy one ('' where the layout has none). */
const columnsOfLine = (r: StoredLineRow, legacy: boolean) => (daily: keyof typeof C, old?: keyof typeof L) =>
  legacy ? (old ? lineValue(r, L[old]) : '') : lineValue(r, C[daily]);

/**
 * What FOCUS's amounts are made of: its decimal columns read nothing else, so a Parquet export's
 * first pass (each decimal column's precision) reads only these.
 */
function focusAmounts(r: StoredLineRow) {
  const legacy = lineFormat(r) === 'legacy';
  const v = columnsOfLine(r, legacy);
  const billingCurrency = r.owner.customer.currency;
  const rate = legacy ? '1' : v('PCToBCExchangeRate');
  const sameCurrency = legacy || v('PricingCurrency').trim().toUpperCase() === billingCurrency;
  // A missing exchange rate is 1 only where the prices are in the billing currency already.
  const toBilling = rate.trim() !== '' ? rate : sameCurrency ? '1' : '';
  const pricingList = legacy ? legacyPrice(v('UnitPrice', 'ListPrice')) : v('UnitPrice');
  const pricingContracted = legacy ? legacyPrice(v('UnitPrice', 'PretaxEffectiveRate')) : v('EffectiveUnitPrice');
  const listUnitPrice = unitPrice(toBilling, pricingList);
  const contractedUnitPrice = unitPrice(toBilling, pricingContracted);
  // The quantity read once for both costs, each unit price once for all its lines.
  const quantity = parseDecimal(r.quantity.trim());
  const cost = (price: Price) => (price && quantity ? formatDecimal(multiply(price.value, quantity)) : null);
  return {
    legacy,
    rate: legacy ? '' : rate.trim(),
    billingCurrency,
    listUnitPrice: listUnitPrice?.text ?? null,
    contractedUnitPrice: contractedUnitPrice?.text ?? null,
    pricingList: pricingList.trim() === '' ? null : pricingList.trim(),
    pricingContracted: pricingContracted.trim() === '' ? null : pricingContracted.trim(),
    listCost: cost(listUnitPrice) ?? r.billing,
    contractedCost: cost(contractedUnitPrice) ?? r.billing,
    benefit: legacy ? null : commitment(v('BenefitType'), v('BenefitOrderId'), v('BenefitId')),
    pec: legacy ? '' : v('PartnerEarnedCreditPercentage').trim(),
    // Partner Center gives no USD figure for legacy lines: unknown, unless they are billed in USD.
    usd: legacy ? (billingCurrency === 'USD' ? r.billing : null) : r.usd,
    pricingCost: legacy ? r.billing : (orNull(v('PricingPreTaxTotal').trim()) ?? r.usd),
  };
}
type FocusAmounts = ReturnType<typeof focusAmounts>;

/**
 * What FOCUS's columns are made of, read once a line from the line's own columns: a daily-rated
 * line's, or a legacy line's under their legacy names (docs/sync.md#focus says which is which).
 */
function focusLine(r: StoredLineRow) {
  const amounts = focusAmounts(r);
  const { legacy, billingCurrency } = amounts;
  const v = columnsOfLine(r, legacy);
  const rawUnit = v('Unit', 'Unit');
  const meterId = v('MeterId', 'ResourceGuid');
  const location = legacy ? v('MeterRegion', 'MeteredRegion') || v('MeterRegion', 'Region') : v('ResourceLocation');
  const subAccount = legacy ? v('SubscriptionId', 'SubscriptionId') : v('EntitlementId');
  const meterCategory = v('MeterCategory', 'ServiceName');
  // The legacy file names no resource; its Project column holds the resource id in some files.
  const project = legacy ? lineValue(r, L.Project).trim() : '';
  const resourceId = legacy ? (project.startsWith('/subscriptions/') ? project : '') : v('ResourceURI').trim();
  // The amounts' fields one by one: a spread made each line's object a slow one (2× the export's time).
  return {
    legacy,
    rate: amounts.rate,
    billingCurrency,
    listUnitPrice: amounts.listUnitPrice,
    contractedUnitPrice: amounts.contractedUnitPrice,
    pricingList: amounts.pricingList,
    pricingContracted: amounts.pricingContracted,
    listCost: amounts.listCost,
    contractedCost: amounts.contractedCost,
    benefit: amounts.benefit,
    pec: amounts.pec,
    usd: amounts.usd,
    pricingCost: amounts.pricingCost,
    unit: focusUnit(rawUnit),
    rawUnit,
    meterId,
    meterName: v('MeterName', 'ResourceName'),
    meterCategory,
    category: categoryOf(meterCategory),
    resourceId,
    location,
    subAccount,
    subAccountName: legacy ? lineValue(r, L.SubscriptionName) : v('EntitlementDescription'),
    pricingCurrency: legacy ? billingCurrency : pricingCurrencyOf(v('PricingCurrency')),
    invoice: orNull(v('InvoiceNumber', 'InvoiceNumber').trim()),
    publisher: legacy ? 'Microsoft' : v('PublisherName').trim() || 'Microsoft',
    reseller: orNull(v('Tier2MpnId', 'ResellerMpnId').trim()),
    tags: legacy ? null : tagsJson(v('Tags')),
    product: v('ProductName'),
    skuPrice: skuPriceOf(meterId, legacy ? lineValue(r, L.Sku) : v('AvailabilityId')),
    subscription: v('SubscriptionId', 'SubscriptionId'),
    resourceGroup: v('ResourceGroup'),
    meterSubcategory: v('MeterSubCategory', 'ServiceType'),
    meterRegion: v('MeterRegion', 'Region'),
  };
}
type FocusLine = ReturnType<typeof focusLine>;

type FocusColumn = ExportColumn & {
  readonly value: (line: FocusLine, row: StoredLineRow) => string | null;
  /** A decimal column's value from the amounts alone (what a Parquet export's first pass reads). */
  readonly amount?: (amounts: FocusAmounts, row: StoredLineRow) => string | null;
};

const S = (name: string, value: FocusColumn['value'], required = false, sameAs?: string): FocusColumn => ({
  name,
  type: 'string',
  required,
  value,
  ...(sameAs === undefined ? {} : { sameAs }),
});
const D = (
  name: string,
  amount: NonNullable<FocusColumn['amount']>,
  required = false,
  sameAs?: string,
): FocusColumn => ({
  name,
  type: 'decimal',
  required,
  value: amount,
  amount,
  ...(sameAs === undefined ? {} : { sameAs }),
});
const T = (name: string, value: FocusColumn['value']): FocusColumn => ({
  name,
  type: 'timestamp',
  required: true,
  value,
});
const NONE = () => null;
const regionId = perText((location: string) => orNull(location.toLowerCase().replace(/\s+/g, '')));

/**
 * FOCUS 1.2's columns (anchors.md §4) from the lines' own columns, and the `x_` extensions
 * Microsoft's FOCUS export uses for CSP. Costs are in the customer's billing currency: BilledCost
 * and EffectiveCost are the line's pre-tax total (what the partner is billed, after partner-earned
 * credit and benefits); ListCost is the list unit price (UnitPrice × PCToBCExchangeRate) × the
 * quantity, ContractedCost the effective unit price's, both exact. docs/sync.md#focus says where
 * each value comes from and which rules a CSP export cannot meet.
 */
const FOCUS_COLUMNS: readonly FocusColumn[] = [
  S('AvailabilityZone', NONE),
  D('BilledCost', (_, r) => r.billing, true),
  S('BillingAccountId', (_, r) => r.owner.partner.tenantId, true),
  S('BillingAccountName', (_, r) => r.owner.partner.name),
  S('BillingAccountType', () => 'Partner', true),
  S('BillingCurrency', (l) => l.billingCurrency, true),
  T('BillingPeriodEnd', (_, r) => boundsOf(r.period).end),
  T('BillingPeriodStart', (_, r) => boundsOf(r.period).start),
  S('CapacityReservationId', NONE),
  S('CapacityReservationStatus', NONE),
  S('ChargeCategory', () => 'Usage', true),
  S('ChargeClass', NONE),
  S('ChargeDescription', (l) => orNull(l.meterName) ?? orNull(l.product)),
  S('ChargeFrequency', () => 'Usage-Based', true),
  T('ChargePeriodEnd', (_, r) => day(addDays(r.day, 1))),
  T('ChargePeriodStart', (_, r) => day(r.day)),
  S('CommitmentDiscountCategory', (l) => l.benefit?.category ?? null),
  S('CommitmentDiscountId', (l) => l.benefit?.id ?? null),
  S('CommitmentDiscountName', NONE),
  // Usage a reservation covers consumes its units; usage a savings plan covers, its spend (at list price).
  D('CommitmentDiscountQuantity', (l, r) =>
    l.benefit ? (l.benefit.category === 'Usage' ? r.quantity : times(l.pricingList ?? '', r.quantity)) : null,
  ),
  S('CommitmentDiscountStatus', (l) => (l.benefit ? 'Used' : null)),
  S('CommitmentDiscountType', (l) => l.benefit?.type ?? null),
  S('CommitmentDiscountUnit', (l) =>
    l.benefit ? (l.benefit.category === 'Usage' ? (l.unit ?? 'Units') : l.pricingCurrency) : null,
  ),
  D('ConsumedQuantity', (_, r) => r.quantity),
  S('ConsumedUnit', (l) => l.unit ?? 'Units'),
  D('ContractedCost', (l) => l.contractedCost, true),
  D('ContractedUnitPrice', (l) => l.contractedUnitPrice),
  D('EffectiveCost', (_, r) => r.billing, true, 'BilledCost'),
  S('InvoiceId', (l) => l.invoice),
  S('InvoiceIssuerName', (_, r) => r.owner.partner.name || r.owner.partner.tenantId, true),
  D('ListCost', (l) => l.listCost, true),
  D('ListUnitPrice', (l) => l.listUnitPrice),
  S('PricingCategory', (l) => (l.benefit ? 'Committed' : 'Standard')),
  S('PricingCurrency', (l) => l.pricingCurrency, true),
  D('PricingCurrencyContractedUnitPrice', (l) => l.pricingContracted),
  D('PricingCurrencyEffectiveCost', (l) => l.pricingCost, true),
  D('PricingCurrencyListUnitPrice', (l) => l.pricingList),
  D('PricingQuantity', (_, r) => r.quantity, false, 'ConsumedQuantity'),
  S('PricingUnit', (l) => l.unit ?? 'Units', false, 'ConsumedUnit'),
  S('ProviderName', () => 'Microsoft', true),
  S('PublisherName', (l) => l.publisher, true),
  S('RegionId', (l) => regionId(l.location)),
  S('RegionName', (l) => (regionId(l.location) === null ? null : l.location.trim())),
  S('ResourceId', (l) => orNull(l.resourceId)),
  S('ResourceName', (l) => resourceName(l.resourceId)),
  S('ResourceType', (l) => resourceType(l.resourceId)),
  S('ServiceCategory', (l) => l.category, true),
  S('ServiceName', (l) => l.meterCategory || 'Azure', true),
  S('ServiceSubcategory', (l) => otherOf(l.category), true),
  S('SkuId', (l) => orNull(l.meterId)),
  S('SkuMeter', (l) => (l.meterId === '' ? null : l.meterName || l.meterId)),
  { name: 'SkuPriceDetails', type: 'json', required: false, value: NONE },
  S('SkuPriceId', (l) => (l.meterId === '' ? null : l.skuPrice)),
  S('SubAccountId', (l) => orNull(l.subAccount)),
  S('SubAccountName', (l) => (l.subAccount === '' ? null : orNull(l.subAccountName))),
  S('SubAccountType', (l) => (l.subAccount === '' ? null : 'Subscription')),
  { name: 'Tags', type: 'json', required: false, value: (l) => l.tags },
  D('x_BilledCostInUsd', (l) => l.usd),
  D('x_BillingExchangeRate', (l) => orNull(l.rate)),
  S('x_CustomerId', (_, r) => r.owner.customer.tenantId),
  S('x_CustomerName', (_, r) => r.owner.customer.name),
  D('x_EffectiveCostInUsd', (l) => l.usd, false, 'x_BilledCostInUsd'),
  S('x_InvoiceIssuerId', (_, r) => r.owner.partner.tenantId, false, 'BillingAccountId'),
  S('x_PartnerCreditApplied', (l) => (l.legacy || l.pec === '' ? null : String(Number(l.pec) > 0))),
  D('x_PartnerCreditRate', (l) => (l.legacy || l.pec === '' ? null : fraction(l.pec))),
  S('x_PricingUnitDescription', (l) => orNull(l.rawUnit)),
  S('x_ResellerId', (l) => l.reseller),
  S('x_ResourceGroupName', (l) => orNull(l.resourceGroup)),
  S('x_SkuMeterCategory', (l) => orNull(l.meterCategory)),
  S('x_SkuMeterId', (l) => orNull(l.meterId), false, 'SkuId'),
  S('x_SkuMeterSubcategory', (l) => orNull(l.meterSubcategory)),
  S('x_SkuRegion', (l) => orNull(l.meterRegion)),
  S('x_SubscriptionId', (l) => orNull(l.subscription)),
];

const FOCUS_AMOUNTS = FOCUS_COLUMNS.filter((c) => c.amount);

export const FOCUS_LAYOUT: ExportLayout = {
  columns: FOCUS_COLUMNS,
  values: (row) => {
    const line = focusLine(row);
    return FOCUS_COLUMNS.map((c) => c.value(line, row));
  },
  decimals: (row) => {
    const amounts = focusAmounts(row);
    return FOCUS_AMOUNTS.map((c) => c.amount!(amounts, row));
  },
};

/** A number, by its value; an empty cell is null (CSV writes it empty, Parquet as null). */
function numberOf(row: StoredLineRow, column: LineColumn): string | null {
  const value = lineValue(row, column).trim();
  return value === '' ? null : value;
}

/** A reconciliation file's layout: its columns, each line's values as the file wrote them. */
function reconciliationLayout(format: LineFormat): ExportLayout {
  const columns = columnsOf(format);
  const isNumber = (c: LineColumn) => c.type === 'decimal' || c.type === 'percent';
  const numbers = columns.filter(isNumber);
  return {
    columns: columns.map((c) => ({
      name: nameIn(c, format)!,
      type: isNumber(c) ? 'decimal' : 'string',
      required: false,
    })),
    values: (row) => columns.map((c) => (isNumber(c) ? numberOf(row, c) : lineValue(row, c))),
    decimals: (row) => numbers.map((c) => numberOf(row, c)),
  };
}

/** Partner Center's daily-rated reconciliation file: what `import` reads back to the same lines. */
export const RECONCILIATION_LAYOUT: ExportLayout = reconciliationLayout('daily-rated');
/** The legacy (MS-AZR-0145P) file, for lines that came in it. */
export const LEGACY_RECONCILIATION_LAYOUT: ExportLayout = reconciliationLayout('legacy');
