import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../src/storage/migrations/index.js';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { openStore } from '../src/storage/open-store.js';
import { tempDir } from './helpers/fixtures.js';

describe('migrations', () => {
  const dir = tempDir();

  it('refuses a database whose lines were stored with the earlier line identity, and changes nothing', async () => {
    const file = path.join(dir, 'earlier.db');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('2026-11-22-0002-shared-state');
    assert.equal(error, undefined);
    await db.destroy();
    const raw = new BetterSqlite3(file);
    raw.exec(`
      INSERT INTO partners (tenant_id, name) VALUES ('0f1e2d3c-4b5a-4697-8877-665544332211', 'P');
      INSERT INTO import_batches (file_name, content_hash, format, started_at, finished_at, lines, rejected, replaced)
        VALUES ('old.csv', '', 'daily-rated', '', '', 1, 0, 0);
      INSERT INTO line_blocks (partner_key, period, batch_id, line_count, identities, ordinals, resources, meters, days, amounts)
        VALUES (1, '2026-10', 1, 1, x'0000000000000000', x'00000000', x'01000000', x'01000000', x'00000000', CAST('1,1,1,' AS BLOB));`);
    raw.close();

    await assert.rejects(
      openStore(file, alertEngine),
      /earlier line identity.*create a new database and import the files again/s,
    );
    const after = new BetterSqlite3(file, { readonly: true });
    assert.equal(after.prepare('SELECT count(*) FROM line_blocks').pluck().get(), 1);
    assert.equal(
      after.prepare("SELECT count(*) FROM kysely_migration WHERE name LIKE '%0003%'").pluck().get(),
      0,
      'the migration did not record itself',
    );
    after.close();
  });

  it('opens a new database at the latest migration', async () => {
    const store = await openStore(path.join(dir, 'new.db'), alertEngine);
    await store.close();
    const after = new BetterSqlite3(path.join(dir, 'new.db'), { readonly: true });
    const names = after.prepare('SELECT name FROM kysely_migration ORDER BY name').pluck().all();
    after.close();
    assert.deepEqual(names, Object.keys(await migrationProvider.getMigrations()).sort());
  });
});
