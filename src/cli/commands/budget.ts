import fs from 'node:fs';
import { defineCommand } from 'citty';
import { readBudgetAmount } from '../../domain/budget.js';
import { CliError } from '../cli-error.js';
import { dbArg, jsonArg, partnerArg, withPartner } from '../shared-args.js';
import { renderTable } from '../text-table.js';

const customerArg = { customer: { type: 'positional', description: 'customer tenant id', required: true } } as const;

const applyBudget = (
  args: { db?: string | undefined; partner?: string | undefined; customer: string },
  amount: string | null,
) =>
  withPartner(args, (store, partner) =>
    store.alerts.setBudgets(partner, [{ customerTenantId: args.customer, amount }], 'cli'),
  );

const set = defineCommand({
  meta: { name: 'set', description: "Set a customer's monthly spending budget (in its billing currency)" },
  args: {
    ...customerArg,
    amount: { type: 'positional', description: 'amount, e.g. 20 or 97.50', required: true },
    ...partnerArg,
    ...dbArg,
  },
  async run({ args }) {
    const read = readBudgetAmount(args.amount);
    if ('problem' in read) throw new CliError(`the budget ${JSON.stringify(args.amount)} ${read.problem}`, 2);
    await applyBudget(args, read.amount);
    console.log(`budget of ${args.customer} set to ${read.amount}`);
  },
});

const clear = defineCommand({
  meta: { name: 'clear', description: "Remove a customer's spending budget" },
  args: { ...customerArg, ...partnerArg, ...dbArg },
  async run({ args }) {
    await applyBudget(args, null);
    console.log(`budget of ${args.customer} cleared`);
  },
});

/**
 * A budgets file: a header naming `customerId` and `budget` (or `amount`) in any case and order,
 * then a row per customer; an empty budget clears one. Every row is checked before any is set.
 */
export function readBudgetsFile(text: string, file: string): { customerTenantId: string; amount: string | null }[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const cells = (line: string) => line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const header = cells(lines[0] ?? '').map((h) => h.toLowerCase());
  const idCol = header.findIndex((h) => h === 'customerid' || h === 'customer');
  const amountCol = header.findIndex((h) => h === 'budget' || h === 'amount');
  if (idCol < 0 || amountCol < 0)
    throw new CliError(`${file}:1: the header must name customerId and budget columns (got ${lines[0] ?? ''})`);
  const rows: { customerTenantId: string; amount: string | null }[] = [];
  const seen = new Set<string>();
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = (col: number) =>
      `${file}:${i + 2}:${line.split(',').slice(0, col).join(',').length + (col > 0 ? 2 : 1)}`;
    const c = cells(line);
    const id = (c[idCol] ?? '').toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id))
      throw new CliError(`${at(idCol)}: customerId ${JSON.stringify(c[idCol] ?? '')} is not a tenant id (GUID)`);
    if (seen.has(id)) throw new CliError(`${at(idCol)}: customer ${id} appears twice`);
    seen.add(id);
    const text = c[amountCol] ?? '';
    const read = text === '' ? undefined : readBudgetAmount(text);
    if (read && 'problem' in read)
      throw new CliError(`${at(amountCol)}: budget ${JSON.stringify(text)} ${read.problem}`);
    rows.push({ customerTenantId: id, amount: read ? read.amount : null });
  });
  return rows;
}

const importBudgets = defineCommand({
  meta: {
    name: 'import',
    description: 'Set many budgets from a CSV (customerId,budget; empty clears): all or, at a bad row, none',
  },
  args: { file: { type: 'positional', description: 'CSV file', required: true }, ...partnerArg, ...dbArg },
  async run({ args }) {
    let text: string;
    try {
      text = fs.readFileSync(args.file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${args.file}: ${(error as Error).message}`);
    }
    const rows = readBudgetsFile(text, args.file);
    await withPartner(args, (store, partner) => store.alerts.setBudgets(partner, rows, 'cli'));
    console.log(`${rows.length} budget${rows.length === 1 ? '' : 's'} set from ${args.file}`);
  },
});

const list = defineCommand({
  meta: { name: 'list', description: 'Customers with a budget' },
  args: { ...partnerArg, ...dbArg, ...jsonArg },
  async run({ args }) {
    const rows = await withPartner(args, (store, partner) => store.alerts.budgets(partner));
    if (args.json) return console.log(JSON.stringify(rows, null, 2));
    console.log(
      renderTable(
        ['customer', 'name', 'budget', 'currency'],
        rows.map((r) => [r.customerTenantId, r.name, r.budget, r.currency]),
        [2],
      ),
    );
  },
});

export const budgetCommand = defineCommand({
  meta: { name: 'budget', description: "Set, clear, import or list customers' spending budgets" },
  subCommands: { set, clear, import: importBudgets, list },
});
