import { defineCommand } from 'citty';
import { currentBillingPeriod } from '../../domain/usage-model.js';
import type { PriceRule } from '../../domain/price-rules.js';
import { CliError, EXIT } from '../cli-error.js';
import { billingPeriod, jsonArg, lineScopeArgs, partnerSettingsArgs, withPartner } from '../shared-args.js';
import { renderTable } from '../text-table.js';

/** A rule as a line of the table. */
const row = (r: PriceRule) => [
  r.id,
  r.basis,
  `${r.adjust.startsWith('-') ? '' : '+'}${r.adjust}%`,
  r.customer ? `customer ${r.customer}` : r.reseller ? `reseller ${r.reseller}` : 'partner',
  r.category ? `category ${r.category}` : r.publisher ? `publisher ${r.publisher}` : '',
  r.from,
];

const set = defineCommand({
  meta: {
    name: 'set',
    description:
      "Set what customers are charged: a line's cost or retail price, adjusted; the most specific rule in force prices a line",
  },
  args: {
    cost: { type: 'boolean', description: "from the line's cost (BillingPreTaxTotal, after partner-earned credit)" },
    retail: {
      type: 'boolean',
      description: 'from the retail price (UnitPrice × Quantity × PCToBCExchangeRate, before partner-earned credit)',
    },
    adjust: { type: 'string', description: 'percent to add (12.5) or take off (-5); default 0', valueHint: 'percent' },
    ...lineScopeArgs,
    category: { type: 'string', description: 'only lines of this meter category', valueHint: 'name' },
    publisher: { type: 'string', description: "only this publisher's lines (marketplace)", valueHint: 'name' },
    from: {
      type: 'string',
      description: 'the first billing period it prices (default: the current one)',
      valueHint: 'YYYY-MM',
    },
    ...partnerSettingsArgs,
    ...jsonArg,
  },
  async run({ args }) {
    if (args.cost === args.retail) throw new CliError('give one of --cost and --retail', EXIT.usage);
    if (args.customer !== undefined && args.reseller !== undefined)
      throw new CliError('give --customer or --reseller, not both', EXIT.usage);
    if (args.category !== undefined && args.publisher !== undefined)
      throw new CliError('give --category or --publisher, not both', EXIT.usage);
    const from = args.from === undefined ? currentBillingPeriod() : billingPeriod(args.from);
    const rule = await withPartner(args, (store, partner) =>
      store.prices.set(
        partner,
        {
          basis: args.retail ? 'retail' : 'cost',
          adjust: args.adjust ?? '0',
          customer: args.customer ?? null,
          reseller: args.reseller ?? null,
          category: args.category ?? null,
          publisher: args.publisher ?? null,
          from,
        },
        'cli',
      ),
    );
    if (args.json) console.log(JSON.stringify(rule, null, 2));
    else console.log(`price rule ${rule.id} set: ${row(rule).slice(1).filter(Boolean).join(' ')}`);
  },
});

const list = defineCommand({
  meta: { name: 'list', description: "The partner's price rules" },
  args: { ...partnerSettingsArgs, ...jsonArg },
  async run({ args }) {
    const rules = await withPartner(args, (store, partner) => store.prices.rules(partner));
    if (args.json) return console.log(JSON.stringify(rules, null, 2));
    if (rules.length === 0) return console.log('no price rules: every line is charged at its cost');
    console.log(renderTable(['id', 'basis', 'adjust', 'scope', 'only', 'from'], rules.map(row), [2]));
  },
});

const remove = defineCommand({
  meta: { name: 'remove', description: 'Remove a price rule (the periods it priced are priced by the others)' },
  args: { id: { type: 'positional', description: 'rule id (pr_…)', required: true }, ...partnerSettingsArgs },
  async run({ args }) {
    await withPartner(args, (store, partner) => store.prices.remove(partner, args.id, 'cli'));
    console.log(`price rule ${args.id} removed`);
  },
});

export const pricesCommand = defineCommand({
  meta: { name: 'prices', description: 'What customers are charged: price rules over the lines’ cost or retail price' },
  subCommands: { set, list, remove },
});
