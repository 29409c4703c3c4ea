import { add, compare, formatDecimal, multiply, parseDecimal, round, ZERO, type Decimal } from '../money/decimal.js';

/** How the month-end figure is projected: named in every forecast we serve. */
export const FORECAST_METHOD = 'median-daily-14d';

/** The trailing days whose median daily spend is projected forward. */
const TRAILING_DAYS = 14;

export interface Forecast {
  /** Spend at month end, in the customer currency, rounded to 6 places (exact arithmetic). */
  readonly total: string;
  readonly daysWithUsage: number;
}

const daysInMonth = (period: string): number => {
  const [y, m] = period.split('-').map(Number);
  return new Date(Date.UTC(y!, m!, 0)).getUTCDate();
};

/**
 * A customer's month-end spend: spent so far plus the median daily spend of its last 14 days
 * (from its first usage day up to `lastDay`, days without lines counting as zero) times the days
 * left. A median, not the run rate (total ÷ days × month), because one spike day — a mistaken
 * deployment, a one-off transfer — must not be projected onto every remaining day; the median of
 * two weeks follows a lasting change within a week. `lastDay` (yyyymmdd) is the partner's latest
 * usage day in the period: the data's horizon. A month whose data reach its last day is complete.
 */
export function forecastMonthEnd(
  period: string,
  days: readonly { readonly day: number; readonly billingTotal: string }[],
  lastDay: number | undefined,
): Forecast {
  let spent: Decimal = ZERO;
  for (const d of days) spent = add(spent, parseDecimal(d.billingTotal) ?? ZERO);
  const month = daysInMonth(period);
  const horizon = lastDay === undefined ? 0 : lastDay % 100;
  const left = month - horizon;
  if (days.length === 0 || left <= 0) return { total: formatDecimal(spent), daysWithUsage: days.length };
  const first = Math.min(...days.map((d) => d.day % 100));
  const byDay = new Map(days.map((d) => [d.day % 100, parseDecimal(d.billingTotal) ?? ZERO]));
  const trailing: Decimal[] = [];
  for (let day = Math.max(first, horizon - TRAILING_DAYS + 1); day <= horizon; day++)
    trailing.push(byDay.get(day) ?? ZERO);
  const median = medianOf(trailing);
  const projected = add(spent, multiply(median, { units: BigInt(left), scale: 0 }));
  return { total: formatDecimal(round(projected, 6)), daysWithUsage: days.length };
}

function medianOf(values: Decimal[]): Decimal {
  const sorted = [...values].sort((a, b) => compare(a, b));
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid]!;
  const sum = add(sorted[mid - 1]!, sorted[mid]!);
  return { units: sum.units * 5n, scale: sum.scale + 1 }; // ÷ 2, exactly
}
