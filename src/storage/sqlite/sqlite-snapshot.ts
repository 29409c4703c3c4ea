import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { otherBackend, SNAPSHOT_SKIPPED_TABLES, SnapshotError, snapshotKind, type SnapshotInfo } from '../snapshot.js';

/** The tables a snapshot holds, in a database's own schema (the SQLite-internal ones aside). */
function dataTables(sqlite: BetterSqlite3.Database, schema = 'main'): string[] {
  return (
    sqlite
      .prepare(
        `SELECT name FROM ${schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .pluck()
      .all() as string[]
  ).filter((t) => !SNAPSHOT_SKIPPED_TABLES.has(t));
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * A consistent copy of the database in `file` while it is in use (SQLite's online backup API),
 * written beside it and renamed into place, so a failed save leaves no half file. The copy keeps
 * no secret (their pages zeroed) and no WAL: one file to hand around.
 */
export async function saveSqliteSnapshot(sqlite: BetterSqlite3.Database, file: string): Promise<SnapshotInfo> {
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  try {
    await sqlite.backup(partial);
    const copy = new BetterSqlite3(partial);
    let rows = 0;
    let tables: string[];
    try {
      copy.pragma('journal_mode = DELETE');
      copy.pragma('secure_delete = ON');
      copy.prepare('DELETE FROM server_secrets').run();
      tables = dataTables(copy);
      for (const t of tables)
        rows += copy
          .prepare(`SELECT count(*) FROM ${quote(t)}`)
          .pluck()
          .get() as number;
    } finally {
      copy.close();
    }
    fs.renameSync(partial, file);
    return { tables: tables.length, rows, bytes: fs.statSync(file).size };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

/**
 * Runs `change` in one write transaction with the snapshot (if any) attached as `snap`: every
 * statement in it commits together or not at all. Foreign keys are checked at the commit, so the
 * tables may be emptied and filled in any order.
 */
function inOneTransaction(sqlite: BetterSqlite3.Database, change: () => void): void {
  if (sqlite.inTransaction) throw new SnapshotError('the database is in the middle of another change: try again');
  sqlite.prepare('BEGIN IMMEDIATE').run();
  try {
    sqlite.pragma('defer_foreign_keys = ON');
    change();
    sqlite.prepare('COMMIT').run();
  } catch (error) {
    if (sqlite.inTransaction) sqlite.prepare('ROLLBACK').run();
    throw error;
  }
}

/** Every row of every data table removed, in one transaction (the server's secrets kept). */
export function clearSqlite(sqlite: BetterSqlite3.Database): void {
  inOneTransaction(sqlite, () => emptyTables(sqlite, dataTables(sqlite)));
}

/**
 * Empties the tables and sets their AUTOINCREMENT counters back (sqlite_sequence: keys start
 * again, as in a new file; the counters' rows stay where they are).
 */
function emptyTables(sqlite: BetterSqlite3.Database, tables: readonly string[]): void {
  for (const t of tables) sqlite.prepare(`DELETE FROM main.${quote(t)}`).run();
  if (hasSequences(sqlite, 'main')) {
    sqlite
      .prepare(`UPDATE main.sqlite_sequence SET seq = 0 WHERE name IN (SELECT value FROM json_each(?))`)
      .run(JSON.stringify(tables));
  }
}

function hasSequences(sqlite: BetterSqlite3.Database, schema: string): boolean {
  return sqlite.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE name = 'sqlite_sequence'`).get() !== undefined;
}

/**
 * Replaces every row by the snapshot's, in one transaction: a snapshot that cannot be read or
 * loaded leaves the database as it was. The snapshot is first brought to this version's schema
 * (`migrate`, on a private copy: the file given is never written), so an older one loads.
 */
export async function loadSqliteSnapshot(
  sqlite: BetterSqlite3.Database,
  file: string,
  migrate: (copy: string) => Promise<void>,
): Promise<SnapshotInfo> {
  const kind = snapshotKind(file);
  if (kind !== 'sqlite') throw otherBackend(file, kind);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partner-usage-snapshot-'));
  const copy = path.join(dir, 'snapshot.db');
  try {
    fs.copyFileSync(file, copy);
    const probe = new BetterSqlite3(copy, { readonly: true });
    try {
      const ours = probe
        .prepare(
          `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('kysely_migration', 'line_blocks')`,
        )
        .pluck()
        .get();
      if (ours !== 2) throw new SnapshotError(`${file} is an SQLite database, but not a partner-usage one`);
    } catch (error) {
      if (error instanceof SnapshotError) throw error;
      throw new SnapshotError(`${file} cannot be read: ${(error as Error).message}`, { cause: error });
    } finally {
      probe.close();
    }
    try {
      await migrate(copy);
    } catch (error) {
      throw new SnapshotError(`${file} cannot be loaded: ${(error as Error).message}`, { cause: error });
    }
    sqlite.prepare('ATTACH DATABASE ? AS snap').run(copy);
    try {
      let rows = 0;
      const theirs = new Set(dataTables(sqlite, 'snap'));
      const tables = dataTables(sqlite);
      inOneTransaction(sqlite, () => {
        emptyTables(sqlite, tables);
        for (const t of tables.filter((name) => theirs.has(name))) {
          // By name, not position: a column added by a later migration sits last in both.
          const columns = (sqlite.prepare(`PRAGMA main.table_info(${quote(t)})`).all() as { name: string }[])
            .map((c) => quote(c.name))
            .join(', ');
          rows += sqlite
            .prepare(`INSERT INTO main.${quote(t)} (${columns}) SELECT ${columns} FROM snap.${quote(t)}`)
            .run().changes;
        }
        // The counters as saved, so that the next keys are the ones the saved database would give.
        if (hasSequences(sqlite, 'main') && hasSequences(sqlite, 'snap')) {
          const names = JSON.stringify(tables);
          sqlite
            .prepare(
              `UPDATE main.sqlite_sequence SET seq = coalesce((SELECT s.seq FROM snap.sqlite_sequence s WHERE s.name = sqlite_sequence.name), 0)
                WHERE name IN (SELECT value FROM json_each(?))`,
            )
            .run(names);
          sqlite
            .prepare(
              `DELETE FROM main.sqlite_sequence WHERE seq = 0 AND name IN (SELECT value FROM json_each(?))
                AND name NOT IN (SELECT name FROM snap.sqlite_sequence)`,
            )
            .run(names);
          sqlite
            .prepare(
              `INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM snap.sqlite_sequence
                WHERE name IN (SELECT value FROM json_each(?)) AND name NOT IN (SELECT name FROM main.sqlite_sequence)`,
            )
            .run(names);
        }
      });
      return { tables: tables.length, rows, bytes: fs.statSync(file).size };
    } finally {
      sqlite.prepare('DETACH DATABASE snap').run();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
