import fs from 'node:fs';
import Papa from 'papaparse';
import { DAILY_RATED_COLUMNS } from '../../src/domain/line-schema.js';

export type DailyRatedLine = Partial<Record<(typeof DAILY_RATED_COLUMNS)[number], string>>;

/** A daily-rated file of the given lines, other columns filled with plausible values. */
export function writeDailyRated(file: string, lines: DailyRatedLine[]): void {
  const rows = lines.map((line) => ({
    PartnerName: 'Partner',
    CustomerName: 'Customer',
    ProductId: 'DZH318Z0BPS6',
    SkuId: '0001',
    AvailabilityId: 'DZH318Z0BML6',
    MeterName: 'Meter',
    MeterCategory: 'Storage',
    MeterSubCategory: 'Tables',
    Unit: '1 GB',
    ChargeType: 'new',
    Quantity: '1',
    PricingCurrency: 'USD',
    EntitlementId: '1234547f-b249-4edd-9319-637862d8c0b4',
    ...line,
  }));
  fs.writeFileSync(file, Papa.unparse(rows, { columns: [...DAILY_RATED_COLUMNS], newline: '\n' }) + '\n');
}

const PLAN = 'a0000000-0000-4000-8000-000000000001';

/** One day's line of a customer's Azure plan (storage meter-1, 1 in USD on the 1st of this month), with overrides. */
export function usageLine(partner: string, customer: string, overrides: DailyRatedLine = {}): DailyRatedLine {
  return {
    PartnerId: partner,
    CustomerId: customer,
    SubscriptionId: PLAN,
    UsageDate: `${new Date().toISOString().slice(0, 8)}01T00:00:00Z`,
    MeterId: 'meter-1',
    BillingCurrency: 'USD',
    ResourceURI: `/subscriptions/${PLAN}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s1`,
    BillingPreTaxTotal: '1',
    PricingPreTaxTotal: '1',
    ...overrides,
  };
}
