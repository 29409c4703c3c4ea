import { plainDecimal } from '../money/decimal.js';
import type { DailyRatedColumn } from '../ingest/file-formats.js';
import type { StoredLineRow } from '../storage/line-reader.js';
import { DECIMAL_COLUMNS, reconciliationRow } from './reconciliation-row.js';

/**
 * Graph's `basic` attribute set (billing-export-api.md §6.2): 30 of the file's columns; `full`
 * is all of them.
 */
const BASIC_ATTRIBUTES: ReadonlySet<DailyRatedColumn> = new Set<DailyRatedColumn>([
  'PartnerId',
  'PartnerName',
  'CustomerId',
  'CustomerName',
  'InvoiceNumber',
  'ProductId',
  'SkuId',
  'SkuName',
  'PublisherName',
  'SubscriptionId',
  'ChargeStartDate',
  'ChargeEndDate',
  'UsageDate',
  'ResourceURI',
  'ChargeType',
  'UnitPrice',
  'Quantity',
  'UnitType',
  'BillingPreTaxTotal',
  'BillingCurrency',
  'PricingPreTaxTotal',
  'PricingCurrency',
  'AdditionalInfo',
  'EffectiveUnitPrice',
  'PCToBCExchangeRate',
  'EntitlementId',
  'CreditPercentage',
  'CreditType',
  'BenefitOrderId',
  'BenefitType',
]);

export type AttributeSet = 'full' | 'basic';

/**
 * One line of an export blob (gzip JSON Lines): the attribute table's PascalCase names, money and
 * quantities as JSON numbers with every digit, an empty field as null.
 */
export function blobLine(row: StoredLineRow, attributes: AttributeSet): string {
  const fields = reconciliationRow(row);
  const parts: string[] = [];
  for (const [name, value] of Object.entries(fields) as [DailyRatedColumn, string][]) {
    if (attributes === 'basic' && !BASIC_ATTRIBUTES.has(name)) continue;
    const json = value === '' ? 'null' : DECIMAL_COLUMNS.has(name) ? plainDecimal(value) : JSON.stringify(value);
    parts.push(`"${name}":${json}`);
  }
  return `{${parts.join(',')}}`;
}

/** The older line-item API's names where they are not the file's column in camelCase. */
const V1_NAMES: Partial<Record<DailyRatedColumn, string>> = {
  Tier2MpnId: 'resellerMpnId',
  Unit: 'unitOfMeasure',
  ResourceURI: 'resourceUri',
  PCToBCExchangeRate: 'pcToBCExchangeRate',
  PCToBCExchangeRateDate: 'pcToBCExchangeRateDate',
  PartnerEarnedCreditPercentage: 'rateOfPartnerEarnedCredit',
  CreditPercentage: 'rateOfCredit',
};

/** Columns the older API has no field for (billing-export-api.md §7). */
const NOT_IN_V1: ReadonlySet<DailyRatedColumn> = new Set<DailyRatedColumn>([
  'BenefitOrderId',
  'BenefitId',
  'BenefitType',
]);

/** One `DailyRatedUsageLineItem` of `GET /v1/invoices/unbilled/lineitems`, as JSON text. */
export function v1LineItem(row: StoredLineRow): string {
  const fields = reconciliationRow(row);
  const parts: string[] = [];
  for (const [name, value] of Object.entries(fields) as [DailyRatedColumn, string][]) {
    if (NOT_IN_V1.has(name)) continue;
    const key = V1_NAMES[name] ?? name[0]!.toLowerCase() + name.slice(1);
    const json = DECIMAL_COLUMNS.has(name) ? plainDecimal(value) : JSON.stringify(value);
    parts.push(`"${key}":${json}`);
  }
  parts.push(
    '"hasPartnerEarnedCredit":false',
    '"invoiceLineItemType":"usage_line_items"',
    '"billingProvider":"marketplace"',
    '"attributes":{"objectType":"DailyRatedUsageLineItem"}',
  );
  return `{${parts.join(',')}}`;
}
