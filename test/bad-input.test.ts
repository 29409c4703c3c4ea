import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { ImportError, importFile, type ImportOptions } from '../src/ingest/importer.js';
import { formatDecimal, parseDecimal } from '../src/money/decimal.js';
import type { Store } from '../src/storage/store.js';
import type { CorpusCase } from './corpus/make-bad-input.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { REPO, tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';

/**
 * The bad-input corpus (test/corpus/bad-input, made by make-bad-input.ts): every file refused with
 * its expected error, line and column, the database unchanged; with --skip-invalid exactly its
 * bad lines rejected and the rest stored exactly as its clean base alone.
 */
const CORPUS = path.join(REPO, 'test/corpus/bad-input');
const CASES = JSON.parse(fs.readFileSync(path.join(CORPUS, 'cases.json'), 'utf8')) as CorpusCase[];
const OPTIONS: ImportOptions = { now: () => new Date('2026-10-20T00:00:00Z') };
const dir = tempDir();
after(stopPostgres);

const TABLES = [
  'line_blocks',
  'customer_usage',
  'subscription_usage',
  'meter_usage',
  'resource_usage',
  'import_batches',
  'resources',
  'entitlements',
  'subscriptions',
  'customers',
  'meters',
  'partners',
];

/** Everything a database stores about usage, by natural keys (no surrogate keys, times or batches). */
async function contents(db: TestDatabase): Promise<string> {
  const exact = (v: unknown) => (v === null ? 'null' : formatDecimal(parseDecimal(String(v))!));
  const rows = async (sql: string, money: string[] = []) =>
    (await db.query<Record<string, unknown>>(sql))
      .map((r) =>
        Object.entries(r)
          .map(([k, v]) => (money.includes(k) ? exact(v) : String(v)))
          .join('|'),
      )
      .sort();
  const keys = `SELECT r.resource_key, p.tenant_id AS partner, c.tenant_id AS customer, s.subscription_id AS sub,
      e.entitlement_id AS ent, r.uri FROM resources r JOIN entitlements e ON e.entitlement_key = r.entitlement_key
      JOIN subscriptions s ON s.subscription_key = e.subscription_key JOIN customers c ON c.customer_key = s.customer_key
      JOIN partners p ON p.partner_key = c.partner_key`;
  const resources = new Map(
    (await db.query<Record<string, unknown>>(keys)).map((r) => [
      Number(r.resource_key),
      `${r.partner}/${r.customer}/${r.sub}/${r.ent}/${r.uri}`,
    ]),
  );
  const meters = new Map(
    (await db.query<{ meter_key: number; meter_id: string }>('SELECT meter_key, meter_id FROM meters')).map((m) => [
      Number(m.meter_key),
      m.meter_id,
    ]),
  );
  const lines: string[] = [];
  for (const b of await db.query<Record<string, Buffer | number>>(
    'SELECT line_count, identities, ordinals, resources, meters, days, amounts, replaced FROM line_blocks',
  )) {
    const n = Number(b.line_count);
    const int32 = (buf: Buffer, i: number) => Buffer.from(buf).readInt32LE(4 * i);
    const amounts = Buffer.from(b.amounts as Buffer)
      .toString('latin1')
      .split(',');
    for (let i = 0; i < n; i++) {
      const replaced = b.replaced && (Buffer.from(b.replaced as Buffer)[i >>> 3]! & (1 << (i & 7))) !== 0;
      if (replaced) continue;
      lines.push(
        [
          Buffer.from(b.identities as Buffer).readBigInt64LE(8 * i),
          int32(b.ordinals as Buffer, i),
          resources.get(int32(b.resources as Buffer, i)),
          meters.get(int32(b.meters as Buffer, i)),
          int32(b.days as Buffer, i),
          amounts.slice(3 * i, 3 * i + 3).join(','),
        ].join('|'),
      );
    }
  }
  const all = [
    await rows('SELECT tenant_id, name FROM partners'),
    await rows('SELECT tenant_id, name, domain, country, currency, currency_locale, plan, budget FROM customers', [
      'budget',
    ]),
    await rows('SELECT subscription_id, offer_id, description FROM subscriptions'),
    await rows('SELECT entitlement_id, description FROM entitlements'),
    await rows('SELECT meter_id, name, category, subcategory, region, unit FROM meters'),
    await rows('SELECT uri, resource_group, location, service, tags FROM resources'),
    await rows('SELECT period, billing_total, usd_total FROM customer_usage', ['billing_total', 'usd_total']),
    await rows('SELECT period, billing_total, usd_total FROM subscription_usage', ['billing_total', 'usd_total']),
    await rows('SELECT period, quantity, billing_total, usd_total FROM meter_usage', [
      'quantity',
      'billing_total',
      'usd_total',
    ]),
    await rows('SELECT period, billing_total, usd_total FROM resource_usage', ['billing_total', 'usd_total']),
    lines.sort(),
  ];
  return crypto.createHash('sha256').update(JSON.stringify(all)).digest('hex');
}

