import { isCovered, pecEarned, retailOf, type PriceBase } from '../domain/price-rules.js';
import { add, formatDecimal, ZERO, type Decimal } from '../money/decimal.js';
import type { Store } from '../storage/store.js';
import { amountsOf, scopeOf } from './line-pricing.js';

type Sums = Record<
  'cost' | 'costUncovered' | 'retailUncovered' | 'pec' | 'usd' | 'usdUncovered' | 'usdRetailUncovered',
  Decimal
>;

/** A period's lines summed per what chooses their rule (domain/price-rules.ts, PriceBase): one pass over them. */
async function computeBases(store: Store, partnerTenantId: string, period: string): Promise<PriceBase[]> {
  const groups = new Map<string, { base: Omit<PriceBase, keyof Sums | 'lines'>; lines: number; sums: Sums }>();
  for await (const row of store.lines.rows(partnerTenantId, period)) {
    const scope = scopeOf(row);
    const key = [scope.customer, row.owner.subscription.id, scope.reseller, scope.category, scope.publisher].join(
      '\u0000',
    );
    let g = groups.get(key);
    if (!g) {
      g = {
        base: {
          customer: scope.customer,
          customerName: row.owner.customer.name,
          currency: row.owner.customer.currency,
          subscription: row.owner.subscription.id,
          subscriptionName: row.owner.subscription.description,
          reseller: scope.reseller,
          category: scope.category,
          publisher: scope.publisher,
        },
        lines: 0,
        sums: {
          cost: ZERO,
          costUncovered: ZERO,
          retailUncovered: ZERO,
          pec: ZERO,
          usd: ZERO,
          usdUncovered: ZERO,
          usdRetailUncovered: ZERO,
        },
      };
      groups.set(key, g);
    }
    const { billing, usd, pec } = amountsOf(row);
    const s = g.sums;
    g.lines++;
    s.cost = add(s.cost, billing.cost);
    s.usd = add(s.usd, usd.cost);
    if (isCovered(billing)) continue;
    const retail = retailOf(billing);
    s.costUncovered = add(s.costUncovered, billing.cost);
    s.retailUncovered = add(s.retailUncovered, retail ?? billing.cost);
    s.usdUncovered = add(s.usdUncovered, usd.cost);
    s.usdRetailUncovered = add(s.usdRetailUncovered, retailOf(usd) ?? usd.cost);
    s.pec = add(s.pec, pecEarned(billing, pec));
  }
  return [...groups.values()].map(({ base, lines, sums }) => ({
    ...base,
    lines,
    ...(Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, formatDecimal(v)])) as Record<keyof Sums, string>),
  }));
}

/**
 * The period's price bases for its lines as tagged `tag` (their snapshot tag): the ones kept when
 * the lines have not changed since, else computed from the lines and kept. A million lines take one
 * pass over them once after a change.
 */
export async function priceBases(
  store: Store,
  partnerTenantId: string,
  period: string,
  tag: string,
): Promise<PriceBase[]> {
  const kept = await store.prices.bases(partnerTenantId, period, tag);
  if (kept) return kept;
  const bases = await computeBases(store, partnerTenantId, period);
  await store.prices.keepBases(partnerTenantId, period, tag, bases);
  return bases;
}

/** Computes and keeps the period's price bases unless they are kept for its lines as they are now; whether it did. */
export async function ensurePriceBases(store: Store, partnerTenantId: string, period: string): Promise<boolean> {
  const tag = await snapshotTagOf(store, partnerTenantId, period);
  if (await store.prices.basesKept(partnerTenantId, period, tag)) return false;
  await priceBases(store, partnerTenantId, period, tag);
  return true;
}

/** What identifies the period's lines as they are now ('' for none). */
export const snapshotTagOf = async (store: Store, partnerTenantId: string, period: string): Promise<string> =>
  (await store.lines.snapshotTag(partnerTenantId, period)) ?? '';
