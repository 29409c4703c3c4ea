import { defineCommand } from 'citty';
import { SnapshotError, type SnapshotInfo } from '../../storage/snapshot.js';
import { displayLocation, resolveDatabase } from '../../storage/open-store.js';
import type { Store } from '../../storage/store.js';
import { CliError, EXIT } from '../cli-error.js';
import { dbArg, withStore } from '../shared-args.js';

const fileArg = {
  file: { type: 'positional', description: 'the snapshot file', valueHint: 'file', required: true },
} as const;

/**
 * `snapshot save` or `snapshot load`: runs `work` on the database, saying what it did with the
 * snapshot's size; a snapshot that cannot be loaded is one line (exit 1), the database untouched.
 */
function fileCommand(
  name: 'save' | 'load',
  description: string,
  work: (store: Store, file: string) => Promise<SnapshotInfo>,
  said: (file: string, database: string) => string,
) {
  return defineCommand({
    meta: { name, description },
    args: { ...fileArg, ...dbArg },
    async run({ args }) {
      const started = performance.now();
      try {
        const info = await withStore(args.db, (store) => work(store, args.file));
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.error(
          `${said(args.file, displayLocation(resolveDatabase(args.db)))}: ${info.rows.toLocaleString('en-US')} rows in ${info.tables} tables, ${info.bytes.toLocaleString('en-US')} bytes (${seconds} s)`,
        );
      } catch (error) {
        if (error instanceof SnapshotError) throw new CliError(error.message, EXIT.refused);
        throw error;
      }
    },
  });
}

const save = fileCommand(
  'save',
  "A consistent copy of the database's data in a file, taken while servers use it (a backup)",
  (store, file) => store.saveSnapshot(file),
  (file, database) => `saved ${database} to ${file}`,
);

const load = fileCommand(
  'load',
  "Replace every row of the database by a snapshot's, in one transaction (a restore)",
  (store, file) => store.loadSnapshot(file),
  (file, database) => `loaded ${file} into ${database}`,
);

export const snapshotCommand = defineCommand({
  meta: {
    name: 'snapshot',
    description: 'Save the database to a file, or load one back (backups; known states for tests)',
  },
  subCommands: { save, load },
});
