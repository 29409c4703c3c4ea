import { basePrice, ruleFor, type PriceBase, type PriceRule } from '../domain/price-rules.js';
import { add, compare, divide, formatDecimal, parseDecimal, ZERO, type Decimal } from '../money/decimal.js';
import type { Store } from '../storage/store.js';
import type { MarginGroup, MarginSort } from '../contract/view-options.js';
import { priceBases, snapshotTagOf } from './price-bases.js';

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

/** A base's key and name in a grouping. */
function groupOf(base: PriceBase, by: MarginGroup): { key: string; name: string } {
  switch (by) {
    case 'customer':
      return { key: base.customer, name: base.customerName };
    case 'subscription':
      return { key: base.subscription, name: base.subscriptionName };
    case 'reseller':
      return { key: base.reseller, name: '' };
    case 'meterCategory':
      return { key: base.category, name: '' };
    case 'publisher':
      return { key: base.publisher, name: '' };
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

const of = (text: string): Decimal => parseDecimal(text) ?? ZERO;

/**
 * Margin rows already computed, per store: a slot per (partner, period, grouping, customer) holding
 * the rows for one version of their inputs — the period's lines (the bases' snapshot tag) and the
 * rules in force. A budget change or an alert leaves them as they are; new lines or a rule change
 * compute them again. Bounded in slots; the few large ones (by customer, 100k rows) are the open
 * periods' that `serve`'s warmer keeps current.
 */
const MAX_SLOTS = 32;
const computed = new WeakMap<Store, Map<string, { version: string; rows: Promise<MarginRow[]> }>>();

/**
 * The partner's cost, price, margin and partner-earned credit for a period, per group (of one
 * customer's lines with `customer`): every line priced by the rule that applies to it
 * (domain/price-rules.ts), through the period's price bases (a group's price is its rule's factor ×
 * its summed base, exactly). Rows by group, then currency.
 */
export async function margins(
  store: Store,
  partnerTenantId: string,
  period: string,
  by: MarginGroup,
  customer?: string,
): Promise<MarginRow[]> {
  return marginsAt(store, partnerTenantId, period, by, customer, await snapshotTagOf(store, partnerTenantId, period));
}

/** The same for the period's lines as tagged `tag` (read once by the caller). */
async function marginsAt(
  store: Store,
  partnerTenantId: string,
  period: string,
  by: MarginGroup,
  customer: string | undefined,
  tag: string,
): Promise<MarginRow[]> {
  const rules = await store.prices.rules(partnerTenantId);
  const slot = [partnerTenantId.toLowerCase(), period, by, customer ?? ''].join('|');
  const version = `${tag}|${JSON.stringify(rules)}`;
  let slots = computed.get(store);
  if (!slots) computed.set(store, (slots = new Map()));
  const hit = slots.get(slot);
  slots.delete(slot); // a Map keeps insertion order: set again below, the slot becomes the most recent
  if (hit?.version === version) {
    slots.set(slot, hit);
    return hit.rows;
  }
  // Kept bases are summed as they are read; others are computed (and kept) first.
  const rows = (async () =>
    marginRows(
      (await store.prices.basesKept(partnerTenantId, period, tag))
        ? store.prices.eachBase(partnerTenantId, period)
        : await priceBases(store, partnerTenantId, period, tag),
      rules,
      period,
      by,
      customer,
    ))();
  slots.set(slot, { version, rows });
  rows.catch(() => slots.get(slot)?.rows === rows && slots.delete(slot));
  if (slots.size > MAX_SLOTS) slots.delete(slots.keys().next().value!);
  return rows;
}

/**
 * The same by customer where the period's price bases are kept for its lines as they are now,
 * without computing them: undefined when they are not (`serve` keeps the open periods' current in
 * the background).
 */
export async function keptMargins(
  store: Store,
  partnerTenantId: string,
  period: string,
  by: MarginGroup,
): Promise<MarginRow[] | undefined> {
  const tag = await snapshotTagOf(store, partnerTenantId, period);
  if (!(await store.prices.basesKept(partnerTenantId, period, tag))) return undefined;
  return marginsAt(store, partnerTenantId, period, by, undefined, tag);
}

/** Each sort's key: money compared exactly; no margin % (price 0) sorts last either way. */
const SORT_KEY: Record<MarginSort, (r: MarginRow) => string | Decimal | null> = {
  group: (r) => r.group,
  name: (r) => r.name.toLowerCase(),
  currency: (r) => r.currency,
  cost: (r) => of(r.cost),
  price: (r) => of(r.price),
  margin: (r) => of(r.margin),
  marginPercent: (r) => (r.marginPercent === null ? null : of(r.marginPercent)),
  pecEarned: (r) => of(r.pecEarned),
};

/** Rows sorted by a column (ties by group, then currency, so that pages never overlap). */
export function sortMargins(rows: readonly MarginRow[], sort: MarginSort, order: 'asc' | 'desc'): MarginRow[] {
  const sign = order === 'asc' ? 1 : -1;
  const keyed = rows.map((row) => ({ row, key: SORT_KEY[sort](row) }));
  keyed.sort((x, y) => {
    const a = x.key;
    const b = y.key;
    const byKey =
      a === null || b === null
        ? Number(a === null) - Number(b === null)
        : sign * (typeof a === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : compare(a, b as Decimal));
    return (
      byKey ||
      (x.row.group < y.row.group ? -1 : x.row.group > y.row.group ? 1 : x.row.currency < y.row.currency ? -1 : 1)
    );
  });
  return keyed.map((k) => k.row);
}

async function marginRows(
  bases: Iterable<PriceBase> | AsyncIterable<PriceBase>,
  inForce: readonly PriceRule[],
  period: string,
  by: MarginGroup,
  customer: string | undefined,
): Promise<MarginRow[]> {
  const sums = new Map<string, Sums>();
  for await (const base of bases) {
    if (customer !== undefined && base.customer !== customer) continue;
    const { key, name } = groupOf(base, by);
    const id = `${key}\u0000${base.currency}`;
    let s = sums.get(id);
    if (!s) {
      s = {
        group: key,
        name,
        currency: base.currency,
        lines: 0,
        cost: ZERO,
        price: ZERO,
        pec: ZERO,
        usdCost: ZERO,
        usdPrice: ZERO,
      };
      sums.set(id, s);
    }
    const rule = ruleFor(inForce, { ...base, period });
    const { price, usdPrice } = basePrice(rule, base);
    s.lines += base.lines;
    s.cost = add(s.cost, of(base.cost));
    s.price = add(s.price, price);
    s.pec = add(s.pec, of(base.pec));
    s.usdCost = add(s.usdCost, of(base.usd));
    s.usdPrice = add(s.usdPrice, usdPrice);
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
