import { defineCommand } from 'citty';
import { stringifyExact } from '../../contract/exact-json.js';
import { customerMonthlyUsageRecord } from '../../domain/usage-records.js';
import { renderTable } from '../text-table.js';
import { billingPeriod, choosePartner, usageReadArgs, withStore } from '../shared-args.js';

export const customersCommand = defineCommand({
  meta: { name: 'customers', description: 'Per-customer totals of a billing period (GET /v1/customers/usagerecords)' },
  args: { ...usageReadArgs },
  async run({ args }) {
    const period = billingPeriod(args.period);
    const records = await withStore(args.db, async (store) => {
      const partner = await choosePartner(store, args.partner);
      // A legacy record names its culture (fr-FR) where an Azure plan's names its currency: the
      // table shows the stored currency, always.
      return (await store.customerUsage(partner, period)).map((row) => ({
        record: customerMonthlyUsageRecord(row, period),
        currency: row.currency,
      }));
    });
    if (args.json) {
      console.log(
        stringifyExact(
          records.map((r) => r.record),
          2,
        ),
      );
      return;
    }
    const rows = [...records]
      .sort((a, b) => a.record.name.localeCompare(b.record.name))
      .map(({ record: r, currency }) => [
        r.name,
        currency,
        r.totalCost.text,
        r.currencyCode !== undefined ? (r.usdTotalCost?.text ?? '-') : '-',
        r.budget.amount?.text ?? '-',
        r.budget.amount ? r.percentUsed.text : '-',
      ]);
    console.log(`Billing period ${period}: ${records.length} customers`);
    console.log(renderTable(['customer', 'currency', 'total', 'USD total', 'budget', '% used'], rows, [2, 3, 4, 5]));
  },
});
