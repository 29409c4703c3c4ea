import { BUDGET_LIMITS } from '../contract/resources.js';
import { compare, formatDecimal, parseDecimal, type Decimal } from '../money/decimal.js';

const MAX_BUDGET: Decimal = { units: BigInt(BUDGET_LIMITS.max), scale: 0 };

/**
 * The one budget rule, for the API (PATCH usagebudget), `budget set` and `budget import`: a
 * non-negative decimal of at most 6 decimals and at most 10¹². Returns the amount as canonical
 * decimal text, or the reason it is refused (a sentence completing "The amount 'x' …").
 */
export function readBudgetAmount(text: string): { amount: string } | { problem: string } {
  const value = parseDecimal(text);
  if (value === undefined) return { problem: 'is not a number' };
  if (value.units < 0n) return { problem: 'is negative' };
  const amount = formatDecimal(value);
  if ((amount.split('.')[1]?.length ?? 0) > BUDGET_LIMITS.decimals)
    return { problem: `has more than ${BUDGET_LIMITS.decimals} decimals` };
  if (compare(value, MAX_BUDGET) > 0) return { problem: 'is larger than 10^12' };
  return { amount };
}
