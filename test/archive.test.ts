import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ArchiveMismatch } from '../src/storage/archived-periods.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { cli } from './helpers/cli-in-process.js';
import { generate, tempDir, type Expected } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { scaled } from './helpers/reference-totals.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { currentBillingPeriod, previousBillingPeriod } from '../src/domain/usage-model.js';

after(stopPostgres);

const PARTNER = '5d2c0b7e-4a1f-4c3e-9b8a-7f6e5d4c3b2a';
/** Another partner in the same database, with lines in the same months: never touched by PARTNER's archive. */
const OTHER = 'a1b2c3d4-0000-4000-8000-00000000000b';
const OLD = '2026-08';
const NEW = '2026-09';

let duck: DuckDBConnection;
before(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});

/** Per currency, the exact sum of a column of a file the archive wrote (DuckDB sums DECIMAL(38, 12) exactly). */
async function sums(file: string, column: string, currency: string): Promise<Map<string, bigint>> {
  const rows = (
    await duck.runAndReadAll(
      `SELECT ${currency} AS k, CAST(sum(CAST(${column} AS DECIMAL(38, 12))) AS VARCHAR) AS s FROM read_parquet('${file}') GROUP BY 1`,
    )
  ).getRowObjectsJS();
  return new Map(rows.map((r) => [String(r.k), scaled(String(r.s))]));
}

/** The expected billing total per currency of a generated file. */
function expectedSums(expect: Expected): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const c of Object.values(expect.customers)) out.set(c.currency, (out.get(c.currency) ?? 0n) + scaled(c.billing));
  return out;
}

