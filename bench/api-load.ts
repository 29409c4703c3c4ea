import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DAILY_RATED_COLUMNS } from '../src/ingest/file-formats.js';
import { ROOT } from './bench-file.js';

export const CONNECTIONS = 50;

/** A daily-rated file with one line for each of `customers` customers of `partner`. */
export function writeCustomersFile(dir: string, customers: number, partner: string): string {
  const file = path.join(dir, `customers-${customers}.csv`);
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const lines = [DAILY_RATED_COLUMNS.join(',')];
  for (let i = 0; i < customers; i++) {
    const values: Record<string, string> = {
      PartnerId: partner,
      PartnerName: 'Bench Partner',
      CustomerId: `${hex(i, 8)}-0000-4000-8000-000000000000`,
      CustomerName: `Customer ${i}`,
      SubscriptionId: `${hex(i, 8)}-1111-4000-8000-000000000000`,
      UsageDate: '2026-10-01',
      MeterId: 'DZH318Z0BNVX-005J',
      MeterName: 'Data Transfer In',
      Quantity: '1.5',
      BillingPreTaxTotal: `${i}.123456789012`,
      BillingCurrency: i % 3 === 0 ? 'EUR' : 'USD',
      PricingPreTaxTotal: `${i}.12345`,
      PricingCurrency: 'USD',
      EntitlementId: `${hex(i, 8)}-2222-4000-8000-000000000000`,
      ResourceURI: `/subscriptions/x/resourceGroups/rg/vm-${i}`,
    };
    lines.push(DAILY_RATED_COLUMNS.map((c) => values[c] ?? '').join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/** autocannon in its own process (asynchronous: servers under load may run in this one). */
export async function autocannon(
  url: string,
  token: string,
  seconds: number,
  connections = CONNECTIONS,
): Promise<Load> {
  const { stdout } = await promisify(execFile)(
    path.join(ROOT, 'node_modules/.bin/autocannon'),
    ['-c', String(connections), '-d', String(seconds), '-j', '-H', `Authorization=Bearer ${token}`, url],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const r = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors };
}
