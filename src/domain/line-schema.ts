/**
 * The rated line, described once: every column Microsoft sends, its name in each of the shapes a
 * line travels in, its type, whether it is part of the line's identity, and where the store keeps
 * it. The importer's column lists, the stored line's fields, every export layout (reconciliation
 * CSV, Graph blobs, v1 line items, FOCUS) and the column table of docs/ingest.md are derived from
 * this table (docs/ingest.md, "The line schema"). Adding a column is one entry here (and a
 * migration when it is kept somewhere besides the line itself).
 */

/**
 * - text: kept and given back as written;
 * - guid: a GUID (empty allowed unless required);
 * - decimal: an exact decimal number, a JSON number with every digit;
 * - datetime: a date with or without time (ISO-8601, or the legacy file's `M/D/YYYY H:mm`);
 * - percent: a percentage as a decimal number (15 = 15 %);
 * - json: JSON in a string (not always valid JSON in real files: never parsed on import).
 */
export type ColumnType = 'text' | 'guid' | 'decimal' | 'datetime' | 'percent' | 'json';

/** The dimension entry a key column names (its identity is hashed with the entry: line-identity.ts). */
export type EntryKey = 'partner' | 'customer' | 'subscription' | 'entitlement' | 'resource' | 'meter' | 'day';

export interface LineColumn {
  /** Its name in the daily-rated reconciliation file (Azure plan); null: only the legacy file has it. */
  readonly csv: string | null;
  /** Its name in the legacy MS-AZR-0145P file, and its position there; null: the legacy file lacks it. */
  readonly legacy: { readonly name: string; readonly at: number } | null;
  /** Its name in Graph's billing export blobs (PascalCase; read without regard to case). */
  readonly graph: string | null;
  /** Its name in the v1 line-item API's `DailyRatedUsageLineItem`; null: that API has none. */
  readonly v1: string | null;
  readonly type: ColumnType;
  /** In Graph's `basic` attribute set (every column is in `full`). */
  readonly basic: boolean;
  /** The file must have it (the importer refuses a header without it). */
  readonly required: boolean;
  /**
   * Part of the line's identity (docs/ingest.md): `entry` covered by a dimension entry's hash or
   * the usage day; a number, its place among the line's own hashed columns (never reordered: stored
   * identities depend on it); null: not part of it.
   */
  readonly identity: EntryKey | number | null;
  /** Where it is kept besides the line itself (which keeps every column as written). */
  readonly kept: string | null;
  /**
   * The line's amount it is (line-batch.ts: 0 quantity, 1 billing total, 2 USD total), which its
   * block stores anyway: the line's own text is stored only where it differs (line-fields.ts).
   */
  readonly amount: 0 | 1 | 2 | null;
}

interface Spec {
  graph?: string | null;
  v1?: string | null;
  basic?: true;
  required?: true;
  identity?: EntryKey | number;
  kept?: string;
  amount?: 0 | 1 | 2;
}

const camel = (name: string) => name[0]!.toLowerCase() + name.slice(1);

type LegacyOf<S> = S extends { legacy: readonly [infer L extends string, number] } ? { name: L; at: number } : null;

function daily<const N extends string, const S extends Spec & { legacy?: readonly [string, number] } = Spec>(
  csv: N,
  type: ColumnType,
  spec: S = {} as S,
) {
  return {
    csv,
    legacy: (spec.legacy ? { name: spec.legacy[0], at: spec.legacy[1] } : null) as LegacyOf<S>,
    graph: spec.graph === undefined ? csv : spec.graph,
    v1: spec.v1 === undefined ? camel(csv) : spec.v1,
    type,
    basic: spec.basic ?? false,
    required: spec.required !== undefined,
    identity: spec.identity ?? null,
    kept: spec.kept ?? null,
    amount: spec.amount ?? null,
  } as const;
}

function legacyOnly<const N extends string>(name: N, at: number, type: ColumnType, spec: Spec = {}) {
  return {
    csv: null,
    legacy: { name, at },
    graph: null,
    v1: null,
    type,
    basic: false,
    required: spec.required !== undefined,
    identity: spec.identity ?? null,
    kept: spec.kept ?? null,
    amount: null,
  } as const;
}

