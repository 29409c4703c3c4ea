import { defineCommand } from 'citty';
import { stringifyExact } from '../../contract/exact-json.js';
import { withLocalApi } from '../local-api.js';
import { currencyName, formatMoney, formatUsd } from '../../domain/money-format.js';
import { billingPeriod, usageReadArgs } from '../shared-args.js';
import { renderTable } from '../text-table.js';
import { subscriptionArgs } from './subscription-args.js';

export const dailyCommand = defineCommand({
  meta: { name: 'daily', description: "A subscription's spend per day (GET …/subscriptions/{s}/usagerecords/daily)" },
  args: { ...subscriptionArgs, ...usageReadArgs },
  async run({ args }) {
    const period = billingPeriod(args.period);
    const page = await withLocalApi(args.db, args.partner, (pc) =>
      pc.customers.byId(args.customer).subscriptions.byId(args.subscription).usageRecords.daily.get({ period }),
    );
    if (args.json) {
      console.log(stringifyExact(page.items, 2));
      return;
    }
    console.log(`Billing period ${period}: ${page.items.length} days`);
    const rows = page.items.map((d) => [
      d.dateUsed.slice(0, 10),
      currencyName(d),
      formatMoney(d.totalCost, d),
      d.currencyCode ? formatUsd(d.usdTotalCost) : '-',
    ]);
    console.log(renderTable(['day', 'currency', 'total', 'USD total'], rows, [2, 3]));
  },
});
