import fs from 'node:fs';
import { once } from 'node:events';
import readline from 'node:readline';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import zlib from 'node:zlib';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import {
  otherBackend,
  SNAPSHOT_SKIPPED_TABLES,
  SnapshotError,
  snapshotKind,
  type PostgresSnapshotHeader,
  type SnapshotInfo,
} from '../snapshot.js';

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
/** A table's section starts with this line (`@table <name> <columns as JSON>`) and ends with COPY's `\.`. */
const TABLE_LINE = /^@table (\S+) (\[.*\])$/;

/**
 * The data tables, each after the tables its foreign keys point at: COPY checks a row's keys as
 * it goes (they are not deferrable), so parents are saved, and loaded, first.
 */
async function dataTables(client: pg.PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const { rows: keys } = await client.query<{ child: string; parent: string }>(
    `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint
      WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`,
  );
  const parents = new Map<string, string[]>();
  for (const k of keys) parents.set(k.child, [...(parents.get(k.child) ?? []), k.parent]);
  const ordered: string[] = [];
  const placed = new Set<string>();
  const place = (table: string, path: ReadonlySet<string>): void => {
    if (placed.has(table) || path.has(table)) return;
    for (const parent of parents.get(table) ?? []) place(parent, new Set([...path, table]));
    placed.add(table);
    ordered.push(table);
  };
  for (const r of rows) place(r.name, new Set());
  return ordered.filter((t) => !SNAPSHOT_SKIPPED_TABLES.has(t));
}

async function migrations(client: pg.PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name');
  return rows.map((r) => r.name);
}

async function columnsOf(client: pg.PoolClient, table: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.name);
}

async function write(out: NodeJS.WritableStream, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Every table's rows as COPY text, read in one REPEATABLE READ transaction (one instant of the
 * database, while it is in use), gzipped into `file` through a partial file renamed at the end.
 */
export async function savePostgresSnapshot(pool: pg.Pool, file: string): Promise<SnapshotInfo> {
  const client = await pool.connect();
  const partial = `${file}.partial`;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = await dataTables(client);
    const header: PostgresSnapshotHeader = {
      partnerUsageSnapshot: 1,
      backend: 'postgresql',
      migrations: await migrations(client),
      savedAt: new Date().toISOString(),
    };
    const gzip = zlib.createGzip();
    const done = finished(gzip.pipe(fs.createWriteStream(partial)));
    let rows = 0;
    await write(gzip, `${JSON.stringify(header)}\n`);
    for (const table of tables) {
      const columns = await columnsOf(client, table);
      await write(gzip, `@table ${table} ${JSON.stringify(columns)}\n`);
      const copy = client.query(copyTo(`COPY ${quote(table)} (${columns.map(quote).join(', ')}) TO STDOUT`));
      for await (const chunk of copy as AsyncIterable<Buffer>) {
        // Every row ends with a newline; one inside a value is written \n.
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) rows++;
        await write(gzip, chunk);
      }
      await write(gzip, '\\.\n');
    }
    gzip.end();
    await done;
    await client.query('COMMIT');
    fs.renameSync(partial, file);
    return { tables: tables.length, rows, bytes: fs.statSync(file).size };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    fs.rmSync(partial, { force: true });
    throw error;
  } finally {
    client.release();
  }
}

/** Every data table emptied and the shared version moved, in the caller's transaction. */
async function emptyTables(client: pg.PoolClient, tables: readonly string[]): Promise<void> {
  await client.query(`TRUNCATE ${tables.map(quote).join(', ')}`);
  await client.query('UPDATE store_state SET version = version + 1 WHERE id = 1');
}

/** In one transaction, rolled back on any failure. */
async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export function clearPostgres(pool: pg.Pool): Promise<void> {
  return inTransaction(pool, async (client) => emptyTables(client, await dataTables(client)));
}

/**
 * Replaces every row by the snapshot's in one transaction (the tables locked meanwhile, so no
 * reader sees them half-filled), then moves the key sequences past the keys loaded. A snapshot of
 * another schema version is refused: PostgreSQL's migrations change data as well as tables, so
 * rows of one version copied into another's tables could be wrong without an error.
 */
export async function loadPostgresSnapshot(pool: pg.Pool, file: string): Promise<SnapshotInfo> {
  const kind = snapshotKind(file);
  if (kind !== 'postgres') throw otherBackend(file, kind);
  return inTransaction(pool, async (client) => {
    // Asked before the file is opened: lines read meanwhile would be lost to the loop below.
    const tables = await dataTables(client);
    const known = new Set(tables);
    const gunzip = zlib.createGunzip();
    const source = fs.createReadStream(file);
    const lines = readline.createInterface({ input: source.pipe(gunzip), crlfDelay: Infinity });
    // A read or inflate error ends the lines; it is thrown after them (readline does not always pass it on).
    let broken: Error | undefined;
    const stop = (error: Error) => {
      broken ??= error;
      lines.close();
    };
    source.on('error', stop);
    gunzip.on('error', stop);
    let header: PostgresSnapshotHeader | undefined;
    let copy: Writable | undefined;
    let rows = 0;
    try {
      for await (const line of lines) {
        if (!header) {
          header = parseHeader(file, line);
          const ours = await migrations(client);
          if (header.migrations.join() !== ours.join()) {
            throw new SnapshotError(
              `${file} was saved at schema version ${header.migrations.at(-1) ?? 'none'}, this database is at ` +
                `${ours.at(-1) ?? 'none'}: load it with the partner-usage version that saved it, then save it again`,
            );
          }
          await emptyTables(client, tables);
        } else if (copy) {
          if (line === '\\.') {
            copy.end();
            await finished(copy);
            copy = undefined;
          } else {
            rows++;
            await write(copy, `${line}\n`);
          }
        } else {
          const section = TABLE_LINE.exec(line);
          if (!section || !known.has(section[1]!)) {
            throw new SnapshotError(`${file} is damaged: a table section was expected, not ${line.slice(0, 80)}`);
          }
          const columns = JSON.parse(section[2]!) as string[];
          copy = client.query(copyFrom(`COPY ${quote(section[1]!)} (${columns.map(quote).join(', ')}) FROM STDIN`));
        }
      }
      if (broken) throw broken;
      if (!header || copy) throw new SnapshotError(`${file} is cut short: its last table has no end`);
    } catch (error) {
      // A COPY left open holds the connection: ended with CopyFail, the ROLLBACK that follows can run.
      if (copy) {
        copy.destroy(error as Error);
        await finished(copy).catch(() => undefined);
      }
      lines.close();
      gunzip.destroy();
      if (error instanceof SnapshotError) throw error;
      throw new SnapshotError(`${file} cannot be loaded: ${(error as Error).message}`, { cause: error });
    }
    // Keys given by sequences continue after the largest one loaded.
    const { rows: sequences } = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')`,
    );
    for (const s of sequences) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(${quote(s.column_name)}), 0) + 1, false) FROM ${quote(s.table_name)}`,
        [quote(s.table_name), s.column_name],
      );
    }
    return { tables: tables.length, rows, bytes: fs.statSync(file).size };
  });
}

function parseHeader(file: string, line: string): PostgresSnapshotHeader {
  try {
    const header = JSON.parse(line) as Partial<PostgresSnapshotHeader>;
    if (header.partnerUsageSnapshot === 1 && header.backend === 'postgresql' && Array.isArray(header.migrations)) {
      return header as PostgresSnapshotHeader;
    }
  } catch {
    // said below
  }
  throw new SnapshotError(`${file} is not a partner-usage snapshot (its first line is not a snapshot header)`);
}
