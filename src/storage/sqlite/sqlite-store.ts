import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../migrations/index.js';
import type { Database } from '../schema.js';
import type { AlertEngine } from '../alert-engine.js';
import { StoreQueries } from '../store-queries.js';
import type { ImportMeta, ImportSession, Store } from '../store.js';
import { BlockImportSession } from '../block-import-session.js';
import { SqliteImportWriter } from './sqlite-import-writer.js';
import type { SnapshotInfo } from '../snapshot.js';
import { clearSqlite, loadSqliteSnapshot, saveSqliteSnapshot } from './sqlite-snapshot.js';

const DATA_VERSION_POLL_MS = 200;

/** The import in progress in this process, per database file (see beginImport). */
const importTurns = new Map<string, Promise<void>>();

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  readonly file: string;
  /** The alert rules (src/alerts' alertEngine). */
  readonly alerts: AlertEngine;
}

/**
 * The embedded store: one SQLite file in WAL mode. Reads go through Kysely (the same queries
 * PostgreSQL runs); imports use better-sqlite3 directly for speed.
 *
 * Integers read back stay below 2^53 (keys, counts, days); the 64-bit line identity is written
 * but never read as a number, so `safeIntegers` is not needed.
 */
export class SqliteStore extends StoreQueries implements Store {
  readonly kind = 'sqlite' as const;
  readonly #sqlite: BetterSqlite3.Database;
  readonly #version: BetterSqlite3.Statement;
  #otherWrites = 0;
  #ownWrites = 0;
  #ownAlertWrites = 0;
  #checkedAt = -Infinity;

  readonly #file: string;
  readonly #alerts: AlertEngine;

  private constructor(sqlite: BetterSqlite3.Database, db: Kysely<Database>, file: string, alerts: AlertEngine) {
    super(db, alerts);
    this.#sqlite = sqlite;
    this.#file = file;
    this.#alerts = alerts;
    this.#version = sqlite.prepare('PRAGMA data_version').pluck();
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
    // Kysely takes no lock for SQLite migrations: when two processes open a new file at once, one
    // fails on the other's tables and, its transaction rolled back, finds them migrated next time.
    let error: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      ({ error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest());
      if (!error) break;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
    if (error) {
      await db.destroy();
      throw new Error(`could not migrate it: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    return new SqliteStore(
      sqlite,
      db,
      options.file === ':memory:' ? `:memory:${Math.random()}` : path.resolve(options.file),
      options.alerts,
    );
  }

  /**
   * SQLite has one writer at a time, and better-sqlite3 waits for the write lock synchronously:
   * a second import in this process would block the thread that must finish the first. So the
   * imports of one file take turns here; another process waits for the lock (up to 10 minutes).
   */
  async beginImport(meta: ImportMeta): Promise<ImportSession> {
    const endTurn = await this.#turn();
    const writer = new SqliteImportWriter(this.#sqlite, this.db);
    this.#sqlite.pragma('busy_timeout = 600000');
    try {
      return await BlockImportSession.begin(writer, meta, {
        onCommit: () => void this.noteChange(),
        onEnd: endTurn,
        alerts: this.engine,
        kind: this.kind,
      });
    } catch (error) {
      await writer.rollback();
      endTurn();
      throw error;
    } finally {
      this.#sqlite.pragma('busy_timeout = 5000');
    }
  }

  /**
   * This store's own writes show at once; another process's commits (SQLite's data_version) are
   * looked for at most every 200 ms: asking SQLite on every request was measured at a fifth of
   * the API's time per cached response.
   */
  dataVersion(): string {
    const now = performance.now();
    if (now - this.#checkedAt > DATA_VERSION_POLL_MS) {
      this.#otherWrites = this.#version.get() as number;
      this.#checkedAt = now;
    }
    return `${this.#otherWrites}.${this.#ownWrites}`;
  }

  /** Another process's writes of the alert tables move data_version, hence dataVersion(), too. */
  alertsVersion(): string {
    return `${this.dataVersion()}.${this.#ownAlertWrites}`;
  }

  saveSnapshot(file: string): Promise<SnapshotInfo> {
    return saveSqliteSnapshot(this.#sqlite, file);
  }

  /** In the import's turn: a snapshot never lands in the middle of an import of this process. */
  async loadSnapshot(file: string): Promise<SnapshotInfo> {
    const info = await this.#inImportTurn(() =>
      loadSqliteSnapshot(this.#sqlite, file, async (copy) => {
        await (await SqliteStore.open({ file: copy, alerts: this.#alerts })).close();
      }),
    );
    await this.noteChange();
    return info;
  }

  async clear(): Promise<void> {
    await this.#inImportTurn(async () => clearSqlite(this.#sqlite));
    await this.noteChange();
  }

  async #inImportTurn<T>(work: () => Promise<T>): Promise<T> {
    const endTurn = await this.#turn();
    try {
      return await work();
    } finally {
      endTurn();
    }
  }

  /** Waits for this file's turn (see beginImport); the function returned ends it. */
  async #turn(): Promise<() => void> {
    const previous = importTurns.get(this.#file) ?? Promise.resolve();
    let endTurn!: () => void;
    const turn = new Promise<void>((resolve) => (endTurn = resolve));
    importTurns.set(
      this.#file,
      previous.then(() => turn),
    );
    await previous;
    return endTurn;
  }

  protected noteChange(): Promise<void> {
    this.#ownWrites++;
    return Promise.resolve();
  }

  protected noteAlertChange(): Promise<void> {
    this.#ownAlertWrites++;
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.db.destroy(); // closes the better-sqlite3 handle too
  }
}
