import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { importFile } from '../src/ingest/importer.js';
import { migrationProvider } from '../src/storage/migrations/index.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { writeDailyRated } from './helpers/daily-rated-lines.js';
import { tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';

const dir = tempDir();
after(stopPostgres);

const PARTNER = '0f1e2d3c-4b5a-4697-8877-665544332211';
const CUSTOMER = 'a1b2c3d4-0000-4000-8000-000000000001';
const SUBSCRIPTION = 'b1b2c3d4-0000-4000-8000-000000000002';
const ENTITLEMENT = 'c1b2c3d4-0000-4000-8000-000000000003';
const URI = `/subscriptions/${ENTITLEMENT}/resourceGroups/Web-RG/providers/Microsoft.Web/sites/shop`;
const METER = 'd1b2c3d4-0000-4000-8000-00000000000e';
const int32 = (...v: number[]) => Buffer.from(Int32Array.from(v).buffer);

describe('migration 0004: normalised identifiers', () => {
  for (const backend of BACKENDS) {
    it(`merges case-variant meters and resources, and a re-import of the month removes the double count (${backend})`, async () => {
      const db = await testDatabase(backend, dir, 'pre-0004');
      const kysely = new Kysely<unknown>({
        dialect:
          backend === 'sqlite'
            ? new SqliteDialect({ database: new BetterSqlite3(db.location) })
            : new PostgresDialect({ pool: new pg.Pool({ connectionString: db.location }) }),
      });
      const { error } = await new Migrator({ db: kysely, provider: migrationProvider }).migrateTo(
        '2026-11-22-0003-entry-hashed-identities',
      );
      assert.equal(error, undefined);
      // What the build before 0004 stored for the same line imported twice, its meter id and
      // resource URI upper-cased the second time: two meters, two resources, both lines counted.
      const run = (q: ReturnType<typeof sql>) => q.execute(kysely);
      await run(sql`INSERT INTO partners (tenant_id, name) VALUES (${PARTNER}, 'P')`);
      await run(sql`INSERT INTO customers (partner_key, tenant_id, name, domain, country, currency, plan)
        VALUES (1, ${CUSTOMER}, 'Contoso', '', 'US', 'USD', 'azure-plan')`);
      await run(sql`INSERT INTO subscriptions (customer_key, subscription_id, offer_id, description)
        VALUES (1, ${SUBSCRIPTION}, 'Azure plan', 'Azure plan')`);
      await run(
        sql`INSERT INTO entitlements (subscription_key, entitlement_id, description) VALUES (1, ${ENTITLEMENT}, '')`,
      );
      for (const id of [METER, METER.toUpperCase()]) {
        await run(sql`INSERT INTO meters (meter_id, name, category, subcategory, region, unit)
          VALUES (${id}, 'M', 'Storage', '', '', '1 GB')`);
      }
      for (const uri of [URI, URI.toUpperCase()]) {
        await run(sql`INSERT INTO resources (entitlement_key, uri, resource_group, location, service, tags)
          VALUES (1, ${uri}, 'Web-RG', '', '', '')`);
      }
      for (const k of [1, 2]) {
        await run(sql`INSERT INTO import_batches (file_name, content_hash, format, started_at, finished_at, lines, rejected, replaced)
          VALUES (${`old-${k}.csv`}, '', 'daily-rated', '', '', 1, 0, 0)`);
        await run(sql`INSERT INTO line_blocks (partner_key, period, batch_id, line_count, identities, ordinals, resources, meters, days, amounts)
          VALUES (1, '2026-10', ${k}, 1, ${Buffer.from(`0${k}00000000000000`, 'hex')}, ${int32(0)}, ${int32(k)}, ${int32(k)},
                  ${int32(20261003)}, ${Buffer.from('2,2.5,2.5,')})`);
        await run(sql`INSERT INTO meter_usage (partner_key, period, subscription_key, meter_key, quantity, billing_total, usd_total, last_modified)
          VALUES (1, '2026-10', 1, ${k}, '2', '2.5', '2.5', ${`2026-10-0${k}T00:00:00.000Z`})`);
        await run(sql`INSERT INTO resource_usage (partner_key, period, subscription_key, resource_key, billing_total, usd_total, last_modified)
          VALUES (1, '2026-10', 1, ${k}, '2.5', '2.5', '2026-10-01T00:00:00.000Z')`);
      }
      await run(sql`INSERT INTO customer_usage (partner_key, period, customer_key, billing_total, usd_total, last_modified)
        VALUES (1, '2026-10', 1, '5', '5', '2026-10-02T00:00:00.000Z')`);
      await run(sql`INSERT INTO subscription_usage (partner_key, period, subscription_key, billing_total, usd_total, last_modified)
        VALUES (1, '2026-10', 1, '5', '5', '2026-10-02T00:00:00.000Z')`);
      await kysely.destroy();

      const store = await db.open(); // migrates
      try {
        assert.deepEqual(await db.query('SELECT meter_key, meter_id FROM meters'), [{ meter_key: 1, meter_id: METER }]);
        assert.deepEqual(await db.query('SELECT resource_key, uri FROM resources'), [
          { resource_key: 1, uri: URI.toLowerCase() },
        ]);
        const meterRows = await db.query<{
          meter_key: number;
          quantity: string;
          billing_total: string;
          last_modified: string;
        }>('SELECT meter_key, quantity, billing_total, last_modified FROM meter_usage');
        assert.equal(meterRows.length, 1);
        assert.equal(Number(meterRows[0]!.meter_key), 1);
        assert.equal(Number(meterRows[0]!.quantity), 4, 'the merged rows summed exactly');
        assert.equal(Number(meterRows[0]!.billing_total), 5);
        assert.equal(meterRows[0]!.last_modified, '2026-10-02T00:00:00.000Z', 'the later of the two');
        const blocks = await db.query<{ meters: Buffer; resources: Buffer; identity_scheme: number }>(
          'SELECT meters, resources, identity_scheme FROM line_blocks ORDER BY block_key',
        );
        assert.deepEqual(
          blocks.map((b) => [
            Buffer.from(b.meters).readInt32LE(0),
            Buffer.from(b.resources).readInt32LE(0),
            Number(b.identity_scheme),
          ]),
          [
            [1, 1, 1],
            [1, 1, 1],
          ],
        );

        // The month's file again, its ids in yet another spelling: the one line, counted once.
        const file = path.join(dir, `again-${backend}.csv`);
        writeDailyRated(file, [
          {
            PartnerId: PARTNER.toUpperCase(),
            CustomerId: CUSTOMER.toUpperCase(),
            SubscriptionId: SUBSCRIPTION,
            EntitlementId: ENTITLEMENT.toUpperCase(),
            ResourceURI: ` ${URI.replace('Web-RG', 'WEB-rg')}`,
            MeterId: METER.toUpperCase(),
            UsageDate: '2026-10-03T00:00:00Z',
            Quantity: '2',
            BillingPreTaxTotal: '2.5',
            BillingCurrency: 'USD',
            PricingPreTaxTotal: '2.5',
          },
        ]);
        const summary = await importFile(store, file, { now: () => new Date('2026-10-20T00:00:00Z') });
        assert.equal(summary.replaced, 2, 'both stored copies of the line were replaced');
        const [customer] = await store.customerUsage(PARTNER, '2026-10');
        assert.equal(customer!.billingTotal, '2.5');
        assert.equal((await db.query('SELECT meter_id FROM meters')).length, 1);
        assert.equal((await db.query('SELECT uri FROM resources')).length, 1);
      } finally {
        await store.close();
      }
    });
  }
});