for (const backend of BACKENDS) {
  describe(`partner-usage archive (${backend})`, () => {
    const dir = tempDir('pu-archive-');
    let db: TestDatabase;
    const daily = generate(dir, 'old.csv', { rows: 2000, customers: 12, period: OLD, rich: true, partner: PARTNER });
    const legacy = generate(dir, 'old-legacy.csv', {
      rows: 600,
      customers: 4,
      period: OLD,
      format: 'legacy',
      partner: PARTNER,
      seed: 9,
    });
    const current = generate(dir, 'new.csv', { rows: 2000, customers: 12, period: NEW, rich: true, partner: PARTNER });
    const other = generate(dir, 'other.csv', { rows: 500, customers: 3, period: OLD, partner: OTHER, seed: 5 });
    let marginsBefore: unknown;
    const totals = async (period: string) =>
      JSON.stringify(await db.query(`SELECT * FROM customer_usage WHERE period = '${period}' ORDER BY customer_key`));

    /** `archive --before NEW --out <out>` of PARTNER's lines on this database. */
    const archive = (out: string) =>
      cli(['archive', '--db', db.location, '--partner', PARTNER, '--before', NEW, '--out', out]);
    /** `export --format csv` of a partner's period of this database. */
    const exportCsv = (period: string, out: string, partner = PARTNER) =>
      cli(['export', '--db', db.location, '--partner', partner, '--format', 'csv', '--period', period, '--out', out]);

    before(async () => {
      db = await testDatabase(backend, dir, 'archive');
      const imported = await cli(['import', '--db', db.location, daily.file, legacy.file, current.file, other.file]);
      assert.equal(imported.status, 0, imported.stderr);
    });

    it('refuses a bad month or file name before touching anything', async () => {
      for (const [args, text] of [
        [['--before', '2026-13', '--out', path.join(dir, 'x.parquet')], /--before "2026-13"/],
        [['--before', NEW, '--out', path.join(dir, 'x.json')], /--out must end in \.csv or \.parquet/],
        [['--out', path.join(dir, 'x.parquet')], /--before YYYY-MM is required/],
        [['--before', NEW, '--out', path.join(dir, 'x.parquet'), '--format', 'xml'], /--format must be focus or csv/],
      ] as const) {
        const r = await cli(['archive', '--db', db.location, ...args]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, text);
      }
    });

    it('leaves the database as it was when the file cannot be written, and the month takes imports again', async () => {
      const sum = await db.checksum();
      const nowhere = await archive(path.join(dir, 'no', 'x.parquet'));
      assert.equal(nowhere.status, 1);
      assert.match(nowhere.stderr, /cannot write .*no\/x\.parquet: ENOENT/);
      // Written whole, then refused at the last step (a folder is in the way): the months are unmarked.
      fs.mkdirSync(path.join(dir, 'taken.parquet'));
      const taken = await archive(path.join(dir, 'taken.parquet'));
      assert.notEqual(taken.status, 0, 'the archive should fail');
      assert.equal(await db.checksum(), sum, 'a failed archive changed the database');
      const before = await totals(OLD);
      const again = await cli(['import', '--db', db.location, daily.file]);
      assert.equal(again.status, 0, again.stderr);
      assert.equal(await totals(OLD), before, 'importing the same file again changed the totals');
    });

    it('refuses imports into a month while it is being archived', async () => {
      const store = await db.open();
      try {
        assert.deepEqual(await store.archive.begin(PARTNER, NEW, path.join(dir, 'pending.parquet')), [OLD]);
        const refused = await cli(['import', '--db', db.location, daily.file]);
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, new RegExp(`the lines of ${OLD} are being archived to .*pending\\.parquet`));
        // Only PARTNER's month: the other partner's of the same month takes imports.
        const others = await cli(['import', '--db', db.location, other.file]);
        assert.equal(others.status, 0, others.stderr);
        // Removing them is refused when the file did not get every line they hold.
        const blocks = await db.query('SELECT block_key FROM line_blocks ORDER BY block_key');
        await assert.rejects(store.archive.finish(PARTNER, new Map([[OLD, 'tag']]), 1), ArchiveMismatch);
        assert.deepEqual(await db.query('SELECT block_key FROM line_blocks ORDER BY block_key'), blocks);
        await store.archive.abandon(PARTNER, [OLD]);
        assert.deepEqual(await store.archive.list(PARTNER), []);
      } finally {
        await store.close();
      }
    });

    it("writes the old months' lines to Parquet, removes them and keeps every total", async () => {
      const oldTotals = await totals(OLD);
      const newTotals = await totals(NEW);
      const server = await startTestServer(db);
      const token = await server.token({ tenant: PARTNER, user: 'admin@partner.example' });
      const get = (url: string) => fetch(server.baseUrl + url, { headers: { authorization: `Bearer ${token}` } });
      try {
        const m = await get(`/v1/partnerusage/margins?period=${OLD}&groupBy=customer`);
        assert.equal(m.status, 200, await m.clone().text());
        marginsBefore = await m.json();
      } finally {
        await server.close();
      }

      const out = path.join(dir, 'archive.parquet');
      const r = await archive(out);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`archived 2,600 lines of ${OLD}`));
      // The period held both kinds of lines: each kind in its own layout, as `export` writes them.
      const legacyOut = path.join(dir, 'archive.legacy.parquet');
      assert.match(r.stdout, /archive\.legacy\.parquet: Parquet/);

      // Every line in the files, every total exact.
      const count = async (file: string) =>
        Number((await duck.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${file}')`)).getRowObjectsJS()[0]!.n);
      assert.equal(await count(out), daily.expect.rows);
      assert.equal(await count(legacyOut), legacy.expect.rows);
      assert.deepEqual(await sums(out, 'BillingPreTaxTotal', 'BillingCurrency'), expectedSums(daily.expect));
      assert.deepEqual(await sums(legacyOut, 'PretaxCharges', 'Currency'), expectedSums(legacy.expect));

      // The lines are gone from the database; the totals are not, nor the newer month's lines.
      // The other partner's lines of the same month are still there.
      const blocks = await db.query<{ tenant_id: string; period: string }>(
        `SELECT DISTINCT p.tenant_id, b.period FROM line_blocks b JOIN partners p ON p.partner_key = b.partner_key
         ORDER BY b.period, p.tenant_id`,
      );
      assert.deepEqual(
        blocks.map((b) => [b.tenant_id, b.period]),
        [
          [OTHER, OLD],
          [PARTNER, NEW],
        ],
      );
      assert.equal(await totals(OLD), oldTotals, 'the archived month lost totals');
      assert.equal(await totals(NEW), newTotals, 'the newer month changed');
      const listed = await cli(['archive', '--db', db.location, '--partner', PARTNER, '--list']);
      const otherListed = await cli(['archive', '--db', db.location, '--partner', OTHER, '--list']);
      assert.equal(otherListed.stdout.trim(), 'no month archived');
      assert.match(listed.stdout, new RegExp(`${OLD}  2,600 lines  \\S+  ${out.replace(/[.\\]/g, '\\$&')}`));
    });

    it('refuses what needs the archived lines, and keeps answering from the totals', async () => {
      const sum = await db.checksum();
      const again = await cli(['import', '--db', db.location, daily.file]);
      assert.equal(again.status, 1);
      assert.match(again.stderr, new RegExp(`the lines of ${OLD} were archived to .*archive\\.parquet`));
      assert.equal(await db.checksum(), sum, 'a refused import changed the database');
      const exported = await exportCsv(OLD, path.join(dir, 'e.csv'));
      assert.equal(exported.status, 1);
      assert.match(exported.stderr, /were archived/);
      assert.ok(!fs.existsSync(path.join(dir, 'e.csv')), 'a refused export left a file');
      const newer = await exportCsv(NEW, path.join(dir, 'n.csv'));
      assert.equal(newer.status, 0, newer.stderr);
      // The other partner's month is its own: read and imported again as before.
      const others = await exportCsv(OLD, path.join(dir, 'o.csv'), OTHER);
      assert.equal(others.status, 0, others.stderr);
      assert.match(others.stdout, /500 reconciliation rows/);
      const otherAgain = await cli(['import', '--db', db.location, other.file]);
      assert.equal(otherAgain.status, 0, otherAgain.stderr);
      const nothing = await archive(path.join(dir, 'again.parquet'));
      assert.equal(nothing.status, 0, nothing.stderr);
      assert.match(nothing.stdout, /nothing to archive/);
      assert.ok(!fs.existsSync(path.join(dir, 'again.parquet')), 'an empty archive wrote a file');

      const server = await startTestServer(db);
      try {
        const token = await server.token({ tenant: PARTNER, user: 'admin@partner.example' });
        const get = (url: string) => fetch(server.baseUrl + url, { headers: { authorization: `Bearer ${token}` } });
        const customers = (await (await get(`/v1/customers/usagerecords?period=${OLD}`)).json()) as {
          items: { id: string; totalCost: number }[];
        };
        assert.ok(customers.items.length > 0, 'the archived month lists no customers');
        const customer = customers.items.find((c) => c.totalCost > 0)!.id;
        const subs = (await (
          await get(`/v1/customers/${customer}/subscriptions/usagerecords?period=${OLD}`)
        ).json()) as {
          items: { id: string }[];
        };
        const sub = `/v1/customers/${customer}/subscriptions/${subs.items[0]!.id}`;
        assert.equal((await get(`${sub}/meterusagerecords?period=${OLD}`)).status, 200, 'meters are totals');
        for (const url of [
          `${sub}/usagerecords/daily?period=${OLD}`,
          `${sub}/utilizations/azure?start_time=${OLD}-01T00:00:00Z&end_time=${OLD}-20T00:00:00Z`,
        ]) {
          const r = await get(url);
          assert.equal(r.status, 410, url);
          const fault = (await r.json()) as { code: number; description: string };
          assert.equal(fault.code, 800002);
          assert.match(fault.description, new RegExp(`^The lines of ${OLD} were archived to .*archive\\.parquet`));
        }
        // Margins of the archived month come from the price bases kept under its lines' tag.
        const margins = await get(`/v1/partnerusage/margins?period=${OLD}&groupBy=customer`);
        assert.equal(margins.status, 200);
        assert.deepEqual(await margins.json(), marginsBefore, "the archived month's margins changed");
      } finally {
        await server.close();
      }
    });
  });
}

