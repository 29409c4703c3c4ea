import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { importFile } from '../src/ingest/importer.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { generate, tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';

after(stopPostgres);

interface DayRow {
  customer_key: number;
  day: number;
  billing_total: string;
  usd_total: string;
}

describe('migration 0005: per-day customer totals for a database stored before it', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: sums them from the stored lines, exactly as an import writes them`, async () => {
      const dir = tempDir();
      const db = await testDatabase(backend, dir, 'm5');
      const gen = generate(dir, 'm5.csv', { rows: 3000, customers: 12, period: '2026-09', seed: 5 });
      const store = await db.open();
      await importFile(store, gen.file);
      await store.close();
      const rows = async () =>
        (
          await db.query<DayRow>(
            'SELECT customer_key, day, billing_total, usd_total FROM customer_daily_usage ORDER BY customer_key, day',
          )
        ).map((r) => [Number(r.customer_key), Number(r.day), String(r.billing_total), String(r.usd_total)]);
      const imported = await rows();
      assert.ok(imported.length >= 12 * 28, `a row per customer and day (${imported.length})`);
      // The database as it was before 0005: no table, the migration (and those after it) not recorded.
      await db.execute('DROP TABLE customer_daily_usage');
      await db.execute('ALTER TABLE subscriptions DROP COLUMN partner_on_record');
      await db.execute('ALTER TABLE line_blocks DROP COLUMN fields');
      await db.execute('ALTER TABLE resources DROP COLUMN display_uri');
      for (const table of [
        'alert_rules',
        'alert_marks',
        'alerts',
        'webhook_endpoints',
        'email_recipients',
        'deliveries',
        'audit_log',
        'anomaly_queue',
        'export_operations',
        'sync_snapshots',
        'sync_pages',
        'sync_credentials',
        'line_dictionaries',
        'price_rules',
        'price_base_versions',
        'price_bases',
        'access_grants',
        'archived_periods',
      ])
        await db.execute(`DROP TABLE ${table}`);
      await db.execute("DELETE FROM kysely_migration WHERE name >= '2026-12-02-0005'");
      await (await db.open()).close();
      assert.deepEqual(await rows(), imported);
    });
  }
});
