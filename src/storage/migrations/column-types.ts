import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely, type RawBuilder } from 'kysely';

/** Column types that differ by dialect, so that one migration serves SQLite and PostgreSQL. */
export interface ColumnTypes {
  /** An exact decimal: NUMERIC on PostgreSQL, decimal text on SQLite (which has none). */
  money: RawBuilder<unknown>;
  /** Bytes: bytea on PostgreSQL, blob on SQLite. */
  bytes: RawBuilder<unknown>;
  /** A surrogate key the database assigns. */
  autoKey: (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
}

export function columnTypes(db: Kysely<unknown>): ColumnTypes {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return postgres
    ? { money: sql`numeric`, bytes: sql`bytea`, autoKey: (c) => c.primaryKey().generatedAlwaysAsIdentity() }
    : { money: sql`text`, bytes: sql`blob`, autoKey: (c) => c.primaryKey().autoIncrement() };
}
