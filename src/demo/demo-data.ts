import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentBillingPeriod, previousBillingPeriod } from '../domain/usage-model.js';
import { formatDecimal, parseDecimal, ZERO } from '../money/decimal.js';
import { csvField } from '../domain/csv-field.js';
import { DAILY_RATED_COLUMNS, LEGACY_COLUMNS } from '../domain/line-schema.js';
import { importFile } from '../ingest/importer.js';
import type { Store } from '../storage/store.js';

/**
 * Demo data for an empty database: reconciliation files written here and loaded through the real
 * importer. One partner; among a few hundred customers, the four of Partner Center's example
 * (names, currencies, legacy vs Azure plan, budgets 20 and 97).
 */
export const DEMO_PARTNER = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
export const DEMO_PARTNER_NAME = 'Contoso Demo Partner';

interface DemoCustomer {
  readonly id: string;
  readonly name: string;
  readonly currency: string;
  /** Units of the currency per USD, 8 decimals. */
  readonly rate: bigint;
  readonly country: string;
  readonly budget?: string;
  /** Usage only in the previous month: totalCost 0 now, as in the example. */
  readonly idleNow?: boolean;
  /** The tier-2 reseller it buys through (Tier2MpnId); none: the partner sells to it directly. */
  readonly reseller?: string;
}

/** The demo's tier-2 reseller: every third generated customer buys through it. */
export const DEMO_RESELLER = '7654321';

/**
 * Tenants the demo gives views of their own (access grants, issue #30): Modern Azure Customer UK's
 * own tenant (a viewer) and the reseller's (an analyst). `token --tenant <one of them>` signs in as it.
 */
export const DEMO_GRANTEES = {
  customer: 'd3d3d3d3-0000-4000-8000-0000000000c1',
  reseller: 'e4e4e4e4-0000-4000-8000-0000000000a1',
} as const;

/** The example's customers (shared/seeds/000). The legacy one comes from a legacy file. */
export const SEED_CUSTOMERS = {
  legacy: { id: 'a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1', name: 'LEGACY AZURE CUSTOMER SE' },
  modernSe: { id: 'b1b1b1b1-cccc-dddd-eeee-f2f2f2f2f2f2', name: 'Modern Azure Customer SE', budget: '20' },
  test: { id: 'c2c2c2c2-dddd-eeee-ffff-a3a3a3a3a3a3', name: 'Test_Test_MA20190829_14' },
  modernUk: { id: 'd3d3d3d3-eeee-ffff-aaaa-b4b4b4b4b4b4', name: 'Modern Azure Customer UK', budget: '97' },
} as const;

