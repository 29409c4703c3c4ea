import { defineCommand } from 'citty';
import { stringifyExact } from '../../contract/exact-json.js';
import { withLocalApi } from '../local-api.js';
import { currencyName, formatMoney, formatUsd } from '../../domain/money-format.js';
import { billingPeriod, usageReadArgs } from '../shared-args.js';
import { renderTable } from '../text-table.js';
import { subscriptionArgs } from './subscription-args.js';

export const resourcesCommand = defineCommand({
  meta: {
    name: 'resources',
    description: "An Azure plan's spend per resource (GET …/subscriptions/{s}/resourceusagerecords)",
  },
  args: { ...subscriptionArgs, ...usageReadArgs },
  async run({ args }) {
    const period = billingPeriod(args.period);
    const records = await withLocalApi(args.db, args.partner, async (pc) => {
      const all = [];
      const request = pc.customers.byId(args.customer).subscriptions.byId(args.subscription).usageRecords.resources;
      for await (const r of request.list({ period, size: 1000 })) all.push(r);
      return all;
    });
    if (args.json) {
      console.log(stringifyExact(records, 2));
      return;
    }
    console.log(`Billing period ${period}: ${records.length} resources`);
    const rows = records.map((r) => [
      r.resourceName,
      r.resourceGroupName,
      r.resourceType,
      r.entitlementId,
      currencyName(r),
      formatMoney(r.totalCost, r),
      formatUsd(r.usdTotalCost),
    ]);
    console.log(
      renderTable(['resource', 'group', 'type', 'Azure subscription', 'currency', 'total', 'USD total'], rows, [5, 6]),
    );
  },
});
