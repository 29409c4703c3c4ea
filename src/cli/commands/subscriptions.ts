import { defineCommand } from 'citty';
import { stringifyExact } from '../../contract/exact-json.js';
import { withLocalApi } from '../local-api.js';
import { currencyName, formatMoney, formatUsd } from '../../domain/money-format.js';
import { billingPeriod, usageReadArgs } from '../shared-args.js';
import { renderTable } from '../text-table.js';

export const subscriptionsCommand = defineCommand({
  meta: {
    name: 'subscriptions',
    description: "A customer's subscriptions with their spend (GET /v1/customers/{c}/subscriptions/usagerecords)",
  },
  args: {
    customer: { type: 'positional', description: 'customer tenant id', required: true },
    ...usageReadArgs,
  },
  async run({ args }) {
    const period = billingPeriod(args.period);
    const page = await withLocalApi(args.db, args.partner, (pc) =>
      pc.customers.byId(args.customer).subscriptions.usageRecords.get({ period }),
    );
    if (args.json) {
      console.log(stringifyExact(page.items, 2));
      return;
    }
    console.log(`Billing period ${period}: ${page.items.length} subscriptions`);
    const rows = page.items.map((s) => [
      s.id,
      s.name,
      s.offerId,
      s.status,
      currencyName(s),
      formatMoney(s.totalCost, s),
      s.currencyCode ? formatUsd(s.usdTotalCost) : '-',
    ]);
    console.log(
      renderTable(['subscription', 'name', 'offer', 'status', 'currency', 'total', 'USD total'], rows, [5, 6]),
    );
  },
});