const MARKETS: [string, string, bigint][] = [
  ['US', 'USD', 100000000n],
  ['US', 'USD', 100000000n],
  ['DE', 'EUR', 92137500n],
  ['FR', 'EUR', 92137500n],
  ['GB', 'GBP', 78912345n],
  ['SE', 'SEK', 1052340000n],
  ['JP', 'JPY', 14652300000n],
  ['CA', 'CAD', 136540000n],
];
const NAMES = [
  'Contoso',
  'Fabrikam',
  'Northwind',
  'Adventure Works',
  'Tailspin',
  'Litware',
  'Proseware',
  'Wingtip',
  'Woodgrove',
  'Alpine Ski',
  'Blue Yonder',
  'Coho Winery',
  'Fourth Coffee',
  'Lucerne Publishing',
  'Relecloud',
  'Trey Research',
  'VanArsdel',
  'Wide World Importers',
  'Humongous Insurance',
  "Margie's Travel",
];
const SUFFIXES = ['Ltd', 'GmbH', 'Inc.', 'LLC', 'SA', 'AB', 'plc', 'Corp'];
const METERS: [string, string, string, string, string, bigint][] = [
  // meter id, name, category, subcategory, unit, USD unit price (8 decimals)
  ['6f6c4e0b-8d1f-4b8a-9c1e-000000000001', 'D2s v5', 'Virtual Machines', 'Dsv5 Series', '1 Hour', 9600000n],
  ['6f6c4e0b-8d1f-4b8a-9c1e-000000000002', 'E8s v5', 'Virtual Machines', 'Esv5 Series', '1 Hour', 50400000n],
  ['6f6c4e0b-8d1f-4b8a-9c1e-000000000003', 'LRS Data Stored', 'Storage', 'Tables', '1 GB/Month', 4500000n],
  ['6f6c4e0b-8d1f-4b8a-9c1e-000000000004', 'Batch Write Operations', 'Storage', 'Tables', '10K', 36000n],
  ['6f6c4e0b-8d1f-4b8a-9c1e-000000000005', 'Data Transfer Out', 'Bandwidth', 'Bandwidth', '1 GB', 8700000n],
  ['6f6c4e0b-8d1f-4b8a-9c1e-000000000006', 'vCore', 'SQL Database', 'Single vCore', '1 Hour', 25200000n],
  ['6f6c4e0b-8d1f-4b8a-9c1e-000000000007', 'P1 v3 App', 'Azure App Service', 'Premium v3 Plan', '1 Hour', 22500000n],
  ['6f6c4e0b-8d1f-4b8a-9c1e-000000000008', 'Data Ingestion', 'Log Analytics', 'Analytics Logs', '1 GB', 276000000n],
];

/** The demo customer (by index) whose latest day spikes. */
const SPIKE_CUSTOMER = 7;

/**
 * Budgets for every tenth demo customer, as a percentage of its spend so far this month: trending
 * over (33 %: the month-end forecast passes it), comfortable, past the 80 % badge, near 100 %, over.
 */
const BUDGET_SHARES = [33, 60, 85, 97, 130];

/** total × 100 / percent, to the cent (at least 1): a budget that `total` uses `percent` of. */
function budgetFor(total: string, percent: number): string {
  const d = parseDecimal(total) ?? ZERO;
  const cents = (d.units * 10_000n) / (10n ** BigInt(d.scale) * BigInt(percent));
  return formatDecimal({ units: cents > 100n ? cents : 100n, scale: 2 });
}

