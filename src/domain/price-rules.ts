import { add, compare, multiply, parseDecimal, ZERO, type Decimal } from '../money/decimal.js';
import { BILLING_PERIOD_PATTERN } from '../contract/billing-period.js';

/**
 * What a partner charges its customers (issue #29): a price rule turns a line's cost into the
 * customer's price. The basis is `cost` (BillingPreTaxTotal: what the partner pays, after
 * partner-earned credit) or `retail` (UnitPrice × Quantity × PCToBCExchangeRate: the pay-as-you-go
 * price before it), adjusted by a percent (+12.5 a markup, -5 a discount). A rule applies to the
 * partner's lines (no scope), a tier-2 reseller's (Tier2MpnId) or one customer's, optionally only
 * to a meter category or a publisher's (marketplace) lines, from a billing period on.
 */
export type PriceBasis = 'cost' | 'retail';

export interface PriceRule {
  readonly id: string;
  readonly basis: PriceBasis;
  /** The adjustment in percent, as canonical decimal text ('12.5', '-5', '0'). */
  readonly adjust: string;
  readonly customer: string | null;
  readonly reseller: string | null;
  readonly category: string | null;
  readonly publisher: string | null;
  /** The first billing period it prices (YYYY-MM). */
  readonly from: string;
}

/** What a rule is chosen by: the line's customer, reseller, meter category, publisher and period. */
export interface LineScope {
  readonly customer: string;
  readonly reseller: string;
  readonly category: string;
  readonly publisher: string;
  readonly period: string;
}

/** An adjustment's bounds: a price is never negative (-100 % at most), a markup at most 1000 %. */
const MIN_ADJUST: Decimal = { units: -100n, scale: 0 };
const MAX_ADJUST: Decimal = { units: 1000n, scale: 0 };
const MAX_ADJUST_DECIMALS = 6;
const PERIOD = new RegExp(BILLING_PERIOD_PATTERN);

/** Why a rule as given is refused (a sentence completing "The rule …"), or undefined. */
export function priceRuleProblem(rule: Omit<PriceRule, 'id'>): string | undefined {
  if (rule.basis !== 'cost' && rule.basis !== 'retail')
    return `has basis ${JSON.stringify(rule.basis)}: cost or retail`;
  if (!/^[+-]?\d+(\.\d+)?$/.test(rule.adjust.trim()))
    return `adjusts by "${rule.adjust}": a percent such as 12.5 or -5`;
  const adjust = parseDecimal(rule.adjust)!;
  if (adjust.scale > MAX_ADJUST_DECIMALS) return `adjusts by ${rule.adjust}: at most ${MAX_ADJUST_DECIMALS} decimals`;
  if (compare(adjust, MIN_ADJUST) < 0 || compare(adjust, MAX_ADJUST) > 0)
    return `adjusts by ${rule.adjust}: from -100 to 1000 percent`;
  if (rule.customer !== null && rule.reseller !== null) return 'names both a customer and a reseller: one scope';
  if (rule.category !== null && rule.publisher !== null)
    return 'names both a meter category and a publisher: one at most';
  if (!PERIOD.test(rule.from)) return `starts in "${rule.from}": a billing period YYYY-MM`;
  for (const [name, value] of [
    ['customer', rule.customer],
    ['reseller', rule.reseller],
    ['category', rule.category],
    ['publisher', rule.publisher],
  ] as const) {
    if (value !== null && (value.trim() === '' || value.length > 200)) return `names an empty or overlong ${name}`;
  }
  return undefined;
}

const same = (a: string | null, b: string) => a === null || a.toLowerCase() === b.toLowerCase();

/** How specific a rule is: its scope (customer 2, reseller 1, the partner 0), then a category or publisher. */
const rank = (r: PriceRule) =>
  (r.customer !== null ? 4 : r.reseller !== null ? 2 : 0) + (r.category !== null || r.publisher !== null ? 1 : 0);

/**
 * Whether rule a wins over rule b, both matching a line: the higher rank; then the later first
 * period; then (a line matches a category's and a publisher's rule of one rank alike) the category's.
 */
const precedes = (a: PriceRule, b: PriceRule) =>
  rank(a) !== rank(b)
    ? rank(a) > rank(b)
    : a.from !== b.from
      ? a.from > b.from
      : a.category !== null && b.category === null;

/**
 * The rule that prices a line: of the rules that match it and are in force in its period, the most
 * specific (a customer's over a reseller's over the partner's; narrowed to a category or publisher
 * over not), and of those the latest to take effect. Undefined: no rule, the price is the cost.
 */
