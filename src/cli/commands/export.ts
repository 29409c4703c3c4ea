import fs from 'node:fs';
import path from 'node:path';
import { defineCommand } from 'citty';
import { isGuid } from '../../domain/field-syntax.js';
import { ExportError, writeExport, type ExportEncoding, type ExportFormat } from '../../export/write-export.js';
import { customerFocusLayout } from '../../pricing/customer-focus.js';
import { CliError, EXIT } from '../cli-error.js';
import { billingPeriod, choosePartner, dbArg, partnerArg, periodArg, withStore } from '../shared-args.js';

/** What --format takes: `csv` is the reconciliation file (its name since the first release); `reconciliation` says so. */
const FORMATS: Readonly<Record<string, ExportFormat>> = {
  focus: 'focus',
  csv: 'reconciliation',
  reconciliation: 'reconciliation',
};

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
    const format = FORMATS[args.format.toLowerCase()];
    if (!format) throw new CliError(`--format must be focus or csv, got ${JSON.stringify(args.format)}`, EXIT.usage);
    const extension = path.extname(args.out).toLowerCase();
    const encoding: ExportEncoding | undefined =
      extension === '.csv' ? 'csv' : extension === '.parquet' ? 'parquet' : undefined;
    if (!encoding)
      throw new CliError(`--out must end in .csv or .parquet, got ${JSON.stringify(args.out)}`, EXIT.usage);
    if (args.customer !== undefined && !isGuid(args.customer))
      throw new CliError(`--customer must be a tenant id (GUID), got ${JSON.stringify(args.customer)}`, EXIT.usage);
    if (args.prices && (format !== 'focus' || args.customer === undefined))
      throw new CliError("--prices writes one customer's FOCUS: give --format focus and --customer", EXIT.usage);
    const period = billingPeriod(args.period);
    const started = performance.now();
    // Written beside the targets and renamed into place: a failed export leaves no partial file.
    const ext = path.extname(args.out);
    const legacyFile = `${args.out.slice(0, args.out.length - ext.length)}.legacy${ext}`;
    const { rows, legacyRows, files } = await withStore(args.db, async (store) => {
      const partner = await choosePartner(store, args.partner);
      // Lines go back in the layout they came in: legacy (MS-AZR-0145P) lines in the legacy file's
      // columns, in a second file when the period holds both kinds (docs/sync.md#exports).
      const kinds = format === 'reconciliation' ? await store.lines.formats(partner, period, args.customer) : new Set();
      const files =
        kinds.has('legacy') && kinds.has('daily-rated')
          ? { out: args.out, legacyOut: legacyFile }
          : kinds.has('legacy')
            ? { legacyOut: args.out }
            : { out: args.out };
      const streams = Object.fromEntries(
        Object.entries(files).map(([k, file]) => [k, fs.createWriteStream(`${file}.partial`)]),
      );
      try {
        const written = await writeExport(
          store,
          {
            partnerTenantId: partner,
            periods: [period],
            customerTenantId: args.customer,
            format,
            encoding,
            ...(args.prices ? { focusLayout: customerFocusLayout(await store.prices.rules(partner)) } : {}),
            ...(process.stderr.isTTY
              ? { onProgress: (n: number) => process.stderr.write(`\r  ${n.toLocaleString('en-US')} rows`) }
              : {}),
          },
          streams,
        );
        return { ...written, files };
      } catch (error) {
        for (const stream of Object.values(streams)) stream.destroy();
        for (const file of Object.values(files)) await fs.promises.rm(`${file}.partial`, { force: true });
        if (error instanceof ExportError) throw new CliError(error.message);
        throw error;
      }
    });
    for (const file of Object.values(files)) await fs.promises.rename(`${file}.partial`, file);
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
