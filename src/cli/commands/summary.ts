import { defineCommand } from 'citty';
import { stringifyExact } from '../../contract/exact-json.js';
import { withLocalApi } from '../local-api.js';
import { formatMoney, formatUsd } from '../../domain/money-format.js';
import { billingPeriod, usageReadArgs } from '../shared-args.js';
import { renderTable } from '../text-table.js';

export const summaryCommand = defineCommand({
  meta: { name: 'summary', description: "The partner's usage summary (GET /v1/usagesummary)" },
  args: { ...usageReadArgs },
  async run({ args }) {
    const period = billingPeriod(args.period);
    const summary = await withLocalApi(args.db, args.partner, (pc) => pc.usageSummary.get({ period }));
    if (args.json) {
      console.log(stringifyExact(summary, 2));
      return;
    }
    console.log(
      `${summary.resourceName} (${summary.resourceId}), ${summary.billingStartDate.slice(0, 10)} to ${summary.billingEndDate.slice(0, 10)}`,
    );
    console.log(
      `customers: ${summary.customersWithUsageBasedSubscription}; over budget: ${summary.customersOverBudget}; trending over: ${summary.customersTrendingOver}`,
    );
    const rows = (summary.totalsByCurrency ?? []).map((t) => [
      t.currency,
      String(t.customers),
      formatMoney(t.totalCost, { currencyCode: t.currency }),
      formatUsd(t.usdTotalCost),
    ]);
    console.log(renderTable(['currency', 'customers', 'total', 'USD total'], rows, [1, 2, 3]));
  },
});
