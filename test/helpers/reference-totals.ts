import fs from 'node:fs';
import zlib from 'node:zlib';
import Papa from 'papaparse';

/**
 * Totals computed independently of the importer: papaparse reads the file, BigInt sums the
 * decimals scaled to 18 places. Keys as the generator's --expect: customer, customer/plan,
 * customer/plan/meter.
 */
export interface ReferenceTotals {
  customers: Map<string, { billing: bigint; usd: bigint }>;
  subscriptions: Map<string, { billing: bigint; usd: bigint }>;
  meters: Map<string, { billing: bigint; usd: bigint; quantity: bigint }>;
  lines: number;
}

export const SCALE = 18;

export function scaled(text: string): bigint {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new Error(`not a plain decimal: ${text}`);
  const frac = (m[3] ?? '').padEnd(SCALE, '0');
  if (frac.length > SCALE) throw new Error(`more than ${SCALE} places: ${text}`);
  const v = BigInt((m[2] || '0') + frac);
  return m[1] === '-' ? -v : v;
}

export function referenceTotals(file: string): ReferenceTotals {
  let text = file.endsWith('.gz')
    ? zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')
    : fs.readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  const out: ReferenceTotals = { customers: new Map(), subscriptions: new Map(), meters: new Map(), lines: 0 };
  for (const row of parsed.data) {
    const customer = row.CustomerId!;
    const sub = `${customer}/${row.SubscriptionId}`;
    const meter = `${sub}/${row.MeterId}`;
    const billing = scaled(row.BillingPreTaxTotal!);
    const usd = scaled(row.PricingPreTaxTotal!);
    const quantity = scaled(row.Quantity!);
    for (const [map, key] of [
      [out.customers, customer],
      [out.subscriptions, sub],
    ] as const) {
      const t = map.get(key) ?? { billing: 0n, usd: 0n };
      t.billing += billing;
      t.usd += usd;
      map.set(key, t);
    }
    const m = out.meters.get(meter) ?? { billing: 0n, usd: 0n, quantity: 0n };
    m.billing += billing;
    m.usd += usd;
    m.quantity += quantity;
    out.meters.set(meter, m);
    out.lines++;
  }
  return out;
}
