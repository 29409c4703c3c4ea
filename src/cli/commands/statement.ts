import fs from 'node:fs';
import path from 'node:path';
import { defineCommand } from 'citty';
import { isGuid } from '../../domain/field-syntax.js';
import { statementOf } from '../../pricing/statement.js';
import { statementCsv, writeStatementPdf } from '../../pricing/statement-pdf.js';
import { CliError, EXIT } from '../cli-error.js';
import { billingPeriod, dbArg, partnerArg, periodArg, withPartner } from '../shared-args.js';

export const statementCommand = defineCommand({
  meta: {
    name: 'statement',
    description: "What the partner sends a customer for a period: its spend at the partner's prices, as PDF or CSV",
  },
  args: {
    customer: { type: 'string', description: 'the customer', valueHint: 'tenant-id', required: true },
    out: {
      type: 'string',
      description: 'the file to write; .pdf or .csv chooses the form',
      valueHint: 'file',
      required: true,
    },
    ...periodArg,
    ...partnerArg,
    ...dbArg,
  },
  async run({ args }) {
    const form = path.extname(args.out).toLowerCase();
    if (form !== '.pdf' && form !== '.csv')
      throw new CliError(`--out must end in .pdf or .csv, got ${JSON.stringify(args.out)}`, EXIT.usage);
    if (!isGuid(args.customer))
      throw new CliError(`--customer must be a tenant id (GUID), got ${JSON.stringify(args.customer)}`, EXIT.usage);
    const period = billingPeriod(args.period);
    const statement = await withPartner(args, (store, partner) => statementOf(store, partner, args.customer, period));
    // Written beside the target and renamed into place: a failed write leaves no partial file.
    const partial = `${args.out}.partial`;
    if (form === '.csv') fs.writeFileSync(partial, statementCsv(statement));
    else await writeStatementPdf(statement, fs.createWriteStream(partial));
    fs.renameSync(partial, args.out);
    console.log(
      `${args.out}: ${statement.customer.name}, ${period}, total ${statement.totalShown} ${statement.currency} ` +
        `(${statement.lines.toLocaleString('en-US')} lines at the partner's prices)`,
    );
  },
});
