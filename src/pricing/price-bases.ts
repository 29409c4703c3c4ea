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
 * The period's price bases as its lines are now: the ones kept when the period's lines have not
 * changed since (their snapshot tag), else computed from the lines and kept. A million lines take
 * one pass over them once after a change; every request after reads a few thousand rows.
 */
export async function priceBases(store: Store, partnerTenantId: string, period: string): Promise<PriceBase[]> {
  return (await currentPriceBases(store, partnerTenantId, period)).bases;
}

/** The same, and whether they had to be computed (the lines had changed). */
export async function currentPriceBases(
  store: Store,
  partnerTenantId: string,
  period: string,
): Promise<{ bases: PriceBase[]; computed: boolean }> {
  const tag = (await store.lines.snapshotTag(partnerTenantId, period)) ?? '';
  const kept = await store.prices.bases(partnerTenantId, period, tag);
  if (kept) return { bases: kept, computed: false };
  const bases = await computeBases(store, partnerTenantId, period);
  await store.prices.keepBases(partnerTenantId, period, tag, bases);
  return { bases, computed: true };
}