/** Daily-rated columns in the file's order (partner-center-api.md §12.1), then the legacy file's own (§12.2). */
export const LINE_COLUMNS = [
  daily('PartnerId', 'guid', {
    legacy: ['PartnerId', 0],
    basic: true,
    required: true,
    identity: 'partner',
    kept: 'partners',
  }),
  daily('PartnerName', 'text', { legacy: ['PartnerName', 1], basic: true, kept: 'partners' }),
  daily('CustomerId', 'guid', {
    legacy: ['CustomerId', 31],
    basic: true,
    required: true,
    identity: 'customer',
    kept: 'customers',
  }),
  daily('CustomerName', 'text', {
    legacy: ['CustomerCompanyName', 3],
    basic: true,
    required: true,
    kept: 'customers',
  }),
  daily('CustomerDomainName', 'text', { legacy: ['DomainName', 32], kept: 'customers' }),
  daily('CustomerCountry', 'text', { kept: 'customers' }),
  daily('MpnId', 'text', { legacy: ['MpnId', 4], kept: 'subscriptions (partner of record)' }),
  daily('Tier2MpnId', 'text', { legacy: ['ResellerMpnId', 5], v1: 'resellerMpnId' }),
  daily('InvoiceNumber', 'text', { legacy: ['InvoiceNumber', 6], basic: true }),
  daily('ProductId', 'text', { basic: true, identity: 1, kept: 'subscriptions (offer)' }),
  daily('SkuId', 'text', { basic: true, identity: 2, kept: 'subscriptions (offer)' }),
  daily('AvailabilityId', 'text', { identity: 3, kept: 'subscriptions (offer)' }),
  daily('SkuName', 'text', { basic: true, kept: 'subscriptions' }),
  daily('ProductName', 'text'),
  daily('PublisherName', 'text', { basic: true }),
  daily('PublisherId', 'text'),
  daily('SubscriptionDescription', 'text', { legacy: ['SubscriptionDescription', 11] }),
  // A GUID in the daily-rated file (the importer checks it there); a commerce id in the legacy one.
  daily('SubscriptionId', 'text', {
    legacy: ['SubscriptionId', 9],
    basic: true,
    required: true,
    identity: 'subscription',
    kept: 'subscriptions',
  }),
  daily('ChargeStartDate', 'datetime', { legacy: ['ChargeStartDate', 7], basic: true }),
  daily('ChargeEndDate', 'datetime', { legacy: ['ChargeEndDate', 8], basic: true }),
  daily('UsageDate', 'datetime', {
    legacy: ['UsageDate', 36],
    basic: true,
    required: true,
    identity: 'day',
    kept: 'line blocks (day)',
  }),
  daily('MeterType', 'text'),
  daily('MeterCategory', 'text', { legacy: ['ServiceName', 13], kept: 'meters' }),
  daily('MeterId', 'text', {
    legacy: ['ResourceGuid', 15],
    required: true,
    identity: 'meter',
    kept: 'meters',
  }),
  daily('MeterSubCategory', 'text', { legacy: ['ServiceType', 14], kept: 'meters' }),
  daily('MeterName', 'text', { legacy: ['ResourceName', 16], kept: 'meters' }),
  daily('MeterRegion', 'text', { legacy: ['Region', 17], kept: 'meters' }),
  daily('Unit', 'text', { legacy: ['Unit', 34], v1: 'unitOfMeasure', kept: 'meters' }),
  daily('ResourceLocation', 'text', { kept: 'resources' }),
  daily('ConsumedService', 'text', { kept: 'resources' }),
  daily('ResourceGroup', 'text', { kept: 'resources' }),
  daily('ResourceURI', 'text', { basic: true, v1: 'resourceUri', identity: 'resource', kept: 'resources' }),
  daily('ChargeType', 'text', { legacy: ['ChargeType', 30], basic: true, identity: 4 }),
  daily('UnitPrice', 'decimal', { basic: true }),
  daily('Quantity', 'decimal', {
    legacy: ['ConsumedQuantity', 20],
    basic: true,
    required: true,
    kept: 'line blocks (amounts)',
    amount: 0,
  }),
  daily('UnitType', 'text', { basic: true }),
  daily('BillingPreTaxTotal', 'decimal', {
    legacy: ['PretaxCharges', 24],
    basic: true,
    required: true,
    kept: 'line blocks (amounts)',
    amount: 1,
  }),
  daily('BillingCurrency', 'text', { legacy: ['Currency', 27], basic: true, required: true, kept: 'customers' }),
  // The USD amount where PricingCurrency is USD (else the amount is converted: line-decoder.ts).
  daily('PricingPreTaxTotal', 'decimal', {
    basic: true,
    required: true,
    kept: 'line blocks (amounts, USD)',
    amount: 2,
  }),
  daily('PricingCurrency', 'text', { basic: true, required: true }),
  daily('ServiceInfo1', 'text'),
  daily('ServiceInfo2', 'text'),
  daily('Tags', 'json', { kept: 'resources' }),
  daily('AdditionalInfo', 'json', { basic: true }),
  daily('EffectiveUnitPrice', 'decimal', { basic: true }),
  daily('PCToBCExchangeRate', 'decimal', { basic: true, v1: 'pcToBCExchangeRate' }),
  // Not in Graph's attribute table, but in Microsoft's own sample row model (billing-export-api.md §6.2).
  daily('PCToBCExchangeRateDate', 'datetime', { v1: 'pcToBCExchangeRateDate' }),
  daily('EntitlementId', 'guid', { basic: true, identity: 'entitlement', kept: 'entitlements' }),
  daily('EntitlementDescription', 'text', { kept: 'entitlements' }),
  daily('PartnerEarnedCreditPercentage', 'percent', { v1: 'rateOfPartnerEarnedCredit' }),
  daily('CreditPercentage', 'percent', { basic: true, v1: 'rateOfCredit' }),
  daily('CreditType', 'text', { basic: true, identity: 8 }),
  // Graph's attribute table spells these …ID; the file and Microsoft's sample code …Id (either is read).
  daily('BenefitOrderId', 'text', { basic: true, v1: null, identity: 5 }),
  daily('BenefitId', 'text', { v1: null, identity: 6 }),
  daily('BenefitType', 'text', { basic: true, v1: null, identity: 7 }),
  legacyOnly('PartnerBillableAccountId', 2, 'text'),
  legacyOnly('SubscriptionName', 10, 'text', { kept: 'entitlements (description)' }),
  legacyOnly('OrderId', 12, 'text'),
  legacyOnly('Sku', 18, 'text', { identity: 10 }),
  legacyOnly('DetailLineItemId', 19, 'text'),
  legacyOnly('IncludedQuantity', 21, 'decimal'),
  legacyOnly('OverageQuantity', 22, 'decimal'),
  // Text: Microsoft's own sample writes it with a currency sign ("$0.0808").
  legacyOnly('ListPrice', 23, 'text'),
  legacyOnly('TaxAmount', 25, 'decimal'),
  legacyOnly('PostTaxTotal', 26, 'decimal'),
  legacyOnly('PretaxEffectiveRate', 28, 'decimal'),
  legacyOnly('PostTaxEffectiveRate', 29, 'decimal'),
  legacyOnly('BillingCycleType', 33, 'text'),
  legacyOnly('CustomerBillableAccount', 35, 'text'),
  legacyOnly('MeteredRegion', 37, 'text', { identity: 5 }),
  legacyOnly('MeteredService', 38, 'text', { identity: 6 }),
  legacyOnly('MeteredServiceType', 39, 'text', { identity: 7 }),
  legacyOnly('Project', 40, 'text', { identity: 8 }),
  legacyOnly('ServiceInfo', 41, 'text', { identity: 9 }),
] as const satisfies readonly LineColumn[];

