import { defineCommand } from 'citty';
import { MARGIN_GROUPS, type MarginGroup } from '../../contract/view-options.js';
import { margins } from '../../pricing/margins.js';
import { CliError, EXIT } from '../cli-error.js';
import { billingPeriod, usageReadArgs, withPartner } from '../shared-args.js';
import { renderTable } from '../text-table.js';

/** --by's words: the API's group names, meterCategory also as meter-category. */
const GROUPS: Readonly<Record<string, MarginGroup>> = {
  ...Object.fromEntries(MARGIN_GROUPS.map((g) => [g.toLowerCase(), g])),
  'meter-category': 'meterCategory',
};

export const marginsCommand = defineCommand({
  meta: {
    name: 'margins',
    description: 'What the partner pays, charges and keeps in a period, by group: each line priced by the price rules',
  },
  args: {
    by: {
      type: 'string',
      description: 'customer (default), reseller, subscription, meter-category or publisher',
      valueHint: 'group',
    },
    ...usageReadArgs,
  },
  async run({ args }) {
    const by = GROUPS[(args.by ?? 'customer').toLowerCase()];
    if (!by)
      throw new CliError(
        `--by must be customer, reseller, subscription, meter-category or publisher, got ${JSON.stringify(args.by)}`,
        EXIT.usage,
      );
    const period = billingPeriod(args.period);
    const rows = await withPartner(args, (store, partner) => margins(store, partner, period, by));
    if (args.json) return console.log(JSON.stringify(rows, null, 2));
    console.log(`Billing period ${period}: ${rows.length} ${by} rows (exact; margin % rounded to 2 decimals)`);
    console.log(
      renderTable(
        [by, 'name', 'currency', 'cost', 'price', 'margin', 'margin %', 'PEC earned'],
        rows.map((r) => [
          r.group || '(none)',
          r.name,
          r.currency,
          r.cost,
          r.price,
          r.margin,
          r.marginPercent ?? '-',
          r.pecEarned,
        ]),
        [3, 4, 5, 6, 7],
      ),
    );
  },
});
