import type { ViewFilter, ViewSort } from '../contract/view-options.js';
import { compare, parseDecimal, ZERO, type Decimal } from '../money/decimal.js';

/** A customer's row of the view, with its money as exact decimal text. */
export interface ViewRow {
  readonly id: string;
  readonly name: string;
  readonly plan: 'azure-plan' | 'legacy';
  readonly currency: string;
  readonly currencyLocale: string | null;
  readonly totalCost: string;
  readonly usdTotalCost: string;
  readonly budget: string | null;
  readonly percentUsed: string;
  readonly forecast: string;
  readonly overBudget: boolean;
  readonly trendingOver: boolean;
  readonly anomalies: number;
  readonly lastModified: string | null;
  /** At the partner's prices (issue #29); null until the period's price bases are computed. */
  readonly price: string | null;
  readonly margin: string | null;
  /** margin ÷ price × 100, 2 decimals; null without a price or at price 0. */
  readonly marginPercent: string | null;
}

/** The header's counts of a partner's customers in a period. */
export interface ViewCounts {
  readonly customers: number;
  readonly overBudget: number;
  readonly trendingOver: number;
  readonly noBudget: number;
  readonly anomaly: number;
  readonly negativeMargin: number;
}

/** Everything the view needs that does not depend on the query: computed once per data version. */
export interface CustomerViewData {
  readonly rows: readonly ViewRow[];
  readonly counts: ViewCounts;
  /** Billing currencies, sorted. */
  readonly currencies: readonly string[];
  /** The partner's periods with usage, newest first. */
  readonly periods: readonly string[];
  readonly lastImportAt: string | null;
  /** YYYY-MM-DD, or null without usage in the period. */
  readonly lastUsageDay: string | null;
}

/** The counts and currencies of a period's rows. */
export function countRows(rows: readonly ViewRow[]): Pick<CustomerViewData, 'counts' | 'currencies'> {
  const counts = { customers: rows.length, overBudget: 0, trendingOver: 0, noBudget: 0, anomaly: 0, negativeMargin: 0 };
  const currencies = new Set<string>();
  for (const r of rows) {
    if (KEEP['over-budget'](r)) counts.overBudget++;
    if (KEEP['trending-over'](r)) counts.trendingOver++;
    if (KEEP['no-budget'](r)) counts.noBudget++;
    if (KEEP.anomaly(r)) counts.anomaly++;
    if (KEEP['negative-margin'](r)) counts.negativeMargin++;
    currencies.add(r.currency);
  }
  return { counts, currencies: [...currencies].sort() };
}

export interface ViewQuery {
  readonly sort: ViewSort;
  readonly order: 'asc' | 'desc';
  readonly filters: readonly ViewFilter[];
  readonly plan?: 'azure-plan' | 'legacy' | undefined;
  readonly currency?: string | undefined;
  /** Lower case. */
  readonly search?: string | undefined;
  readonly offset: number;
  readonly size: number;
}

const KEEP: Record<ViewFilter, (r: ViewRow) => boolean> = {
  'over-budget': (r) => r.overBudget,
  'trending-over': (r) => r.trendingOver,
  'no-budget': (r) => r.budget === null,
  anomaly: (r) => r.anomalies > 0,
  'negative-margin': (r) => r.margin !== null && r.margin.startsWith('-'),
};

/** The columns that hold money (exact decimal text, or null): compared exactly, see sortedRows. */
const MONEY: Partial<Record<ViewSort, (r: ViewRow) => string | null>> = {
  totalCost: (r) => r.totalCost,
  usdTotalCost: (r) => r.usdTotalCost,
  budget: (r) => r.budget,
  percentUsed: (r) => r.percentUsed,
  forecast: (r) => r.forecast,
  price: (r) => r.price,
  margin: (r) => r.margin,
  marginPercent: (r) => r.marginPercent,
};

/** The other columns' keys (null: no value). */
const PLAIN: Partial<Record<ViewSort, (r: ViewRow) => string | number | null>> = {
  name: (r) => r.name.toLowerCase(),
  plan: (r) => r.plan,
  currency: (r) => r.currency,
  anomalies: (r) => r.anomalies,
  lastModified: (r) => r.lastModified,
};

const exact = (text: string): Decimal => parseDecimal(text) ?? ZERO;

/**
 * Per row list (kept per data version): its order by name, then id — the tie-break of every sort,
 * as each row's rank — and its sorted orders by sort and order.
 */
