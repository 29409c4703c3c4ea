import type { Kysely } from 'kysely';
import type { DimensionKind } from '../domain/usage-model.js';
import { DIMENSIONS } from './dimension-tables.js';
import type { Database } from './schema.js';
import type { ImportMeta, ImportSummaryCounts } from './store.js';

/**
 * What an import needs from one database, in its dialect: the statements of one write
 * transaction. BlockImportSession holds all the logic; SQLite and PostgreSQL implement this.
 */
export interface ImportWriter {
  /** The import's own transaction through Kysely, for what the import writes beyond lines (alerts). */
  readonly db: Kysely<Database>;
  /** Starts the transaction and the import_batches row; returns the batch id. */
  begin(meta: ImportMeta): Promise<number>;
  /** Makes another import of the same partner's period wait until this one ends (PostgreSQL). */
  lockScope(partnerKey: number, period: string): Promise<void>;
  hasLines(partnerKey: number, period: string): Promise<boolean>;
  /** Upserts dimension rows (values in DIMENSIONS[kind].columns order); their keys, in order. */
  upsert(kind: DimensionKind, rows: readonly (readonly unknown[])[]): Promise<number[]>;
  insertBlock(block: BlockRow): Promise<void>;
  /** Stores the next part of a parser's dictionary of line fields (src/domain/line-fields.ts). */
  insertDictionary(batchId: number, parser: number, seq: number, delta: Uint8Array): Promise<void>;
  /** The stored blocks of a partner's period, in block order. */
  blocks(partnerKey: number, period: string): AsyncIterable<StoredBlock>;
  blockMarks(blockKey: number): Promise<{ count: number; replaced: Buffer | null }>;
  setReplaced(blockKey: number, bitmap: Buffer): Promise<void>;
  deleteBlock(blockKey: number): Promise<void>;
  /** [resource key, subscription key, customer key] of every resource of the partner. */
  owners(partnerKey: number): Promise<[number, number, number][]>;
  aggregateRows(table: string, columns: readonly string[], partnerKey: number, period: string): Promise<unknown[][]>;
  deleteAggregates(table: string, partnerKey: number, period: string): Promise<void>;
  insertAggregates(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void>;
  finish(batchId: number, summary: ImportSummaryCounts & { replaced: number }): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface BlockRow {
  readonly partnerKey: number;
  readonly period: string;
  readonly batchId: number;
  readonly count: number;
  readonly identities: Buffer;
  readonly ordinals: Buffer;
  readonly resources: Buffer;
  readonly meters: Buffer;
  readonly days: Buffer;
  /** "quantity,billing,usd," per line, ASCII. */
  readonly amounts: Buffer;
  /** Every column of the lines as written (src/domain/line-fields.ts). */
  readonly fields: Buffer;
}

/** A stored block as a later import reads it: a block row's lines, and which of them are replaced. */
export interface StoredBlock extends Pick<
  BlockRow,
  'count' | 'identities' | 'ordinals' | 'resources' | 'meters' | 'days' | 'amounts'
> {
  readonly blockKey: number;
  readonly replaced: Buffer | null;
  /** 2: identities of normalised ids; 1: stored before migration 0004 (matched coarsely). */
  readonly identityScheme: number;
}

/** Each resource of a partner with its subscription and customer; `param` is the dialect's placeholder. */
export function ownersSql(param: string): string {
  return `SELECT r.resource_key, e.subscription_key, s.customer_key FROM resources r
    JOIN entitlements e ON e.entitlement_key = r.entitlement_key
    JOIN subscriptions s ON s.subscription_key = e.subscription_key
    JOIN customers c ON c.customer_key = s.customer_key
    WHERE c.partner_key = ${param}`;
}

/** line_blocks' insert columns, and a block's values in their order. */
export const BLOCK_COLUMNS = [
  'partner_key',
  'period',
  'batch_id',
  'line_count',
  'identities',
  'ordinals',
  'resources',
  'meters',
  'days',
  'amounts',
  'fields',
] as const;

export function blockValues(b: BlockRow): unknown[] {
  return [
    b.partnerKey,
    b.period,
    b.batchId,
    b.count,
    b.identities,
    b.ordinals,
    b.resources,
    b.meters,
    b.days,
    b.amounts,
    b.fields,
  ];
}

/** The upsert of one dimension row (`?` placeholders, SQLite's), returning its key. */
export function upsertSql(kind: DimensionKind): string {
  const d = DIMENSIONS[kind];
  return `INSERT INTO ${d.table} (${d.columns.join(', ')}) VALUES (${d.columns.map(() => '?').join(', ')})
    ON CONFLICT (${d.conflict.join(', ')}) DO UPDATE SET ${d.update}
    RETURNING ${d.key}`;
}
