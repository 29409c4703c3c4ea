import { compare, multiply, parseDecimal, ZERO, type Decimal } from '../money/decimal.js';

/** The event types alerts are raised as (the `type` of a webhook's body). */
export const ALERT_TYPES = ['budget.threshold_reached', 'budget.forecast_over', 'usage.anomaly'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** Partner Center itself e-mails at 80 %; we add the budget itself. */
export const DEFAULT_THRESHOLDS: readonly number[] = [80, 100];

const MAX_THRESHOLD = 1000;

/**
 * Thresholds as given by a person ("50,80,100", percent of the budget): whole percents from 1 to
 * 1000, each once, in order. Throws an Error saying what is wrong.
 */
export function parseThresholds(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw new Error(`thresholds are percents separated by commas, e.g. 50,80,100 (got ${JSON.stringify(text)})`);
  }
  const values = parts.map((p) => {
    const n = /^\d{1,4}$/.test(p) ? Number(p) : NaN;
    if (!(n >= 1 && n <= MAX_THRESHOLD)) {
      throw new Error(`a threshold is a whole percent from 1 to ${MAX_THRESHOLD}, not ${JSON.stringify(p)}`);
    }
    return n;
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

export const formatThresholds = (thresholds: readonly number[]): string => thresholds.join(',');

const hundred: Decimal = { units: 100n, scale: 0 };
const positive = (budget: string | null): Decimal | undefined => {
  const b = budget === null ? undefined : parseDecimal(budget);
  return b && b.units > 0n ? b : undefined;
};

/**
 * The thresholds a customer's spend has reached: total × 100 ≥ budget × threshold, exactly. A
 * customer without a budget (or with a budget of 0, which no spend can be measured against)
 * reaches none.
 */
export function thresholdsReached(total: string, budget: string | null, thresholds: readonly number[]): number[] {
  const b = positive(budget);
  if (!b) return [];
  const spent = multiply(parseDecimal(total) ?? ZERO, hundred);
  return thresholds.filter((t) => compare(spent, multiply(b, { units: BigInt(t), scale: 0 })) >= 0);
}

/** Not over the budget yet, but the month-end forecast is: Partner Center's "trending over". */
export function forecastOver(total: string, budget: string | null, forecast: string): boolean {
  const b = positive(budget);
  if (!b) return false;
  return compare(parseDecimal(total) ?? ZERO, b) <= 0 && compare(parseDecimal(forecast) ?? ZERO, b) > 0;
}
