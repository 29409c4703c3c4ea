import { FOCUS_LAYOUT, layoutOf, type ExportLayout } from '../export/export-layout.js';
import { linePrice, ruleFor, type PriceRule } from '../domain/price-rules.js';
import { formatDecimal } from '../money/decimal.js';
import type { StoredLineRow } from '../storage/line-reader.js';
import { amountsOf, scopeOf } from './line-pricing.js';

/**
 * Columns of the partner's FOCUS that would tell a customer what the partner pays: its cost in USD
 * and in the pricing currency, its contracted (effective) unit prices, its partner-earned credit.
 * They are conditional or extensions in FOCUS 1.2, so the customer's file leaves them out.
 */
export const PARTNER_ONLY_COLUMNS: readonly string[] = [
  'ContractedUnitPrice',
  'PricingCurrencyContractedUnitPrice',
  'PricingCurrencyEffectiveCost',
  'x_BilledCostInUsd',
  'x_EffectiveCostInUsd',
  'x_PartnerCreditApplied',
  'x_PartnerCreditRate',
];

/** The costs that are the customer's price in its file (ListCost stays the retail price). */
const PRICED_COLUMNS: readonly string[] = ['BilledCost', 'EffectiveCost', 'ContractedCost'];

/**
 * FOCUS 1.2 from the customer's side (`export --format focus --customer … --prices`): what a
 * customer loads into its own FinOps tools. The invoice issuer is the partner (as in the partner's
 * file); BilledCost, EffectiveCost and ContractedCost are the line's price by the partner's rules
 * (exact); ListCost the retail price; no column that reveals the partner's cost or credit.
 */
export function customerFocusLayout(rules: readonly PriceRule[]): ExportLayout {
  const names = FOCUS_LAYOUT.columns.map((c) => c.name);
  const kept = names.flatMap((name, i) => (PARTNER_ONLY_COLUMNS.includes(name) ? [] : [i]));
  const priced = new Set(names.flatMap((name, i) => (PRICED_COLUMNS.includes(name) ? [i] : [])));
  return layoutOf(
    kept.map((i) => FOCUS_LAYOUT.columns[i]!),
    (row: StoredLineRow) => {
      const all = FOCUS_LAYOUT.values(row);
      const price = formatDecimal(linePrice(ruleFor(rules, scopeOf(row)), amountsOf(row).billing));
      return kept.map((i) => (priced.has(i) ? price : all[i]!));
    },
  );
}
