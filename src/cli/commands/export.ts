import fs from 'node:fs';
import path from 'node:path';
import { defineCommand } from 'citty';
import { isGuid } from '../../ingest/field-parsers.js';
import { ExportError, writeExport, type ExportEncoding } from '../../export/write-export.js';
import { CliError, EXIT } from '../cli-error.js';
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
      description: 'focus (FOCUS 1.2 with x_ extensions) or csv (the reconciliation file)',
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
    ...periodArg,
    ...partnerArg,
    ...dbArg,
  },
  async run({ args }) {
    const format = args.format.toLowerCase();
    if (format !== 'focus' && format !== 'csv')
      throw new CliError(`--format must be focus or csv, got ${JSON.stringify(args.format)}`, EXIT.usage);
    const extension = path.extname(args.out).toLowerCase();
    const encoding: ExportEncoding | undefined =
      extension === '.csv' ? 'csv' : extension === '.parquet' ? 'parquet' : undefined;
    if (!encoding)
      throw new CliError(`--out must end in .csv or .parquet, got ${JSON.stringify(args.out)}`, EXIT.usage);
    if (args.customer !== undefined && !isGuid(args.customer))
      throw new CliError(`--customer must be a tenant id (GUID), got ${JSON.stringify(args.customer)}`, EXIT.usage);
    const period = billingPeriod(args.period);
    const started = performance.now();
    // Written beside the target and renamed into place: a failed export leaves no partial file.
    const partial = `${args.out}.partial`;
    const { rows } = await withStore(args.db, async (store) => {
      const partner = await choosePartner(store, args.partner);
      const out = fs.createWriteStream(partial);
      try {
        return await writeExport(
          store,
          {
            partnerTenantId: partner,
            periods: [period],
            customerTenantId: args.customer,
            format,
            encoding,
            ...(process.stderr.isTTY
              ? { onProgress: (n: number) => process.stderr.write(`\r  ${n.toLocaleString('en-US')} rows`) }
              : {}),
          },
          out,
        );
      } catch (error) {
        out.destroy();
        await fs.promises.rm(partial, { force: true });
        if (error instanceof ExportError) throw new CliError(error.message);
        throw error;
      }
    });
    await fs.promises.rename(partial, args.out);
    if (process.stderr.isTTY) process.stderr.write('\r');
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${args.out}: ${rows.toLocaleString('en-US')} ${format === 'focus' ? 'FOCUS 1.2' : 'reconciliation'} rows of ${period} ` +
        `as ${encoding === 'csv' ? 'CSV' : 'Parquet'}, ${(fs.statSync(args.out).size / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s`,
    );
  },
});
