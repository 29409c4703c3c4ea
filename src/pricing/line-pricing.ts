import { type LineAmounts, type LineScope } from '../domain/price-rules.js';
import { parseDecimal, ZERO, type Decimal } from '../money/decimal.js';
import { COLUMN, lineValue } from '../export/line-values.js';
import type { StoredLineRow } from '../storage/line-reader.js';

// A stored line as the price rules read it (domain/price-rules.ts): what chooses its rule, and its amounts.

const decimal = (text: string): Decimal | undefined => (text.trim() === '' ? undefined : parseDecimal(text));

/** A stored line's amounts, in its billing currency and in USD (its USD cost; retail from USD unit prices). */
export function amountsOf(row: StoredLineRow): { billing: LineAmounts; usd: LineAmounts; pec: Decimal | undefined } {
  const quantity = parseDecimal(row.quantity) ?? ZERO;
  const unitPrice = decimal(lineValue(row, COLUMN.UnitPrice));
  const effectiveUnitPrice = decimal(lineValue(row, COLUMN.EffectiveUnitPrice));
  const usdPricing = lineValue(row, COLUMN.PricingCurrency).trim().toUpperCase() === 'USD';
  return {
    billing: {
      cost: parseDecimal(row.billing) ?? ZERO,
      quantity,
      unitPrice,
      rate: decimal(lineValue(row, COLUMN.PCToBCExchangeRate)),
      effectiveUnitPrice,
    },
    usd: {
      cost: parseDecimal(row.usd) ?? ZERO,
      quantity,
      // Unit prices are in the pricing currency: a retail price in USD only where that is USD.
      unitPrice: usdPricing ? unitPrice : undefined,
      rate: { units: 1n, scale: 0 },
      effectiveUnitPrice,
    },
    pec: decimal(lineValue(row, COLUMN.PartnerEarnedCreditPercentage)),
  };
}

/** What chooses a stored line's rule: its customer, reseller, meter category, publisher and period. */
export const scopeOf = (row: StoredLineRow): LineScope => ({
  customer: row.owner.customer.tenantId,
  reseller: lineValue(row, COLUMN.Tier2MpnId).trim(),
  category: row.meter.category,
  publisher: lineValue(row, COLUMN.PublisherName).trim(),
  period: row.period,
});
