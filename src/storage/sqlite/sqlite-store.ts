import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../migrations/index.js';
import type { Database } from '../schema.js';
import { StoreQueries } from '../store-queries.js';
import type { ImportMeta, ImportSession, Store } from '../store.js';
import { SqliteImportSession } from './sqlite-import-session.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  readonly file: string;
}

/**
 * The embedded store: one SQLite file in WAL mode. Reads go through Kysely (the same queries
 * PostgreSQL will run); imports use better-sqlite3 directly for speed.
 *
 * Integers read back stay below 2^53 (keys, counts, days); the 64-bit line identity is written
 * but never read as a number, so `safeIntegers` is not needed.
 */
export class SqliteStore extends StoreQueries implements Store {
  readonly kind = 'sqlite' as const;
  readonly #sqlite: BetterSqlite3.Database;

  private constructor(sqlite: BetterSqlite3.Database, db: Kysely<Database>) {
    super(db);
    this.#sqlite = sqlite;
  }

  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    if (options.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    const sqlite = new BetterSqlite3(options.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('cache_size = -16384'); // 16 MiB
    sqlite.pragma('temp_store = MEMORY');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error) {
      await db.destroy();
      throw new Error(`could not migrate the database ${options.file}: ${String(error)}`, { cause: error });
    }
    return new SqliteStore(sqlite, db);
  }

  beginImport(meta: ImportMeta): Promise<ImportSession> {
    return Promise.resolve(new SqliteImportSession(this.#sqlite, meta));
  }

  dataVersion(): string {
    // data_version moves when another connection commits; total_changes when this one writes.
    return `${String(this.#sqlite.pragma('data_version', { simple: true }))}.${String(this.#sqlite.prepare('SELECT total_changes()').pluck().get())}`;
  }

  async close(): Promise<void> {
    await this.db.destroy(); // closes the better-sqlite3 handle too
  }
}
