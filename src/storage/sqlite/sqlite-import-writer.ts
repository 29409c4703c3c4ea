import type BetterSqlite3 from 'better-sqlite3';
import {
  BLOCK_COLUMNS,
  blockValues,
  keysInOrder,
  ownersSql,
  upsertSql,
  type BlockRow,
  type DimensionKind,
  type ImportWriter,
  type StoredBlock,
} from '../import-writer.js';
import type { ImportMeta, ImportSummaryCounts } from '../store.js';

type Statement = BetterSqlite3.Statement;

const AGGREGATES_PER_INSERT = 100;
const DIMENSIONS_PER_UPSERT = 100;
const WAL_AUTOCHECKPOINT = 1000; // pages: SQLite's default

/**
 * An import's statements on SQLite: one BEGIN IMMEDIATE transaction (which also keeps a second
 * import out until this one ends), prepared once, run synchronously.
 */
export class SqliteImportWriter implements ImportWriter {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, Statement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
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

  // Many rows a statement: a row a statement was measured at ~24 µs, most of an import's first batches.
  upsert(kind: DimensionKind, rows: readonly (readonly unknown[])[]): Promise<number[]> {
    const keys: number[] = [];
    for (let start = 0; start < rows.length; start += DIMENSIONS_PER_UPSERT) {
      const chunk = rows.slice(start, start + DIMENSIONS_PER_UPSERT);
      const returned = this.#stmt(upsertSql(kind, chunk.length, () => '?')).all(chunk.flat()) as Record<
        string,
        unknown
      >[];
      for (const key of keysInOrder(kind, chunk, returned)) keys.push(key);
    }
    return Promise.resolve(keys);
  }

  insertBlock(b: BlockRow): Promise<void> {
    this.#stmt(
      `INSERT INTO line_blocks (${BLOCK_COLUMNS.join(', ')}) VALUES (${BLOCK_COLUMNS.map(() => '?').join(', ')})`,
    ).run(...blockValues(b));
    return Promise.resolve();
  }

  async *blocks(partnerKey: number, period: string): AsyncIterable<StoredBlock> {
    const rows = this.#stmt(
      `SELECT block_key, line_count, identities, ordinals, resources, meters, amounts, replaced
       FROM line_blocks WHERE partner_key = ? AND period = ? ORDER BY block_key`,
    )
      .raw(true)
      .all(partnerKey, period) as [number, number, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer | null][];
    for (const [blockKey, count, identities, ordinals, resources, meters, amounts, replaced] of rows) {
      yield { blockKey, count, identities, ordinals, resources, meters, amounts, replaced };
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
    this.#db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
    return Promise.resolve();
  }

  rollback(): Promise<void> {
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
    this.#db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
    return Promise.resolve();
  }
}
