import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { BlockImportSession } from '../block-import-session.js';
import { migrationProvider } from '../migrations/index.js';
import type { Database } from '../schema.js';
import type { AlertEngine } from '../alert-engine.js';
import { StoreQueries } from '../store-queries.js';
import type { ImportMeta, ImportSession, Store } from '../store.js';
import { PostgresImportWriter } from './postgres-import-writer.js';
import type { SnapshotInfo } from '../snapshot.js';
import { clearPostgres, loadPostgresSnapshot, savePostgresSnapshot } from './postgres-snapshot.js';

// BIGINT (counts, versions) as a JS number: they stay far below 2^53. NUMERIC stays text (exact).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

const VERSION_POLL_MS = 200;
/** store_state's rows: the data's version, and the alert tables'. */
const DATA_ROW = 1;
const ALERTS_ROW = 2;

/**
 * The shared store: PostgreSQL, for several stateless API processes on one database. The same
 * Kysely queries as SQLite read it; imports run through the same BlockImportSession.
 */
export class PostgresStore extends StoreQueries implements Store {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  #version = '0';
  #ownWrites = 0;
  #alertsVersion = '0';
  #ownAlertWrites = 0;
  #checkedAt = -Infinity;
  #polling = false;

  private constructor(pool: pg.Pool, db: Kysely<Database>, alerts: AlertEngine) {
    super(db, alerts);
    this.#pool = pool;
  }

  /** `alerts`: the alert rules (src/alerts' alertEngine). */
  static async open(options: { url: string; poolSize?: number; alerts: AlertEngine }): Promise<PostgresStore> {
    // A connection that cannot be made in 10 s fails the request (503) instead of holding it.
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
    });
    // A connection the server ends (a restart, a failover) fails the queries on it, and is dropped
    // when released; the next query opens another. Its 'error' event, idle (the pool's) or in use
    // (the client's, which pg-pool leaves unheard), would otherwise end the process.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error) {
      await db.destroy();
      throw new Error(`could not migrate it: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    const store = new PostgresStore(pool, db, options.alerts);
    await store.#poll();
    return store;
  }

  async beginImport(meta: ImportMeta): Promise<ImportSession> {
    const writer = new PostgresImportWriter(await this.#pool.connect());
    try {
      return await BlockImportSession.begin(writer, meta, {
        onCommit: () => void this.noteChange(false),
        alerts: this.engine,
        kind: this.kind,
      });
    } catch (error) {
      await writer.rollback();
      throw error;
    }
  }

  /**
   * The shared version row, read at most every 200 ms (in the background: a request never waits
   * for it), plus this process's own writes, which show at once.
   */
  dataVersion(): string {
    if (performance.now() - this.#checkedAt > VERSION_POLL_MS && !this.#polling) void this.#poll();
    return `${this.#version}.${this.#ownWrites}`;
  }

  /** The alert tables' shared version (store_state's row 2) with this process's own writes, and dataVersion. */
  alertsVersion(): string {
    return `${this.dataVersion()}.${this.#alertsVersion}.${this.#ownAlertWrites}`;
  }

  protected async noteChange(bumpShared = true): Promise<void> {
    this.#ownWrites++;
    if (bumpShared) await sql`UPDATE store_state SET version = version + 1 WHERE id = 1`.execute(this.db);
  }

  // Row 2 is made by the first write of the alert tables (no migration: a database without it
  // reads as version 0).
  protected async noteAlertChange(): Promise<void> {
    this.#ownAlertWrites++;
    await sql`INSERT INTO store_state (id, version) VALUES (${ALERTS_ROW}, 1)
      ON CONFLICT (id) DO UPDATE SET version = store_state.version + 1`.execute(this.db);
  }

  saveSnapshot(file: string): Promise<SnapshotInfo> {
    return savePostgresSnapshot(this.#pool, file);
  }

  async loadSnapshot(file: string): Promise<SnapshotInfo> {
    const info = await loadPostgresSnapshot(this.#pool, file);
    await this.noteChange(false);
    return info;
  }

  async clear(): Promise<void> {
    await clearPostgres(this.#pool);
    await this.noteChange(false);
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    try {
      const rows = await this.db
        .selectFrom('store_state')
        .select(['id', 'version'])
        .where('id', 'in', [DATA_ROW, ALERTS_ROW])
        .execute();
      this.#version = String(rows.find((r) => r.id === DATA_ROW)?.version ?? 0);
      this.#alertsVersion = String(rows.find((r) => r.id === ALERTS_ROW)?.version ?? 0);
      this.#checkedAt = performance.now();
    } catch {
      // the next request tries again
    } finally {
      this.#polling = false;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy(); // ends the pool
  }
}