export function ruleFor(rules: readonly PriceRule[], line: LineScope): PriceRule | undefined {
  let best: PriceRule | undefined;
  for (const r of rules) {
    if (r.from > line.period) continue;
    if (r.customer !== null && r.customer !== line.customer.toLowerCase()) continue;
    if (!same(r.reseller, line.reseller) || !same(r.category, line.category) || !same(r.publisher, line.publisher))
      continue;
    if (!best || precedes(r, best)) best = r;
  }
  return best;
}

/** A line's amounts as the rules read them (from its stored columns). */
export interface LineAmounts {
  /** BillingPreTaxTotal: what the partner pays for the line. */
  readonly cost: Decimal;
  readonly quantity: Decimal;
  /** UnitPrice, PCToBCExchangeRate, EffectiveUnitPrice: undefined when the line has none (legacy lines). */
  readonly unitPrice: Decimal | undefined;
  readonly rate: Decimal | undefined;
  readonly effectiveUnitPrice: Decimal | undefined;
}

const HUNDRED: Decimal = { units: 100n, scale: 0 };

/** The line at the pay-as-you-go price, in the billing currency; undefined without a unit price or rate. */
export function retailOf(line: LineAmounts): Decimal | undefined {
  if (line.unitPrice === undefined || line.rate === undefined) return undefined;
  return multiply(multiply(line.unitPrice, line.quantity), line.rate);
}

/** Usage a reservation or savings plan covers: its effective unit price is 0. It costs and prices 0. */
export const isCovered = (line: LineAmounts): boolean =>
  line.effectiveUnitPrice !== undefined && line.effectiveUnitPrice.units === 0n;

/**
 * The customer's price of a line, exact (no rounding: documents for people round their totals).
 * No rule: the cost. Covered usage: 0. A retail rule on a line without a unit price or exchange
 * rate (legacy lines) prices from the cost instead.
 */
export function linePrice(rule: PriceRule | undefined, line: LineAmounts): Decimal {
  if (isCovered(line)) return ZERO;
  if (rule === undefined) return line.cost;
  const base = (rule.basis === 'retail' ? retailOf(line) : undefined) ?? line.cost;
  const factor = add(HUNDRED, parseDecimal(rule.adjust) ?? ZERO);
  // × (100 + adjust) / 100, exactly: the division is a shift of the scale.
  const scaled = multiply(base, factor);
  return { units: scaled.units, scale: scaled.scale + 2 };
}

/**
 * The partner-earned credit a line brought: its retail price less what the partner pays, on lines
 * with a PartnerEarnedCreditPercentage above 0; 0 otherwise.
 */
export function pecEarned(line: LineAmounts, pecPercent: Decimal | undefined): Decimal {
  const retail = retailOf(line);
  if (retail === undefined || pecPercent === undefined || pecPercent.units <= 0n || isCovered(line)) return ZERO;
  return add(retail, { units: -line.cost.units, scale: line.cost.scale });
}

/**
 * Lines summed per what chooses their rule (customer, reseller, meter category, publisher; and the
 * subscription, for grouping): a line's price is its base × its rule's factor, so a group's price
 * is the factor × the summed bases — exact, without the lines. Decimal text.
 */
export interface PriceBase {
  readonly customer: string;
  readonly customerName: string;
  readonly currency: string;
  readonly subscription: string;
  readonly subscriptionName: string;
  readonly reseller: string;
  readonly category: string;
  readonly publisher: string;
  readonly lines: number;
  /** Every line's cost (what the partner pays). */
  readonly cost: string;
  /** The cost of the lines no reservation or savings plan covers: the cost basis. */
  readonly costUncovered: string;
  /** Their retail price, or their cost where a line has none: the retail basis. */
  readonly retailUncovered: string;
  readonly pec: string;
  readonly usd: string;
  readonly usdUncovered: string;
  readonly usdRetailUncovered: string;
}

/** The price of a base's lines under a rule (none: their cost), in the billing currency and in USD. */
export function basePrice(rule: PriceRule | undefined, base: PriceBase): { price: Decimal; usdPrice: Decimal } {
  const of = (text: string) => parseDecimal(text) ?? ZERO;
  if (rule === undefined) return { price: of(base.costUncovered), usdPrice: of(base.usdUncovered) };
  const factor = add(HUNDRED, parseDecimal(rule.adjust) ?? ZERO);
  const priced = (text: string) => {
    const scaled = multiply(of(text), factor);
    return { units: scaled.units, scale: scaled.scale + 2 };
  };
  return rule.basis === 'retail'
    ? { price: priced(base.retailUncovered), usdPrice: priced(base.usdRetailUncovered) }
    : { price: priced(base.costUncovered), usdPrice: priced(base.usdUncovered) };
}
