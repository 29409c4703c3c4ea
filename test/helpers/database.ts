import crypto from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';

/** A hash of every row of every table, read straight from the SQLite file. */
export function databaseChecksum(file: string): string {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    db.defaultSafeIntegers(true);
    const hash = crypto.createHash('sha256');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    for (const table of tables) {
      hash.update(`table ${table}\n`);
      for (const row of db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).raw(true).iterate() as Iterable<
        unknown[]
      >) {
        hash.update(row.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : String(v))).join('\u0001') + '\n');
      }
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

/** Rows of one query on the SQLite file. */
export function query<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
