import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { importFile } from '../src/ingest/importer.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { loadOrCreateLocalKeys } from '../src/server/auth/local-keys.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { generate, tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { referenceTotals, scaled } from './helpers/reference-totals.js';
import { serveProcess } from './helpers/serve-process.js';

after(stopPostgres);

async function customerTotals(db: TestDatabase): Promise<Map<string, bigint>> {
  const rows = await db.query<{ id: string; billing: string }>(
    `SELECT c.tenant_id AS id, u.billing_total AS billing FROM customer_usage u
     JOIN customers c ON c.customer_key = u.customer_key WHERE u.period = '2026-07'`,
  );
  return new Map(rows.map((r) => [r.id, scaled(String(r.billing))]));
}

for (const backend of BACKENDS) {
  describe(`${backend}: one database, several processes`, () => {
    const dir = tempDir();

    it('never double-counts two imports of the same file at once, and keeps two files of other months apart', async () => {
      const db = await testDatabase(backend, dir, 'concurrent');
      const july = generate(dir, 'july.csv', { rows: 6000, customers: 15, period: '2026-07', seed: 61 });
      const august = generate(dir, 'august.csv', { rows: 6000, customers: 15, period: '2026-08', seed: 61 });
      const stores = await Promise.all([db.open(), db.open(), db.open()]);
      try {
        const results = await Promise.all([
          importFile(stores[0]!, july.file),
          importFile(stores[1]!, july.file),
          importFile(stores[2]!, august.file),
        ]);
        assert.deepEqual(
          results.map((r) => r.lines),
          [6000, 6000, 6000],
        );
        assert.equal(
          results[0]!.replaced + results[1]!.replaced,
          6000,
          'one of the two replaced every line of the other',
        );
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      const expected = new Map([...referenceTotals(july.file).customers].map(([id, t]) => [id, t.billing]));
      assert.deepEqual(await customerTotals(db), expected);
      const augustRows = await db.query<{ n: number | string }>(
        "SELECT count(*) AS n FROM customer_usage WHERE period = '2026-08'",
      );
      assert.equal(Number(augustRows[0]!.n), Object.keys(august.expect.customers).length);
    });

    it('serves the same answers from two server processes, and a continuation token from one works on the other', async () => {
      const db = await testDatabase(backend, dir, 'two_servers');
      const gen = generate(dir, 'servers.csv', { rows: 3000, customers: 30, period: '2026-07', seed: 62 });
      const store = await db.open();
      let token: string;
      try {
        await importFile(store, gen.file);
        token = await issueLocalToken(await loadOrCreateLocalKeys(store), { tenant: gen.expect.partnerId });
      } finally {
        await store.close();
      }
      const [a, b] = await Promise.all([serveProcess(db.location), serveProcess(db.location)]);
      try {
        const headers = { Authorization: `Bearer ${token}` };
        const get = async (base: string, uri: string, extra: Record<string, string> = {}) => {
          const response = await fetch(`${base}${uri}`, { headers: { ...headers, ...extra } });
          return { status: response.status, text: await response.text() };
        };
        const first = await get(a.base, '/v1/customers/usagerecords?size=10&period=2026-07');
        assert.equal(first.status, 200, first.text);
        assert.equal((await get(b.base, '/v1/customers/usagerecords?size=10&period=2026-07')).text, first.text);
        const next = (JSON.parse(first.text) as { links: { next: { uri: string; headers: { value: string }[] } } })
          .links.next;
        const fromB = await get(b.base, `/v1${next.uri}`, { 'MS-ContinuationToken': next.headers[0]!.value });
        const fromA = await get(a.base, `/v1${next.uri}`, { 'MS-ContinuationToken': next.headers[0]!.value });
        assert.equal(fromB.status, 200, fromB.text);
        assert.equal(fromB.text, fromA.text);
        assert.equal((JSON.parse(fromB.text) as { items: unknown[] }).items.length, 10);
      } finally {
        a.child.kill('SIGTERM');
        b.child.kill('SIGTERM');
      }
    });
  });
}