interface Sortings {
  readonly byName: readonly number[];
  readonly rank: Int32Array;
  readonly orders: Map<string, readonly ViewRow[]>;
}
const sortings = new WeakMap<readonly ViewRow[], Sortings>();

function sortingsOf(rows: readonly ViewRow[]): Sortings {
  let kept = sortings.get(rows);
  if (kept) return kept;
  const names = rows.map((r) => r.name.toLowerCase());
  const byName = Array.from({ length: rows.length }, (_, i) => i).sort((i, j) =>
    names[i]! < names[j]! ? -1 : names[i]! > names[j]! ? 1 : rows[i]!.id < rows[j]!.id ? -1 : 1,
  );
  const rank = new Int32Array(rows.length);
  byName.forEach((row, at) => (rank[row] = at));
  sortings.set(rows, (kept = { byName, rank, orders: new Map() }));
  return kept;
}

/**
 * The indexes of a money column's rows in order (`sign` 1 ascending, -1 descending), no value
 * last, ties by rank. By the nearest double first — sorted natively, a tenth of a comparator
 * sort — since parsing rounds correctly it never orders two values the wrong way round, only
 * ties those closer than a double tells apart; those ties alone are compared as exact decimals.
 */
function moneyOrder(texts: readonly (string | null)[], sign: 1 | -1, rank: Int32Array): number[] {
  const byNear = new Map<number, number[]>();
  const none: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    if (text === null) {
      none.push(i);
      continue;
    }
    // `|| 0`: -0 is 0 (a Map key either way, but a native sort puts -0 first).
    const near = sign * (Number(text) || 0) || 0;
    const same = byNear.get(near);
    if (same) same.push(i);
    else byNear.set(near, [i]);
  }
  const order: number[] = [];
  for (const near of Float64Array.from(byNear.keys()).sort()) {
    const same = byNear.get(near)!;
    if (same.length > 1)
      same.sort((i, j) => {
        const a = texts[i]!;
        const b = texts[j]!;
        return (a === b ? 0 : sign * compare(exact(a), exact(b))) || rank[i]! - rank[j]!;
      });
    for (const i of same) order.push(i);
  }
  for (const i of none.sort((i, j) => rank[i]! - rank[j]!)) order.push(i);
  return order;
}

/**
 * The rows in the query's order — no value (no budget, never modified) last in either order, ties
 * by name, then id, so that pages never overlap — sorted once per row list and order.
 */
function sortedRows(rows: readonly ViewRow[], sort: ViewSort, order: 'asc' | 'desc'): readonly ViewRow[] {
  const { byName, rank, orders } = sortingsOf(rows);
  const known = orders.get(`${sort}|${order}`);
  if (known) return known;
  const sign = order === 'asc' ? 1 : -1;
  const moneyOf = MONEY[sort];
  let index: readonly number[];
  if (moneyOf) index = moneyOrder(rows.map(moneyOf), sign, rank);
  else if (sort === 'name' && order === 'asc') index = byName;
  else {
    const keys = rows.map(PLAIN[sort]!);
    index = Array.from({ length: rows.length }, (_, i) => i).sort((i, j) => {
      const a = keys[i]!;
      const b = keys[j]!;
      if (a === null || b === null) return a === b ? rank[i]! - rank[j]! : a === null ? 1 : -1;
      return sign * (a < b ? -1 : a > b ? 1 : 0) || rank[i]! - rank[j]!;
    });
  }
  const sorted = index.map((i) => rows[i]!);
  orders.set(`${sort}|${order}`, sorted);
  return sorted;
}

/** Sorts the rows in an order ahead of a request for it: kept with the list (sortedRows). */
export function presort(rows: readonly ViewRow[], sort: ViewSort, order: 'asc' | 'desc'): void {
  sortedRows(rows, sort, order);
}

/**
 * The view: rows sorted (once per row list and order: sortedRows), then filtered (every filter
 * must hold), searched (name contains, or tenant id starts with, the text), then the page. A
 * request after the first of an order is a pass over the sorted rows (100k in milliseconds).
 */
export function viewCustomers(rows: readonly ViewRow[], q: ViewQuery): { totalCount: number; items: ViewRow[] } {
  const kept = sortedRows(rows, q.sort, q.order).filter(
    (r) =>
      q.filters.every((f) => KEEP[f](r)) &&
      (q.plan === undefined || r.plan === q.plan) &&
      (q.currency === undefined || r.currency === q.currency) &&
      (!q.search || r.name.toLowerCase().includes(q.search) || r.id.startsWith(q.search)),
  );
  return { totalCount: kept.length, items: kept.slice(q.offset, q.offset + q.size) };
}
