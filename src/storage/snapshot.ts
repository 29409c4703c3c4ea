import fs from 'node:fs';

/**
 * Snapshots: a consistent copy of a database's data in one file (`partner-usage snapshot save`,
 * `POST /_emulator/snapshot`), loaded back in one transaction. Each backend writes its own kind:
 * SQLite a database file (its online backup API), PostgreSQL its COPY text of every table,
 * gzipped. Neither holds the server's secrets (token signing keys): a snapshot handed to a test
 * suite or a colleague signs nothing, and loading one keeps the tokens this server issued valid.
 */

/** Tables a snapshot leaves alone: the migrator's bookkeeping, the shared version, the secrets. */
export const SNAPSHOT_SKIPPED_TABLES: ReadonlySet<string> = new Set([
  'kysely_migration',
  'kysely_migration_lock',
  'server_secrets',
  'store_state',
]);

/** What a save or a load moved. */
export interface SnapshotInfo {
  readonly tables: number;
  readonly rows: number;
  readonly bytes: number;
}

/** The first line of a PostgreSQL snapshot (inside its gzip): what wrote it. */
export interface PostgresSnapshotHeader {
  readonly partnerUsageSnapshot: 1;
  readonly backend: 'postgresql';
  readonly migrations: readonly string[];
  readonly savedAt: string;
}

/** A snapshot that cannot be loaded, and why, in a sentence for whoever loads it. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** Which backend wrote a snapshot file, from its first bytes; a SnapshotError when it is none of ours. */
export function snapshotKind(file: string): 'sqlite' | 'postgres' {
  let head: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      head = Buffer.alloc(16);
      head = head.subarray(0, fs.readSync(fd, head, 0, 16, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new SnapshotError(`cannot read the snapshot ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (head.toString('latin1') === 'SQLite format 3\0') return 'sqlite';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'postgres';
  throw new SnapshotError(
    `${file} is not a partner-usage snapshot (neither an SQLite file nor a gzipped PostgreSQL one)`,
  );
}

/** The refusal when a snapshot comes from the other backend. */
export function otherBackend(file: string, kind: 'sqlite' | 'postgres'): SnapshotError {
  return new SnapshotError(
    kind === 'sqlite'
      ? `${file} was saved from an SQLite database: load it into one (--db <file>), or import an export of it`
      : `${file} was saved from PostgreSQL: load it into a PostgreSQL database (--db postgres://…)`,
  );
}
