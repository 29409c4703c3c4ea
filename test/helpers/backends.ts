import crypto from 'node:crypto';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../../src/storage/open-store.js';
import { alertEngine } from '../../src/alerts/alert-engine.js';
import type { Store } from '../../src/storage/store.js';
import { newPostgresDatabase } from './postgres.js';

export type Backend = 'sqlite' | 'postgres';

/** Every suite runs on each of these (PARTNER_USAGE_TEST_BACKENDS=sqlite narrows it). */
export const BACKENDS = (process.env.PARTNER_USAGE_TEST_BACKENDS ?? 'sqlite,postgres')
  .split(',')
  .map((b) => b.trim())
  .filter((b): b is Backend => b === 'sqlite' || b === 'postgres');

/** A new, empty database of one backend, with raw access for assertions. */
export interface TestDatabase {
  readonly backend: Backend;
  /** What --db takes: a file path or a postgres:// URL. */
  readonly location: string;
  open(): Promise<Store>;
  /** Rows of a query written with `?` placeholders. */
  query<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Runs a statement that returns no rows (a write). */
  execute(sql: string): Promise<void>;
  /** A hash of every row of every table (but `except`). */
  checksum(except?: readonly string[]): Promise<string>;
}

export async function testDatabase(backend: Backend, dir: string, name: string): Promise<TestDatabase> {
  if (backend === 'sqlite') {
    const file = path.join(dir, `${name}.db`);
    const withDb = <T>(fn: (db: BetterSqlite3.Database) => T): T => {
      const db = new BetterSqlite3(file, { readonly: true });
      try {
        return fn(db);
      } finally {
        db.close();
      }
    };
    return {
      backend,
      location: file,
      open: () => openStore(file, alertEngine),
      query: async <T>(sql: string, ...params: unknown[]) => withDb((db) => db.prepare(sql).all(...params) as T[]),
      execute: async (sql: string) => {
        const db = new BetterSqlite3(file);
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      },
      checksum: async (except: readonly string[] = []) =>
        withDb((db) => {
          const hash = crypto.createHash('sha256');
          db.defaultSafeIntegers(true);
          const tables = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .pluck()
            .all() as string[];
          for (const table of tables.filter((t) => !except.includes(t))) {
            hash.update(`table ${table}\n`);
            for (const row of db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).raw(true).iterate() as Iterable<
              unknown[]
            >) {
              hash.update(row.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : String(v))).join('\u0001') + '\n');
            }
          }
          return hash.digest('hex');
        }),
    };
  }
  const url = await newPostgresDatabase();
  // One connection kept between the queries of an assertion (a connection costs ~25 ms here), and
  // closed soon after, so the process can end and a test can drop the database.
  const pool = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 200, allowExitOnIdle: true });
  pool.on('error', () => {}); // an idle connection ended by the server (DROP DATABASE … WITH (FORCE))
  const withClient = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  };
  return {
    backend,
    location: url,
    open: () => openStore(url, alertEngine),
    query: <T>(sql: string, ...params: unknown[]) =>
      withClient(async (client) => {
        let n = 0;
        return (
          await client.query(
            sql.replace(/\?/g, () => `$${++n}`),
            params,
          )
        ).rows as T[];
      }),
    execute: (sql: string) =>
      withClient(async (client) => {
        await client.query(sql);
      }),
    checksum: (except: readonly string[] = []) =>
      withClient(async (client) => {
        const hash = crypto.createHash('sha256');
        const tables = (
          await client.query<{ table_name: string }>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
          )
        ).rows.map((r) => r.table_name);
        for (const table of tables.filter((t) => !except.includes(t))) {
          hash.update(`table ${table}\n`);
          const rows = await client.query({ text: `SELECT * FROM "${table}" t ORDER BY t::text`, rowMode: 'array' });
          for (const row of rows.rows as unknown[][]) {
            hash.update(row.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : String(v))).join('\u0001') + '\n');
          }
        }
        return hash.digest('hex');
      }),
  };
}
