import fs from 'node:fs';
import path from 'node:path';
import type { AccessGrant } from '../domain/access-grant.js';
import type { LineFormat } from '../domain/line-schema.js';
import { linePrice, ruleFor, type PriceRule } from '../domain/price-rules.js';
import {
  LEGACY_RECONCILIATION_LAYOUT,
  RECONCILIATION_LAYOUT,
  layoutOf,
  type ExportLayout,
} from '../export/export-layout.js';
import { COLUMN, lineFormat, lineValue } from '../export/line-values.js';
import { csvSink, type RowSink } from '../export/row-sinks.js';
import { importFile } from '../ingest/importer.js';
import { formatDecimal, parseDecimal, ZERO } from '../money/decimal.js';
import type { StoredLineRow } from '../storage/line-reader.js';
import type { Store } from '../storage/store.js';
import { amountsOf, scopeOf } from './line-pricing.js';

/**
 * A grantee's view (issue #30): the lines of its scope at their prices, imported into a store of
 * its own, so that every route answers a grantee from the same code as the partner — and from data
 * that holds neither another customer's lines nor the partner's cost. In each line the amounts are
 * its price by the partner's rules (the billing total, and the pricing-currency total the USD
 * figures come from); the columns that would tell the partner's cost or credit are emptied.
 */

/** Columns emptied in a grantee's lines: the partner's contracted price, credit and taxes with Microsoft. */
const PARTNER_ONLY: Readonly<Record<LineFormat, readonly string[]>> = {
  'daily-rated': ['EffectiveUnitPrice', 'PartnerEarnedCreditPercentage'],
  legacy: ['TaxAmount', 'PostTaxTotal', 'PretaxEffectiveRate', 'PostTaxEffectiveRate'],
};

const ONE = { units: 1n, scale: 0 };

/** The reconciliation layout of `format` with a line's amounts at its price and the partner-only columns empty. */
function pricedLayout(format: LineFormat, rules: readonly PriceRule[]): ExportLayout {
  const layout = format === 'legacy' ? LEGACY_RECONCILIATION_LAYOUT : RECONCILIATION_LAYOUT;
  const names = layout.columns.map((c) => c.name);
  const billingAt = names.indexOf(format === 'legacy' ? 'PretaxCharges' : 'BillingPreTaxTotal');
  const pricingAt = names.indexOf('PricingPreTaxTotal');
  const emptied = PARTNER_ONLY[format].map((name) => names.indexOf(name)).filter((i) => i >= 0);
  return layoutOf(layout.columns, (row: StoredLineRow) => {
    const values = layout.values(row);
    const rule = ruleFor(rules, scopeOf(row));
    const { billing } = amountsOf(row);
    values[billingAt] = formatDecimal(linePrice(rule, billing));
    if (pricingAt >= 0) {
      // The same rule in the pricing currency: its unit price is in it already (rate 1).
      const cost = parseDecimal(lineValue(row, COLUMN.PricingPreTaxTotal)) ?? ZERO;
      values[pricingAt] = formatDecimal(linePrice(rule, { ...billing, cost, rate: billing.rate && ONE }));
    }
    for (const i of emptied) values[i] = null;
    return values;
  });
}

/** Whether a stored line is in the grant's scope: the customer's lines, or those naming the reseller. */
const inScope = (grant: AccessGrant) =>
  grant.scope === 'customer'
    ? () => true
    : (row: StoredLineRow) => lineValue(row, COLUMN.Tier2MpnId).trim() === grant.id;

/**
 * Builds the grant's view of the partner's data into `view` (an empty store): its lines of every
 * period at their prices, and the budgets of its customers. Writes the lines as reconciliation
 * files in `workDir` (removed after), then imports them as any file is.
 */
export async function buildPricedView(
  store: Store,
  partnerTenantId: string,
  grant: AccessGrant,
  view: Store,
  workDir: string,
): Promise<void> {
  const rules = await store.prices.rules(partnerTenantId);
  const keep = inScope(grant);
  const customerTenantId = grant.scope === 'customer' ? grant.id : undefined;
  const files: Partial<Record<LineFormat, { file: string; out: fs.WriteStream; sink: RowSink; layout: ExportLayout }>> =
    {};
  try {
    for (const period of await store.periods(partnerTenantId)) {
      for await (const row of store.lines.rows(partnerTenantId, period, { customerTenantId })) {
        if (!keep(row)) continue;
        const format = lineFormat(row);
        let target = files[format];
        if (!target) {
          const layout = pricedLayout(format, rules);
          const file = path.join(workDir, `${format}.csv`);
          const out = fs.createWriteStream(file);
          target = files[format] = { file, out, layout, sink: csvSink(out, layout.columns) };
        }
        await target.sink.write(target.layout.values(row));
      }
    }
    for (const target of Object.values(files)) await target.sink.end();
    // Stamped as the partner's last import, so the view's records show when the data changed.
    const at = await store.lastImportAt(partnerTenantId);
    const now = () => (at === null ? new Date() : new Date(at));
    for (const target of Object.values(files)) await importFile(view, target.file, { now });
    const customers = new Set((await view.customerCurrencies(partnerTenantId)).map(([, customer]) => customer));
    const [latest] = await store.periods(partnerTenantId);
    if (latest === undefined) return;
    for (const row of await store.customerUsage(partnerTenantId, latest)) {
      if (row.budget !== null && customers.has(row.tenantId))
        await view.setBudget(partnerTenantId, row.tenantId, row.budget, 'partner');
    }
  } finally {
    // A build that failed half-way leaves no file open (destroy: nothing, once a file is ended).
    for (const target of Object.values(files)) {
      target.out.destroy();
      await fs.promises.rm(target.file, { force: true });
    }
  }
}
