import { defineCommand } from 'citty';
import { ImportError, importFile, type ImportSummary } from '../../ingest/importer.js';
import { describeStorageFailure } from '../../storage/storage-failure.js';
import { CliError, EXIT } from '../cli-error.js';
import { importProgressBar } from '../progress.js';
import { dbArg, jsonArg, maxBytesArg, maxBytesOf, withStore } from '../shared-args.js';

export const importCommand = defineCommand({
  meta: {
    name: 'import',
    description: 'Import Partner Center reconciliation files (daily rated usage or legacy; .csv or .csv.gz)',
  },
  args: {
    files: { type: 'positional', description: 'files to import, one transaction each', required: true },
    ...dbArg,
    'skip-invalid': {
      type: 'boolean',
      description: 'import the good lines; write rejected ones with reasons to <file>.rejected.csv',
    },
    ...maxBytesArg,
    ...jsonArg,
  },
  async run({ args }) {
    const files = args._.length > 0 ? args._ : [args.files];
    const maxBytes = maxBytesOf(args['max-bytes']);
    const summaries: ImportSummary[] = [];
    await withStore(args.db, async (store) => {
      for (const file of files) {
        const progress = importProgressBar(file);
        try {
          const summary = await importFile(store, file, {
            skipInvalid: args['skip-invalid'] === true,
            onProgress: progress.update,
            ...(maxBytes === undefined ? {} : { maxBytes }),
          });
          progress.stop();
          summaries.push(summary);
          if (!args.json) console.log(describe(summary));
        } catch (error) {
          progress.stop();
          if (error instanceof ImportError) {
            throw new CliError(`${error.message}\nnothing was imported from ${file}; the database is unchanged`);
          }
          const storage = describeStorageFailure(error);
          if (storage) {
            throw new CliError(
              `${file}: ${storage}\nnothing was imported from ${file}; the database is unchanged`,
              EXIT.database,
            );
          }
          throw error;
        }
      }
    });
    if (args.json) console.log(JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2));
  },
});

function describe(s: ImportSummary): string {
  const rate = Math.round(s.lines / Math.max(s.seconds, 1e-6)).toLocaleString('en-US');
  return (
    `${s.file}: imported ${s.lines.toLocaleString('en-US')} ${s.format} lines ` +
    `(${s.customers} customers, period${s.periods.length === 1 ? '' : 's'} ${s.periods.join(', ') || 'none'}) ` +
    `in ${s.seconds.toFixed(2)} s, ${rate} lines/s` +
    (s.replaced > 0 ? `; ${s.replaced.toLocaleString('en-US')} replaced earlier lines` : '') +
    (s.rejected > 0 ? `; ${s.rejected} rejected, see ${s.rejectsFile}` : '')
  );
}
