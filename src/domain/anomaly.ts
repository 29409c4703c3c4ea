import { add, compare, formatDecimal, multiply, parseDecimal, round, ZERO, type Decimal } from '../money/decimal.js';

/** Named in every anomaly we raise and show. */
export const ANOMALY_METHOD = 'median-mad-28d';

/** Trailing days a day is compared with, and how many of them must hold usage history. */
export const ANOMALY_WINDOW_DAYS = 28;
const MIN_HISTORY_DAYS = 7;
/** 1.4826 × MAD estimates a standard deviation; a day this many of them above the median is an anomaly. */
const MAD_SCALE: Decimal = { units: 14826n, scale: 4 };
const K: Decimal = { units: 6n, scale: 0 };
/** …and at least this much above it (×1.5): a quiet customer's MAD of 0 must not flag every cent. */
const MIN_RATIO: Decimal = { units: 15n, scale: 1 };

export interface DaySpend {
  /** yyyymmdd */
  readonly day: number;
  readonly amount: string;
}

export interface Anomaly {
  readonly day: number;
  readonly amount: string;
  /** The median daily spend of the trailing window. */
  readonly median: string;
  /** The spend above which the day counted as an anomaly. */
  readonly limit: string;
}

const toDate = (day: number) => Date.UTC(Math.floor(day / 10000), (Math.floor(day / 100) % 100) - 1, day % 100);
const toDay = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
};
const DAY_MS = 86_400_000;

function median(values: readonly Decimal[]): Decimal {
  const sorted = [...values].sort(compare);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid]!;
  const sum = add(sorted[mid - 1]!, sorted[mid]!);
  return { units: sum.units * 5n, scale: sum.scale + 1 }; // ÷ 2, exactly
}

const minus = (a: Decimal, b: Decimal): Decimal => add(a, { units: -b.units, scale: b.scale });
const abs = (a: Decimal): Decimal => (a.units < 0n ? { units: -a.units, scale: a.scale } : a);

/**
 * Days of `candidates` whose spend is far above the customer's own recent history: more than
 * median + 6 × 1.4826 × MAD of the 28 days before it (days without usage count as 0, from the
 * first day with usage on), and more than 1.5 × that median. Median and MAD, not mean and standard
 * deviation, because one earlier spike must not widen the band that would catch the next one;
 * exact decimals throughout. A day with fewer than 7 days of history before it is never flagged.
 */
export function findAnomalies(history: readonly DaySpend[], candidates: readonly number[]): Anomaly[] {
  if (history.length === 0) return [];
  const byDay = new Map(history.map((d) => [d.day, parseDecimal(d.amount) ?? ZERO]));
  const first = toDate(Math.min(...history.map((d) => d.day)));
  const found: Anomaly[] = [];
  for (const day of candidates) {
    const at = toDate(day);
    const amount = byDay.get(day);
    if (amount === undefined || amount.units <= 0n) continue;
    const window: Decimal[] = [];
    for (let t = Math.max(first, at - ANOMALY_WINDOW_DAYS * DAY_MS); t < at; t += DAY_MS) {
      window.push(byDay.get(toDay(t)) ?? ZERO);
    }
    if (window.length < MIN_HISTORY_DAYS) continue;
    const m = median(window);
    const mad = median(window.map((x) => abs(minus(x, m))));
    const bandLimit = add(m, multiply(multiply(mad, MAD_SCALE), K));
    const ratioLimit = multiply(m, MIN_RATIO);
    const limit = compare(bandLimit, ratioLimit) >= 0 ? bandLimit : ratioLimit;
    if (compare(amount, limit) > 0) {
      found.push({
        day,
        amount: formatDecimal(amount),
        median: formatDecimal(round(m, 6)),
        limit: formatDecimal(round(limit, 6)),
      });
    }
  }
  return found;
}
