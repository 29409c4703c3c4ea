import { defineCommand } from 'citty';
import { formatDecimal, parseDecimal } from '../../money/decimal.js';
import { CliError } from '../cli-error.js';
import { choosePartner, dbArg, partnerArg, withStore } from '../shared-args.js';

const customerArg = { customer: { type: 'positional', description: 'customer tenant id', required: true } } as const;

async function applyBudget(
  db: string | undefined,
  partner: string | undefined,
  customer: string,
  amount: string | null,
) {
  await withStore(db, async (store) => {
    const partnerId = await choosePartner(store, partner);
    if (!(await store.setBudget(partnerId, customer, amount)))
      throw new CliError(`no customer ${customer} for partner ${partnerId}`);
  });
}

const set = defineCommand({
  meta: { name: 'set', description: "Set a customer's monthly spending budget (in its billing currency)" },
  args: {
    ...customerArg,
    amount: { type: 'positional', description: 'amount, e.g. 20 or 97.50', required: true },
    ...partnerArg,
    ...dbArg,
  },
  async run({ args }) {
    const amount = parseDecimal(args.amount);
    if (!amount || amount.units < 0n)
      throw new CliError(`the budget must be a non-negative decimal, got ${JSON.stringify(args.amount)}`, 2);
    await applyBudget(args.db, args.partner, args.customer, formatDecimal(amount));
    console.log(`budget of ${args.customer} set to ${formatDecimal(amount)}`);
  },
});

const clear = defineCommand({
  meta: { name: 'clear', description: "Remove a customer's spending budget" },
  args: { ...customerArg, ...partnerArg, ...dbArg },
  async run({ args }) {
    await applyBudget(args.db, args.partner, args.customer, null);
    console.log(`budget of ${args.customer} cleared`);
  },
});

export const budgetCommand = defineCommand({
  meta: { name: 'budget', description: "Set or clear customers' spending budgets" },
  subCommands: { set, clear },
});