/** A small deterministic PRNG (mulberry32), so the demo is the same on every machine. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fixed(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

function previousPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

export interface DemoOptions {
  readonly customers?: number;
  readonly now?: Date;
}

/** Writes the demo files into `dir`; returns their paths (daily rated, legacy). */
export function writeDemoFiles(dir: string, options: DemoOptions = {}): string[] {
  const rnd = prng(20190917);
  const guid = () => {
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rnd() * 4)]}${hex(3)}-${hex(12)}`;
  };
  const now = options.now ?? new Date();
  const current = currentBillingPeriod(now);
  const previous = previousPeriod(current);
  const earlier = previousPeriod(previous);
  const customers: DemoCustomer[] = [
    { ...SEED_CUSTOMERS.modernSe, currency: 'SEK', rate: 1052340000n, country: 'SE' },
    { ...SEED_CUSTOMERS.test, currency: 'GBP', rate: 78912345n, country: 'GB', idleNow: true },
    { ...SEED_CUSTOMERS.modernUk, currency: 'GBP', rate: 78912345n, country: 'GB' },
  ];
  for (let i = customers.length; i < (options.customers ?? 300); i++) {
    const [country, currency, rate] = MARKETS[Math.floor(rnd() * MARKETS.length)]!;
    const name = `${NAMES[i % NAMES.length]!} ${Math.floor(i / NAMES.length) + 1} ${SUFFIXES[Math.floor(rnd() * SUFFIXES.length)]!}`;
    customers.push({ id: guid(), name, currency, rate, country, ...(i % 3 === 0 ? { reseller: DEMO_RESELLER } : {}) });
  }

  const lines: string[] = [DAILY_RATED_COLUMNS.join(',')];
  const daysOf = (period: string) => {
    const [y, m] = period.split('-').map(Number) as [number, number];
    const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
    return period === current ? Math.max(1, now.getUTCDate() - 1) : last;
  };
  for (const [index, c] of customers.entries()) {
    const plan = guid();
    const entitlements = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => guid());
    const resources = Array.from({ length: 2 + Math.floor(rnd() * 3) }, (_, r) => {
      const meter = METERS[Math.floor(rnd() * METERS.length)]!;
      const ent = entitlements[r % entitlements.length]!;
      const scale = 0.5 + rnd() * 20;
      return {
        meter,
        ent,
        uri: `/subscriptions/${ent}/resourceGroups/rg-demo-${r}/providers/Microsoft.Compute/virtualMachines/vm-${r}`,
        scale,
      };
    });
    for (const period of c.idleNow ? [previous] : [earlier, previous, current]) {
      for (let d = 1; d <= daysOf(period); d++) {
        const day = `${period}-${String(d).padStart(2, '0')}T00:00:00Z`;
        // One customer's latest day is ten times its usual spend: the anomaly flag has something to show.
        const spike = index === SPIKE_CUSTOMER && period === current && d === daysOf(current) ? 10 : 1;
        for (const r of resources) {
          const [meterId, meterName, category, subcategory, unit, price] = r.meter;
          const quantity = BigInt(Math.max(1, Math.round(r.scale * (0.5 + rnd()) * 1e6 * spike)));
          const usd = (quantity * price + 50n) / 100n; // 10^-14 → 10^-12, rounded
          const billing = (usd * c.rate + 50000000n) / 100000000n;
          const values: Record<string, string> = {
            PartnerId: DEMO_PARTNER,
            PartnerName: DEMO_PARTNER_NAME,
            CustomerId: c.id,
            CustomerName: c.name,
            CustomerDomainName: `${c.name.toLowerCase().replace(/[^a-z0-9]/g, '')}.onmicrosoft.com`,
            CustomerCountry: c.country,
            MpnId: '1234567',
            Tier2MpnId: c.reseller ?? '',
            ProductId: 'DZH318Z0BPS6',
            SkuId: '0001',
            AvailabilityId: 'DZH318Z0BML6',
            SkuName: 'Azure plan',
            ProductName: 'Azure plan',
            PublisherName: 'Microsoft',
            SubscriptionDescription: 'Azure plan',
            SubscriptionId: plan,
            ChargeStartDate: `${period}-01T00:00:00Z`,
            UsageDate: day,
            MeterType: 'Consumption',
            MeterCategory: category,
            MeterId: meterId,
            MeterSubCategory: subcategory,
            MeterName: meterName,
            MeterRegion: 'EU West',
            Unit: unit,
            ResourceLocation: 'westeurope',
            ConsumedService: 'Microsoft.Compute',
            ResourceGroup: r.uri.split('/')[4]!,
            ResourceURI: r.uri,
            ChargeType: 'new',
            UnitPrice: fixed(price, 8),
            Quantity: fixed(quantity, 6),
            UnitType: 'Consumption',
            BillingPreTaxTotal: fixed(billing, 12),
            BillingCurrency: c.currency,
            PricingPreTaxTotal: fixed(usd, 12),
            PricingCurrency: 'USD',
            Tags: '{"env":"demo"}',
            EffectiveUnitPrice: fixed(price, 8),
            PCToBCExchangeRate: fixed(c.rate, 8),
            EntitlementId: r.ent,
            EntitlementDescription: 'Partner Subscription',
            PartnerEarnedCreditPercentage: '0',
            CreditPercentage: '0',
          };
          lines.push(DAILY_RATED_COLUMNS.map((col) => csvField(values[col] ?? '')).join(','));
        }
      }
    }
  }
  const daily = path.join(dir, 'demo-daily-rated.csv');
  fs.writeFileSync(daily, lines.join('\n') + '\n');

  // The legacy (MS-AZR-0145P) customer: a legacy file, usage last month only.
  const legacy = path.join(dir, 'demo-legacy.csv');
  const [py, pm] = previous.split('-').map(Number) as [number, number];
  const legacyLines = [LEGACY_COLUMNS.join(',')];
  for (let d = 1; d <= 5; d++) {
    const values: Record<string, string> = {
      PartnerId: DEMO_PARTNER,
      PartnerName: DEMO_PARTNER_NAME,
      CustomerCompanyName: SEED_CUSTOMERS.legacy.name,
      CustomerId: SEED_CUSTOMERS.legacy.id,
      DomainName: 'legacyse.onmicrosoft.com',
      SubscriptionId: 'a1b2c3d4-1111-4222-8333-944455556666',
      SubscriptionName: 'Microsoft Azure',
      SubscriptionDescription: 'Microsoft Azure',
      ServiceName: 'VIRTUAL MACHINES',
      ServiceType: 'Standard_D1 VM',
      ResourceGuid: '2a2419c0-1a1b-4f5d-8e5a-7d8e1e3b2c1a',
      ResourceName: 'Compute Hours',
      Region: 'EU West',
      ConsumedQuantity: '24',
      PretaxCharges: '4.572234',
      Currency: 'EUR',
      ChargeType: 'Usage',
      Unit: 'Hours',
      UsageDate: `${pm}/${d}/${py}`,
    };
    legacyLines.push(LEGACY_COLUMNS.map((col) => csvField(values[col] ?? '')).join(','));
  }
  fs.writeFileSync(legacy, legacyLines.join('\n') + '\n');
  return [daily, legacy];
}

/**
 * Loads the demo into `store` through the importer: the two months before this one and this one to
 * date, the example's budgets, budgets below, near and over their thresholds for every tenth
 * other customer, the partner's price rule (cost + 12 %) and two access grants (DEMO_GRANTEES).
 */
export async function loadDemoData(
  store: Store,
  options: DemoOptions = {},
): Promise<{ lines: number; customers: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partner-usage-demo-'));
  try {
    let lines = 0;
    for (const file of writeDemoFiles(dir, options)) lines += (await importFile(store, file)).lines;
    await store.setBudget(DEMO_PARTNER, SEED_CUSTOMERS.modernSe.id, SEED_CUSTOMERS.modernSe.budget);
    await store.setBudget(DEMO_PARTNER, SEED_CUSTOMERS.modernUk.id, SEED_CUSTOMERS.modernUk.budget);
    const seeds = new Set<string>(Object.values(SEED_CUSTOMERS).map((c) => c.id));
    const current = await store.customerUsage(DEMO_PARTNER, currentBillingPeriod(options.now ?? new Date()));
    const others = current.filter((c) => !seeds.has(c.tenantId) && c.billingTotal !== '0');
    for (let i = 0; i < others.length; i += 10) {
      const c = others[i]!;
      await store.setBudget(
        DEMO_PARTNER,
        c.tenantId,
        budgetFor(c.billingTotal, BUDGET_SHARES[(i / 10) % BUDGET_SHARES.length]!),
      );
    }
    // The partner's price: cost + 12 % from the demo's first month, so that prices and margins show.
    const first = previousBillingPeriod(previousBillingPeriod(currentBillingPeriod(options.now ?? new Date())));
    await store.prices.set(
      DEMO_PARTNER,
      { basis: 'cost', adjust: '12', customer: null, reseller: null, category: null, publisher: null, from: first },
      'demo',
    );
    await store.access.add(
      DEMO_PARTNER,
      { tenantId: DEMO_GRANTEES.customer, scope: 'customer', id: SEED_CUSTOMERS.modernUk.id, role: 'viewer' },
      'demo',
    );
    await store.access.add(
      DEMO_PARTNER,
      { tenantId: DEMO_GRANTEES.reseller, scope: 'reseller', id: DEMO_RESELLER, role: 'analyst' },
      'demo',
    );
    return { lines, customers: await store.customerCount(DEMO_PARTNER) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
