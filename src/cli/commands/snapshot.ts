import { defineCommand } from 'citty';
import { SnapshotError, type SnapshotInfo } from '../../storage/snapshot.js';
import { displayLocation, resolveDatabase } from '../../storage/open-store.js';
import type { Store } from '../../storage/store.js';
import { CliError, EXIT } from '../cli-error.js';
import { dbArg, withStore } from '../shared-args.js';

const fileArg = {
  file: { type: 'positional', description: 'the snapshot file', valueHint: 'file', required: true },
} as const;

/** Runs a save or a load, a snapshot that cannot be loaded being one line (exit 1), the database untouched. */
async function withSnapshot(
  db: string | undefined,
  work: (store: Store) => Promise<SnapshotInfo>,
  done: (info: SnapshotInfo) => string,
): Promise<void> {
  const started = performance.now();
  try {
    const info = await withStore(db, work);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.error(
      `${done(info)}: ${info.rows.toLocaleString('en-US')} rows in ${info.tables} tables, ${info.bytes.toLocaleString('en-US')} bytes (${seconds} s)`,
    );
  } catch (error) {
    if (error instanceof SnapshotError) throw new CliError(error.message, EXIT.refused);
    throw error;
  }
}

const save = defineCommand({
  meta: {
    name: 'save',
    description: "A consistent copy of the database's data in a file, taken while servers use it (a backup)",
  },
  args: { ...fileArg, ...dbArg },
  async run({ args }) {
    await withSnapshot(
      args.db,
      (store) => store.saveSnapshot(args.file),
      () => `saved ${displayLocation(resolveDatabase(args.db))} to ${args.file}`,
    );
  },
});

const load = defineCommand({
  meta: {
    name: 'load',
    description: "Replace every row of the database by a snapshot's, in one transaction (a restore)",
  },
  args: { ...fileArg, ...dbArg },
  async run({ args }) {
    await withSnapshot(
      args.db,
      (store) => store.loadSnapshot(args.file),
      () => `loaded ${args.file} into ${displayLocation(resolveDatabase(args.db))}`,
    );
  },
});

export const snapshotCommand = defineCommand({
  meta: {
    name: 'snapshot',
    description: 'Save the database to a file, or load one back (backups; known states for tests)',
  },
  subCommands: { save, load },
});
