import { divide, multiply, parseDecimal, ZERO, type Decimal } from '../money/decimal.js';

const HUNDRED: Decimal = { units: 100n, scale: 0 };

/**
 * `percentUsed` = totalCost / budget × 100, rounded half away from zero to two places, exactly
 * (120.5683 of 20 → 602.84; 27.2329 of 97 → 28.08). No budget, or a zero one: 0.
 */
export function percentUsed(totalCost: string, budget: string | null): Decimal {
  if (budget === null) return ZERO;
  const b = parseDecimal(budget);
  const t = parseDecimal(totalCost);
  if (!b || !t || b.units === 0n) return ZERO;
  return divide(multiply(t, HUNDRED), b, 2);
}
