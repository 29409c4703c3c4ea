import fs from 'node:fs';
import Papa from 'papaparse';
import { DAILY_RATED_COLUMNS } from '../../src/ingest/file-formats.js';

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