describe("Microsoft's line routes for an archived month (sqlite; the routes are the same on both backends)", () => {
  const dir = tempDir('pu-archive-graph-');
  const last = previousBillingPeriod(currentBillingPeriod());
  const lines = generate(dir, 'last.csv', { rows: 300, customers: 3, period: last, seed: 11, partner: PARTNER });
  const currency = Object.values(lines.expect.customers)[0]!.currency;
  let server: TestServer;
  let graph: string;
  before(async () => {
    const db = await testDatabase('sqlite', dir, 'graph');
    const imported = await cli(['import', '--db', db.location, lines.file]);
    assert.equal(imported.status, 0, imported.stderr);
    server = await startTestServer(db, {}, undefined, { settings: { runningPolls: 0 } });
    graph = await server.token({ tenant: PARTNER, graph: true });
  });
  after(() => server.close());

  const exportLast = async () => {
    const started = await fetch(`${server.baseUrl}/v1.0/reports/partners/billing/usage/unbilled/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${graph}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currencyCode: currency, billingPeriod: 'last' }),
    });
    assert.equal(started.status, 202);
    return (await (
      await fetch(started.headers.get('location')!, { headers: { authorization: `Bearer ${graph}` } })
    ).json()) as {
      status: string;
      error?: { code: string; message: string };
      resourceLocation?: { rootDirectory: string; sasToken: string; blobs: { name: string }[] };
    };
  };

  it("fails Graph's export, forgets its earlier blobs and answers the line-item API 410, naming the file", async () => {
    const before = await exportLast();
    assert.equal(before.status, 'succeeded');
    const r = await cli([
      'archive',
      '--db',
      path.join(dir, 'graph.db'),
      '--before',
      currentBillingPeriod(),
      '--out',
      path.join(dir, 'last.parquet'),
    ]);
    assert.equal(r.status, 0, r.stderr);

    const m = before.resourceLocation!;
    const blob = await fetch(`${m.rootDirectory}/${m.blobs[0]!.name}?${m.sasToken}`);
    assert.equal(blob.status, 404, 'a blob of the archived lines was still served');
    assert.match(await blob.text(), /<Code>BlobNotFound<\/Code>/);

    const after = await exportLast();
    assert.equal(after.status, 'failed');
    assert.equal(after.error!.code, '5000');
    assert.match(after.error!.message, new RegExp(`the lines of ${last} were archived to .*last\\.parquet`));

    const user = await server.token({ tenant: PARTNER, user: 'u@p.example' });
    const items = await fetch(
      `${server.baseUrl}/v1/invoices/unbilled/lineitems?Provider=OneTime&InvoiceLineItemType=UsageLineItems&CurrencyCode=${currency}&Period=Previous&Size=5`,
      { headers: { authorization: `Bearer ${user}` } },
    );
    assert.equal(items.status, 410);
    assert.match(((await items.json()) as { description: string }).description, /were archived to .*last\.parquet/);
  });
});