async function reset(db: TestDatabase): Promise<void> {
  await db.execute(TABLES.map((table) => `DELETE FROM ${table};`).join('\n'));
}

describe('the bad-input corpus', () => {
  it('holds at least 60 files across every category', () => {
    assert.ok(CASES.length >= 60, `${CASES.length} cases`);
    assert.deepEqual([...new Set(CASES.map((c) => c.category))].sort(), [
      'dates',
      'encoding',
      'gzip',
      'ids',
      'numbers',
      'sizes',
      'structure',
    ]);
  });

  for (const backend of BACKENDS) {
    describe(backend, () => {
      let loaded: TestDatabase;
      let loadedStore: Store;
      let scratch: TestDatabase;
      let scratchStore: Store;
      let checksum: string;
      const clean = new Map<string, string>();

      before(async () => {
        scratch = await testDatabase(backend, dir, `scratch-${backend}`);
        scratchStore = await scratch.open();
        for (const base of new Set(CASES.map((c) => c.base))) {
          await reset(scratch);
          await importFile(scratchStore, path.join(CORPUS, `base-${base}.csv`), OPTIONS);
          clean.set(base, await contents(scratch));
        }
        // The refusals run against a database that already holds both bases.
        loaded = await testDatabase(backend, dir, `loaded-${backend}`);
        loadedStore = await loaded.open();
        await importFile(loadedStore, path.join(CORPUS, 'base-daily-rated.csv'), OPTIONS);
        await importFile(loadedStore, path.join(CORPUS, 'base-legacy.csv'), OPTIONS);
        checksum = await loaded.checksum();
      });
      after(async () => {
        await loadedStore.close();
        await scratchStore.close();
      });

      for (const c of CASES) {
        it(`${c.category}/${c.name}: refused${c.error.line ? ` at line ${c.error.line}` : ''}, nothing changed${c.rejectedLines ? '; skipped alone with --skip-invalid' : ''}`, async () => {
          const file = path.join(CORPUS, c.file);
          const error = await importFile(loadedStore, file, OPTIONS).then(
            () => assert.fail('imported a bad file'),
            (e: unknown) => e,
          );
          assert.ok(error instanceof ImportError, String(error));
          assert.match(error.message, new RegExp(c.error.message));
          assert.equal(error.line, c.error.line, error.message);
          assert.equal(error.column, c.error.column, error.message);
          assert.equal(await loaded.checksum(), checksum, 'the database changed');

          if (c.rejectedLines === null) return;
          await reset(scratch);
          const rejectsFile = path.join(dir, `${backend}-${c.name}.rejected.csv`);
          const summary = await importFile(scratchStore, file, { ...OPTIONS, skipInvalid: true, rejectsFile });
          const rejected = Papa.parse<{ line: string; reason: string }>(fs.readFileSync(rejectsFile, 'utf8'), {
            header: true,
            skipEmptyLines: true,
          }).data;
          assert.deepEqual(
            rejected.map((r) => Number(r.line)),
            c.rejectedLines,
          );
          assert.match(rejected[0]!.reason, new RegExp(c.error.message));
          assert.equal(summary.rejected, c.rejectedLines.length);
          assert.equal(await contents(scratch), clean.get(c.base), 'stored something besides the clean lines');
        });
      }
    });
  }
});
