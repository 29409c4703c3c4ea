import { linePrice, ruleFor } from '../domain/price-rules.js';
import { add, formatDecimal, parseDecimal, round, ZERO, type Decimal } from '../money/decimal.js';
import { NotFound } from '../storage/partner-scope.js';
import type { Store } from '../storage/store.js';
import { amountsOf, scopeOf } from './line-pricing.js';
import { statementLabels, statementLocale } from './statement-labels.js';

/** One line of a statement: a key, what people read, the amount at the customer's price. */
export interface StatementLine {
  readonly key: string;
  readonly label: string;
  /** Exact. */
  readonly amount: string;
  /** Rounded to the currency's minor unit, half away from zero: what the document shows. */
  readonly shown: string;
}

/**
 * What a partner sends its customer for a period (issue #29): the partner as issuer, the
 * customer, its spend at the partner's prices by subscription and by meter category, per day.
 * Never the partner's cost or margin. Amounts are exact; the document shows each rounded to the
 * currency's minor unit, half away from zero, and the difference between the rounded total and
 * the sum of the rounded lines (`roundingDifference`), so the figures a person adds up agree.
 */
export interface Statement {
  readonly issuer: { readonly tenantId: string; readonly name: string };
  readonly customer: { readonly tenantId: string; readonly name: string; readonly domain: string };
  readonly period: string;
  readonly currency: string;
  /** The culture it is written in: a legacy customer's own, else its country's language (statement-labels.ts). */
  readonly locale: string;
  /** The currency's minor unit (JPY 0, EUR 2, KWD 3). */
  readonly decimals: number;
  readonly bySubscription: readonly StatementLine[];
  readonly byCategory: readonly StatementLine[];
  readonly byDay: readonly StatementLine[];
  readonly total: string;
  readonly totalShown: string;
  /** totalShown − the sum of the rounded subscription lines. */
  readonly roundingDifference: string;
  readonly lines: number;
}

/** The currency's minor unit, as Intl knows it. */
export function minorUnit(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** A customer's statement for a period; NotFound for a customer the partner does not have. */
export async function statementOf(
  store: Store,
  partnerTenantId: string,
  customerTenantId: string,
  period: string,
): Promise<Statement> {
  const customer = (await store.customerUsage(partnerTenantId, period, undefined, customerTenantId.toLowerCase()))[0];
  if (!customer) throw new NotFound(`no customer ${customerTenantId} for this partner`);
  const rules = await store.prices.rules(partnerTenantId);
  const groups = {
    sub: new Map<string, [string, Decimal]>(),
    cat: new Map<string, [string, Decimal]>(),
    day: new Map<string, [string, Decimal]>(),
  };
  const sum = (map: Map<string, [string, Decimal]>, key: string, label: string, amount: Decimal) =>
    map.set(key, [label, add(map.get(key)?.[1] ?? ZERO, amount)]);
  let total = ZERO;
  let lines = 0;
  const partner = (await store.partners()).find((p) => p.tenantId === partnerTenantId.toLowerCase());
  const issuer = { tenantId: partnerTenantId.toLowerCase(), name: partner?.name ?? '' };
  let domain = '';
  let country = '';
  for await (const row of store.lines.rows(partnerTenantId, period, { customerTenantId: customer.tenantId })) {
    const price = linePrice(ruleFor(rules, scopeOf(row)), amountsOf(row).billing);
    domain = row.owner.customer.domain;
    country = row.owner.customer.country;
    sum(groups.sub, row.owner.subscription.id, row.owner.subscription.description || row.owner.subscription.id, price);
    sum(groups.cat, row.meter.category, row.meter.category, price);
    const day = String(row.day);
    sum(groups.day, day, `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}`, price);
    total = add(total, price);
    lines++;
  }
  const locale = statementLocale({ currencyLocale: customer.currencyLocale, country });
  const decimals = minorUnit(customer.currency);
  const shown = (d: Decimal) => formatDecimal(round(d, decimals));
  const linesOf = (map: Map<string, [string, Decimal]>) =>
    [...map.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, [label, amount]]) => ({ key, label, amount: formatDecimal(amount), shown: shown(amount) }));
  const bySubscription = linesOf(groups.sub);
  const shownSum = bySubscription.reduce((n, l) => add(n, round(parseDecimal(l.amount)!, decimals)), ZERO);
  const totalRounded = round(total, decimals);
  return {
    issuer,
    customer: { tenantId: customer.tenantId, name: customer.name, domain },
    period,
    currency: customer.currency,
    locale,
    decimals,
    bySubscription,
    byCategory: linesOf(groups.cat).map((l) => (l.label ? l : { ...l, label: statementLabels(locale).noCategory })),
    byDay: linesOf(groups.day),
    total: formatDecimal(total),
    totalShown: formatDecimal(totalRounded),
    roundingDifference: formatDecimal(add(totalRounded, { units: -shownSum.units, scale: shownSum.scale })),
    lines,
  };
}
