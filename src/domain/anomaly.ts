import { formatDecimal, parseDecimal, round, ZERO, type Decimal } from '../money/decimal.js';
import { DAY_MS, usageDayMs, type UsageDay } from './usage-day.js';

/** Named in every anomaly we raise and show. */
export const ANOMALY_METHOD = 'median-mad-28d';

/** Trailing days a day is compared with, and how many of them must hold usage history. */
export const ANOMALY_WINDOW_DAYS = 28;
const MIN_HISTORY_DAYS = 7;

/** A customer's spend on one usage day, in its billing currency (as the forecast reads it too). */
export interface DaySpend {
  readonly day: UsageDay;
  readonly billingTotal: string;
}

/** A day's spend as an exact decimal already (a sum the meter pass kept): no text written and read back. */
export interface DayAmount {
  readonly day: UsageDay;
  readonly billing: Decimal;
}

export interface Anomaly {
  readonly day: number;
  readonly amount: string;
  /** The median daily spend of the trailing window. */
  readonly median: string;
  /** The spend above which the day counted as an anomaly. */
  readonly limit: string;
}

const byValue = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** The median of sorted values that are all multiples of 4: a whole number (even counts halve a sum of two). */
function medianOf(sorted: readonly bigint[]): bigint {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2n;
}

/**
 * The values of the ANOMALY_WINDOW_DAYS days before a day, in order: slid a day at a time from the
 * last day asked for (a value in, a value out, each by binary search) rather than sorted again for
 * every day — the sorts were a quarter of the meter-anomaly pass (docs/benchmarks.md).
 */
export class SortedWindow {
  #sorted: bigint[] = [];
  #at = -1;

  constructor(private readonly dense: readonly bigint[]) {}

  /** The sorted values of days [at − ANOMALY_WINDOW_DAYS, at). */
  before(at: number): readonly bigint[] {
    if (this.#at < 0 || at < this.#at || at - this.#at > ANOMALY_WINDOW_DAYS) {
      this.#sorted = this.dense.slice(Math.max(0, at - ANOMALY_WINDOW_DAYS), at).sort(byValue);
    } else {
      for (let t = this.#at; t < at; t++) {
        this.#sorted.splice(lowerBound(this.#sorted, this.dense[t]!), 0, this.dense[t]!);
        if (t >= ANOMALY_WINDOW_DAYS)
          this.#sorted.splice(lowerBound(this.#sorted, this.dense[t - ANOMALY_WINDOW_DAYS]!), 1);
      }
    }
    this.#at = at;
    return this.#sorted;
  }
}

/** The first index of `sorted` whose value is not below `x`. */
function lowerBound(sorted: readonly bigint[], x: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Days of `candidates` whose spend is far above the customer's own recent history: more than
 * median + 6 × 1.4826 × MAD of the 28 days before it (days without usage count as 0, from the
 * first day with usage on), and more than 1.5 × that median. Median and MAD, not mean and standard
 * deviation, because one earlier spike must not widen the band that would catch the next one. A
 * day with fewer than 7 days of history before it is never flagged.
 *
 * Exact, and fast enough to run in every import's transaction (2,000 customers × 31 days): the
 * amounts become integers at one scale, times 4, so that medians of medians stay whole numbers.
 */
export function findAnomalies(history: readonly (DaySpend | DayAmount)[], candidates: readonly number[]): Anomaly[] {
  if (history.length === 0) return [];
  const parsed = history.map((d) => ('billing' in d ? d.billing : (parseDecimal(d.billingTotal) ?? ZERO)));
  const scale = Math.max(...parsed.map((d) => d.scale));
  const first = Math.min(...history.map((d) => usageDayMs(d.day)));
  // Index = days since the first usage day; 0 where no usage.
  const dense: bigint[] = [];
  history.forEach((d, i) => {
    const at = Math.round((usageDayMs(d.day) - first) / DAY_MS);
    while (dense.length <= at) dense.push(0n);
    dense[at] = parsed[i]!.units * 10n ** BigInt(scale - parsed[i]!.scale) * 4n;
  });
  const found: Anomaly[] = [];
  const window = new SortedWindow(dense);
  for (const day of candidates) {
    const at = Math.round((usageDayMs(day) - first) / DAY_MS);
    const amount = dense[at];
    if (amount === undefined || amount <= 0n || at < MIN_HISTORY_DAYS) continue;
    const sorted = window.before(at);
    const m = medianOf(sorted);
    // Never above 1.5 × the median: no anomaly, whatever the MAD (the common case: skip its sort).
    if (amount * 10n <= m * 15n) continue;
    const deviations = sorted.map((x) => (x > m ? x - m : m - x)).sort(byValue);
    const mad = medianOf(deviations);
    // amount > m + 6 × 1.4826 × MAD and amount > 1.5 × m, in units of 1/10,000:
    const band = m * 10_000n + 88_956n * mad;
    const ratio = m * 15_000n;
    const limit = band > ratio ? band : ratio;
    if (amount * 10_000n > limit) {
      const decimal = (units: bigint, extra: number): string =>
        formatDecimal(round({ units, scale: scale + extra }, 6));
      found.push({
        day,
        amount: formatDecimal(parsed[history.findIndex((d) => d.day === day)]!),
        median: decimal(m * 25n, 2), // ÷ 4
        limit: decimal(limit * 25n, 6), // ÷ 40,000
      });
    }
  }
  return found;
}
