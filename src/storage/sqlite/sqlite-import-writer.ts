import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import {
  BLOCK_COLUMNS,
  blockValues,
  ownersSql,
  upsertSql,
  type BlockRow,
  type ImportWriter,
  type StoredBlock,
} from '../import-writer.js';
import type { DimensionKind } from '../../domain/usage-model.js';
import type { ImportMeta, ImportSummaryCounts } from '../store.js';

type Statement = BetterSqlite3.Statement;

const AGGREGATES_PER_INSERT = 100;
const WAL_AUTOCHECKPOINT = 1000; // pages: SQLite's default
const IMPORT_CACHE_SIZE = -4096; // KiB

/**
 * An import's statements on SQLite: one BEGIN IMMEDIATE transaction (which also keeps a second
 * import out until this one ends), prepared once, run synchronously.
 */
export class SqliteImportWriter implements ImportWriter {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, Statement>();
  #cacheSize: number | undefined;

  /** `db` is Kysely on the same connection as `sqlite`: its queries run inside this import's transaction. */
  constructor(
    sqlite: BetterSqlite3.Database,
    readonly db: Kysely<Database>,
  ) {
    this.#db = sqlite;
  }

  #stmt(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) this.#statements.set(sql, (stmt = this.#db.prepare(sql)));
    return stmt;
  }

  async begin(meta: ImportMeta): Promise<number> {
    // An import writes tens of MB to the WAL; copying them into the database file at COMMIT (the
    // automatic checkpoint) was measured at a tenth of a 1M-line import. It is left to a later
    // commit or to closing the database (the CLI's next step), which checkpoint as usual.
    this.#db.pragma('wal_autocheckpoint = 0');
    // A small page cache while importing: most pages (line blocks) are written once and not read
    // again, and the store's larger cache (for the API's reads) cost ~12 MB of an import's peak
    // memory. A 24 MiB one kept the dimensions' unique indexes cached between blocks (upserts
    // ~20% faster) but took peak memory to 292-299 MB, against a 300 MB target.
    this.#cacheSize = this.#db.pragma('cache_size', { simple: true }) as number;
    this.#db.pragma(`cache_size = ${IMPORT_CACHE_SIZE}`);
    this.#db.exec('BEGIN IMMEDIATE');
    const row = this.#stmt(
      `INSERT INTO import_batches (file_name, content_hash, format, started_at, finished_at, lines, rejected, replaced)
       VALUES (?, '', ?, ?, '', 0, 0, 0) RETURNING batch_id`,
    ).get(meta.fileName, meta.format, meta.startedAt) as { batch_id: number };
    return Promise.resolve(row.batch_id);
  }

  lockScope(): Promise<void> {
    return Promise.resolve(); // the write transaction already excludes other writers
  }

  hasLines(partnerKey: number, period: string): Promise<boolean> {
    return Promise.resolve(
      this.#stmt('SELECT 1 FROM line_blocks WHERE partner_key = ? AND period = ? LIMIT 1').get(partnerKey, period) !==
        undefined,
    );
  }

  // A row a statement, taking its key from RETURNING: measured faster than many rows a statement
  // (whose RETURNING rows come in no promised order, so must be matched by natural key, making
  // strings per row) — SQLite runs in this thread, there is no round trip to save.
  upsert(kind: DimensionKind, rows: readonly (readonly unknown[])[]): Promise<number[]> {
    const stmt = this.#stmt(upsertSql(kind)).pluck();
    return Promise.resolve(rows.map((row) => stmt.get(row) as number));
  }

  insertBlock(b: BlockRow): Promise<void> {
    this.#stmt(
      `INSERT INTO line_blocks (${BLOCK_COLUMNS.join(', ')}) VALUES (${BLOCK_COLUMNS.map(() => '?').join(', ')})`,
    ).run(...blockValues(b));
    return Promise.resolve();
  }

  insertDictionary(batchId: number, parser: number, seq: number, delta: Uint8Array): Promise<void> {
    this.#stmt('INSERT INTO line_dictionaries (batch_id, parser, seq, delta) VALUES (?, ?, ?, ?)').run(
      batchId,
      parser,
      seq,
      Buffer.from(delta.buffer, delta.byteOffset, delta.byteLength),
    );
    return Promise.resolve();
  }

  async *blocks(partnerKey: number, period: string): AsyncIterable<StoredBlock> {
    const rows = this.#stmt(
      `SELECT block_key, line_count, identities, ordinals, resources, meters, days, amounts, replaced, identity_scheme
       FROM line_blocks WHERE partner_key = ? AND period = ? ORDER BY block_key`,
    )
      .raw(true)
      .all(partnerKey, period) as [
      number,
      number,
      Buffer,
      Buffer,
      Buffer,
      Buffer,
      Buffer,
      Buffer,
      Buffer | null,
      number,
    ][];
    for (const [blockKey, count, identities, ordinals, resources, meters, days, amounts, replaced, scheme] of rows) {
      yield {
        blockKey,
        count,
        identities,
        ordinals,
        resources,
        meters,
        days,
        amounts,
        replaced,
        identityScheme: scheme,
      };
    }
  }

  blockMarks(blockKey: number): Promise<{ count: number; replaced: Buffer | null }> {
    const row = this.#stmt('SELECT line_count, replaced FROM line_blocks WHERE block_key = ?').get(blockKey) as {
      line_count: number;
      replaced: Buffer | null;
    };
    return Promise.resolve({ count: row.line_count, replaced: row.replaced });
  }

  setReplaced(blockKey: number, bitmap: Buffer): Promise<void> {
    this.#stmt('UPDATE line_blocks SET replaced = ? WHERE block_key = ?').run(bitmap, blockKey);
    return Promise.resolve();
  }

  deleteBlock(blockKey: number): Promise<void> {
    this.#stmt('DELETE FROM line_blocks WHERE block_key = ?').run(blockKey);
    return Promise.resolve();
  }

  owners(partnerKey: number): Promise<[number, number, number][]> {
    return Promise.resolve(this.#stmt(ownersSql('?')).raw(true).all(partnerKey) as [number, number, number][]);
  }

  aggregateRows(table: string, columns: readonly string[], partnerKey: number, period: string): Promise<unknown[][]> {
    return Promise.resolve(
      this.#stmt(`SELECT ${columns.join(', ')} FROM ${table} WHERE partner_key = ? AND period = ?`)
        .raw(true)
        .all(partnerKey, period) as unknown[][],
    );
  }

  deleteAggregates(table: string, partnerKey: number, period: string): Promise<void> {
    this.#stmt(`DELETE FROM ${table} WHERE partner_key = ? AND period = ?`).run(partnerKey, period);
    return Promise.resolve();
  }

  insertAggregates(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
    // Many rows a statement: tens of thousands of aggregates are written at the end of an import.
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const sql = (n: number) => `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(n).fill(tuple).join(', ')}`;
    let start = 0;
    for (; start + AGGREGATES_PER_INSERT <= rows.length; start += AGGREGATES_PER_INSERT) {
      this.#stmt(sql(AGGREGATES_PER_INSERT)).run(rows.slice(start, start + AGGREGATES_PER_INSERT).flat());
    }
    const single = this.#stmt(sql(1));
    for (; start < rows.length; start++) single.run(...rows[start]!);
    return Promise.resolve();
  }

  finish(batchId: number, s: ImportSummaryCounts & { replaced: number }): Promise<void> {
    this.#stmt(
      'UPDATE import_batches SET content_hash = ?, finished_at = ?, lines = ?, rejected = ?, replaced = ? WHERE batch_id = ?',
    ).run(s.contentHash, s.finishedAt, s.lines, s.rejected, s.replaced, batchId);
    return Promise.resolve();
  }

  commit(): Promise<void> {
    this.#db.exec('COMMIT');
    this.#restorePragmas();
    return Promise.resolve();
  }

  rollback(): Promise<void> {
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
    this.#restorePragmas();
    return Promise.resolve();
  }

  #restorePragmas(): void {
    this.#db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
    if (this.#cacheSize !== undefined) this.#db.pragma(`cache_size = ${this.#cacheSize}`);
  }
}
