import { defineCommand } from 'citty';
import { stringifyExact } from '../../contract/exact-json.js';
import { customerMonthlyUsageRecord } from '../../domain/usage-records.js';
import { renderTable } from '../text-table.js';
import { billingPeriod, choosePartner, dbArg, jsonArg, partnerArg, periodArg, withStore } from '../shared-args.js';

export const customersCommand = defineCommand({
  meta: { name: 'customers', description: 'Per-customer totals of a billing period (GET /v1/customers/usagerecords)' },
  args: { ...periodArg, ...partnerArg, ...dbArg, ...jsonArg },
  async run({ args }) {
    const period = billingPeriod(args.period);
    const records = await withStore(args.db, async (store) => {
      const partner = await choosePartner(store, args.partner);
      return (await store.customerUsage(partner, period)).map((row) => customerMonthlyUsageRecord(row, period));
    });
    if (args.json) {
      console.log(stringifyExact(records, 2));
      return;
    }
    const rows = [...records]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => [
        r.name,
        r.currencyCode ?? r.currencyLocale ?? '',
        r.totalCost.text,
        r.currencyCode !== undefined ? (r.usdTotalCost?.text ?? '-') : '-',
        r.budget.amount?.text ?? '-',
        r.budget.amount ? r.percentUsed.text : '-',
      ]);
    console.log(`Billing period ${period}: ${records.length} customers`);
    console.log(renderTable(['customer', 'currency', 'total', 'USD total', 'budget', '% used'], rows, [2, 3, 4, 5]));
  },
});
