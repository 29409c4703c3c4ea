import fs from 'node:fs';
import { defineCommand } from 'citty';
import { isGuid } from '../../domain/field-syntax.js';
import { customerFocusLayout } from '../../pricing/customer-focus.js';
import { CliError, EXIT } from '../cli-error.js';
import { encodingOf, exportToFiles, formatOf } from '../export-files.js';
import { billingPeriod, choosePartner, dbArg, partnerArg, periodArg, withStore } from '../shared-args.js';

export const exportCommand = defineCommand({
  meta: {
    name: 'export',
    description:
      "Write a period's line items as FOCUS 1.2 or as Partner Center's reconciliation CSV, to .csv or .parquet",
  },
  args: {
    format: {
      type: 'string',
      description: 'focus (FOCUS 1.2 with x_ extensions) or csv (the reconciliation file; also: reconciliation)',
      valueHint: 'focus|csv',
      required: true,
    },
    out: {
      type: 'string',
      description: 'the file to write; .csv or .parquet chooses the encoding',
      valueHint: 'file',
      required: true,
    },
    customer: { type: 'string', description: "one customer's lines only", valueHint: 'tenant-id' },
    prices: {
      type: 'boolean',
      description:
        "with --format focus and --customer: the customer's side — costs at the customer's price (the price rules), no partner cost or credit",
    },
    ...periodArg,
    ...partnerArg,
    ...dbArg,
  },
  async run({ args }) {
    const format = formatOf(args.format);
    const encoding = encodingOf(args.out);
    if (args.customer !== undefined && !isGuid(args.customer))
      throw new CliError(`--customer must be a tenant id (GUID), got ${JSON.stringify(args.customer)}`, EXIT.usage);
    if (args.prices && (format !== 'focus' || args.customer === undefined))
      throw new CliError("--prices writes one customer's FOCUS: give --format focus and --customer", EXIT.usage);
    const period = billingPeriod(args.period);
    const started = performance.now();
    const { rows, legacyRows, files } = await withStore(args.db, async (store) => {
      const partner = await choosePartner(store, args.partner);
      return exportToFiles(
        store,
        {
          partnerTenantId: partner,
          periods: [period],
          customerTenantId: args.customer,
          format,
          ...(args.prices ? { focusLayout: customerFocusLayout(await store.prices.rules(partner)) } : {}),
          ...(process.stderr.isTTY
            ? { onProgress: (n: number) => process.stderr.write(`\r  ${n.toLocaleString('en-US')} rows`) }
            : {}),
        },
        args.out,
      );
    });
    if (process.stderr.isTTY) process.stderr.write('\r');
    const seconds = (performance.now() - started) / 1000;
    const size = (file: string) => `${(fs.statSync(file).size / 1e6).toFixed(1)} MB`;
    const as = encoding === 'csv' ? 'CSV' : 'Parquet';
    if (files.out) {
      console.log(
        `${files.out}: ${(rows - legacyRows).toLocaleString('en-US')} ${format === 'focus' ? 'FOCUS 1.2' : 'reconciliation'} rows of ${period} ` +
          `as ${as}, ${size(files.out)} in ${seconds.toFixed(2)} s`,
      );
    }
    if (files.legacyOut) {
      console.log(
        `${files.legacyOut}: ${legacyRows.toLocaleString('en-US')} legacy (MS-AZR-0145P) reconciliation rows of ${period} ` +
          `as ${as}, ${size(files.legacyOut)}${files.out ? ': the period holds both kinds of lines, each in its own layout' : ''}`,
      );
    }
  },
});
