import { linePrice, pecEarned, ruleFor, type PriceRule } from '../domain/price-rules.js';
import { add, divide, formatDecimal, ZERO, type Decimal } from '../money/decimal.js';
import { COLUMN, lineValue } from '../export/line-values.js';
import type { StoredLineRow } from '../storage/line-reader.js';
import type { Store } from '../storage/store.js';
import type { MarginGroup } from '../contract/view-options.js';
import { amountsOf, scopeOf } from './line-pricing.js';

/**
 * One group's figures in one billing currency (a group spanning currencies has a row per
 * currency: amounts in different currencies are never added). Exact sums of the lines' exact
 * figures; only `marginPercent` is rounded (to 2 decimals, half away from zero), as a percent shown.
 */
export interface MarginRow {
  readonly group: string;
  /** The group's name where it has one besides its key (a customer's, a subscription's). */
  readonly name: string;
  readonly currency: string;
  readonly lines: number;
  readonly cost: string;
  readonly price: string;
  readonly margin: string;
  /** margin ÷ price × 100; null when the price is 0. */
  readonly marginPercent: string | null;
  readonly pecEarned: string;
  /** The same in USD: the lines' USD cost, priced by the same rules. */
  readonly usdCost: string;
  readonly usdPrice: string;
}

const negate = (d: Decimal): Decimal => ({ units: -d.units, scale: d.scale });

/** The line's key and name in a grouping. */
function groupOf(row: StoredLineRow, by: MarginGroup): { key: string; name: string } {
  switch (by) {
    case 'customer':
      return { key: row.owner.customer.tenantId, name: row.owner.customer.name };
    case 'subscription':
      return { key: row.owner.subscription.id, name: row.owner.subscription.description };
    case 'reseller':
      return { key: lineValue(row, COLUMN.Tier2MpnId).trim(), name: '' };
    case 'meterCategory':
      return { key: row.meter.category, name: '' };
    case 'publisher':
      return { key: lineValue(row, COLUMN.PublisherName).trim(), name: '' };
  }
}

interface Sums {
  group: string;
  name: string;
  currency: string;
  lines: number;
  cost: Decimal;
  price: Decimal;
  pec: Decimal;
  usdCost: Decimal;
  usdPrice: Decimal;
}

/**
 * The partner's cost, price, margin and partner-earned credit for a period, per group: every
 * stored line priced by the rule that applies to it (domain/price-rules.ts), summed exactly.
 * Rows by group, then currency.
 */
export async function margins(
  store: Store,
  partnerTenantId: string,
  period: string,
  by: MarginGroup,
  rules?: readonly PriceRule[],
): Promise<MarginRow[]> {
  const inForce = rules ?? (await store.prices.rules(partnerTenantId));
  const sums = new Map<string, Sums>();
  for await (const row of store.lines.rows(partnerTenantId, period)) {
    const { key, name } = groupOf(row, by);
    const currency = row.owner.customer.currency;
    const id = `${key}\u0000${currency}`;
    let s = sums.get(id);
    if (!s) {
      s = { group: key, name, currency, lines: 0, cost: ZERO, price: ZERO, pec: ZERO, usdCost: ZERO, usdPrice: ZERO };
      sums.set(id, s);
    }
    const amounts = amountsOf(row);
    const rule = ruleFor(inForce, scopeOf(row));
    s.lines++;
    s.cost = add(s.cost, amounts.billing.cost);
    s.price = add(s.price, linePrice(rule, amounts.billing));
    s.pec = add(s.pec, pecEarned(amounts.billing, amounts.pec));
    s.usdCost = add(s.usdCost, amounts.usd.cost);
    s.usdPrice = add(s.usdPrice, linePrice(rule, amounts.usd));
  }
  return [...sums.values()]
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.currency < b.currency ? -1 : 1))
    .map((s) => {
      const margin = add(s.price, negate(s.cost));
      return {
        group: s.group,
        name: s.name,
        currency: s.currency,
        lines: s.lines,
        cost: formatDecimal(s.cost),
        price: formatDecimal(s.price),
        margin: formatDecimal(margin),
        marginPercent:
          s.price.units === 0n
            ? null
            : formatDecimal(divide({ units: margin.units * 100n, scale: margin.scale }, s.price, 2)),
        pecEarned: formatDecimal(s.pec),
        usdCost: formatDecimal(s.usdCost),
        usdPrice: formatDecimal(s.usdPrice),
      };
    });
}
