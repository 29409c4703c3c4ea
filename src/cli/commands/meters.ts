import { defineCommand } from 'citty';
import { stringifyExact } from '../../contract/exact-json.js';
import { meterUsageRecord } from '../../domain/usage-records.js';
import { CliError } from '../cli-error.js';
import { renderTable } from '../text-table.js';
import { subscriptionArgs } from './subscription-args.js';
import { billingPeriod, choosePartner, usageReadArgs, withStore } from '../shared-args.js';

export const metersCommand = defineCommand({
  meta: {
    name: 'meters',
    description: 'Per-meter totals of one subscription (GET /v1/customers/{c}/subscriptions/{s}/meterusagerecords)',
  },
  args: {
    ...subscriptionArgs,
    ...usageReadArgs,
  },
  async run({ args }) {
    const period = billingPeriod(args.period);
    const result = await withStore(args.db, async (store) => {
      const partner = await choosePartner(store, args.partner);
      return store.meterUsage({
        partnerTenantId: partner,
        customerTenantId: args.customer,
        subscriptionId: args.subscription,
        period,
      });
    });
    if (result.found === 'customer-missing') throw new CliError(`no customer ${args.customer} for this partner`);
    if (result.found === 'subscription-missing') {
      throw new CliError(`customer ${args.customer} has no subscription ${args.subscription}`);
    }
    const records = result.meters.map((m) => meterUsageRecord(m, result));
    if (args.json) {
      console.log(stringifyExact(records, 2));
      return;
    }
    const currency = result.plan === 'legacy' ? (result.currencyLocale ?? '') : result.currency;
    console.log(`Billing period ${period}: ${records.length} meters, costs in ${currency}`);
    const rows = records.map((r) => [
      r.meterName,
      r.category,
      r.subcategory,
      r.quantityUsed.text,
      r.unit,
      r.totalCost.text,
      r.currencyCode !== undefined ? (r.usdTotalCost?.text ?? '-') : '-',
    ]);
    console.log(
      renderTable(['meter', 'category', 'subcategory', 'quantity', 'unit', 'total', 'USD total'], rows, [3, 5, 6]),
    );
  },
});