type Entry = (typeof LINE_COLUMNS)[number];
export type DailyRatedColumn = Exclude<Entry['csv'], null>;
export type LegacyColumn = Exclude<Entry['legacy'], null>['name'];
export type LineFormat = 'daily-rated' | 'legacy';

/** A column's name in a file layout; null where that layout has no such column. */
export const nameIn = (column: LineColumn, format: LineFormat): string | null =>
  format === 'daily-rated' ? column.csv : (column.legacy?.name ?? null);

/** The columns of a file layout, in its order. */
export function columnsOf(format: LineFormat): readonly LineColumn[] {
  const list: readonly LineColumn[] = LINE_COLUMNS;
  return format === 'daily-rated'
    ? list.filter((c) => c.csv !== null)
    : list.filter((c) => c.legacy !== null).sort((a, b) => a.legacy!.at - b.legacy!.at);
}

/** §12.1 — daily rated usage (Azure plan), 55 columns. */
export const DAILY_RATED_COLUMNS = columnsOf('daily-rated').map((c) => c.csv) as readonly DailyRatedColumn[];
/** §12.2 — the legacy usage-based file (MS-AZR-0145P), 42 columns. */
export const LEGACY_COLUMNS = columnsOf('legacy').map((c) => c.legacy!.name) as readonly LegacyColumn[];

// In the table's order, which error messages list missing columns in.
const requiredIn = (format: LineFormat) =>
  (LINE_COLUMNS as readonly LineColumn[])
    .filter((c) => c.required && nameIn(c, format) !== null)
    .map((c) => nameIn(c, format)!);

/** The columns a file must have; every other column may be absent. */
export const DAILY_RATED_REQUIRED = requiredIn('daily-rated') as readonly DailyRatedColumn[];
export const LEGACY_REQUIRED = requiredIn('legacy') as readonly LegacyColumn[];

/**
 * The line's own identity columns of a layout, in hash order: those not covered by a dimension
 * entry or the usage day (line-identity.ts).
 */
export function hashedIdentityColumns(format: LineFormat): readonly string[] {
  return columnsOf(format)
    .filter((c) => typeof c.identity === 'number')
    .sort((a, b) => (a.identity as number) - (b.identity as number))
    .map((c) => nameIn(c, format)!);
}
