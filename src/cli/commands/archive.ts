import fs from 'node:fs';
import path from 'node:path';
import { defineCommand } from 'citty';
import { billingPeriodProblem } from '../../contract/billing-period.js';
import { ensurePriceBases, snapshotTagOf } from '../../pricing/price-bases.js';
import { ArchiveMismatch } from '../../storage/archived-periods.js';
import { CliError, EXIT } from '../cli-error.js';
import { encodingOf, exportToFiles, formatOf } from '../export-files.js';
import { choosePartner, dbArg, partnerArg, withStore } from '../shared-args.js';

export const archiveCommand = defineCommand({
  meta: {
    name: 'archive',
    description:
      "Move a partner's old months out of the database: their lines written to a file (Parquet or CSV) and removed, their totals kept",
  },
  args: {
    before: {
      type: 'string',
      description: 'archive every month before this one that still has lines',
      valueHint: 'YYYY-MM',
    },
    out: { type: 'string', description: 'the file to write; .parquet or .csv chooses the encoding', valueHint: 'file' },
    format: {
      type: 'string',
      description: "the lines' layout: csv (the reconciliation file's columns, the default) or focus",
      valueHint: 'csv|focus',
      default: 'csv',
    },
    list: { type: 'boolean', description: 'list the months archived so far, and where' },
    ...partnerArg,
    ...dbArg,
  },
  async run({ args }) {
    if (args.list) {
      const months = await withStore(args.db, async (store) =>
        store.archive.list(await choosePartner(store, args.partner)),
      );
      if (months.length === 0) console.log('no month archived');
      for (const m of months) {
        console.log(
          `${m.period}  ${m.lines === null ? 'being archived (stopped?)' : `${m.lines.toLocaleString('en-US')} lines`}  ${m.archivedAt}  ${m.file}`,
        );
      }
      return;
    }
    if (args.before === undefined) throw new CliError('--before YYYY-MM is required (or --list)', EXIT.usage);
    const problem = billingPeriodProblem(args.before);
    if (problem) throw new CliError(`--before ${JSON.stringify(args.before)} ${problem}`, EXIT.usage);
    if (args.out === undefined) throw new CliError('--out <file> is required', EXIT.usage);
    const format = formatOf(args.format);
    const encoding = encodingOf(args.out);
    const out = path.resolve(args.out);
    // Checked before the months are marked: a target that cannot be written changes nothing.
    try {
      fs.accessSync(path.dirname(out), fs.constants.W_OK);
    } catch (error) {
      throw new CliError(`cannot write ${out}: ${(error as Error).message}`);
    }
    const before = args.before;
    const started = performance.now();
    const done = await withStore(args.db, async (store) => {
      const partner = await choosePartner(store, args.partner);
      // From here the months refuse imports: the file gets every line they hold.
      const periods = await store.archive.begin(partner, before, out);
      if (periods.length === 0) return undefined;
      try {
        const written = await exportToFiles(
          store,
          {
            partnerTenantId: partner,
            periods,
            format,
            ...(process.stderr.isTTY
              ? { onProgress: (n: number) => process.stderr.write(`\r  ${n.toLocaleString('en-US')} lines written`) }
              : {}),
          },
          out,
          true,
        );
        // Each month's price bases are kept under its lines' tag, so margins and prices go on
        // answering for it once its lines are gone (computed once the file is safe: a failed
        // archive changes nothing).
        const tags = new Map<string, string>();
        for (const period of periods) {
          await ensurePriceBases(store, partner, period);
          tags.set(period, await snapshotTagOf(store, partner, period));
        }
        const removed = await store.archive.finish(partner, tags, written.rows);
        return { periods, removed, ...written };
      } catch (error) {
        await store.archive.abandon(partner, periods);
        if (error instanceof ArchiveMismatch) throw new CliError(error.message);
        throw error;
      }
    });
    if (process.stderr.isTTY) process.stderr.write('\r');
    if (!done) {
      console.log(`nothing to archive: no month before ${before} holds lines`);
      return;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const as = encoding === 'csv' ? 'CSV' : 'Parquet';
    const lines = [...done.removed.values()].reduce((a, b) => a + b, 0);
    for (const file of [done.files.out, done.files.legacyOut]) {
      if (file) console.log(`${file}: ${as}, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB`);
    }
    const span = done.periods.length === 1 ? done.periods[0] : `${done.periods[0]} to ${done.periods.at(-1)}`;
    console.log(
      `archived ${lines.toLocaleString('en-US')} lines of ${span} (${[...done.removed].map(([p, n]) => `${p}: ${n.toLocaleString('en-US')}`).join(', ')}) in ${seconds} s: ` +
        'removed from the database, their totals kept; those months now refuse imports',
    );
  },
});
