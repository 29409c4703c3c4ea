import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { generate, tempDir, type Expected } from './helpers/fixtures.js';
import { assertConforms } from './helpers/openapi-check.js';
import { stopPostgres } from './helpers/postgres.js';
import { scaled } from './helpers/reference-totals.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

const URL_PATH = '/v1/partnerusage/lineitems';

for (const backend of BACKENDS) {
  describe(`HTTP ingestion of line items on ${backend}`, () => {
    const dir = tempDir();
    let db: TestDatabase;
    let server: TestServer;
    let expect: Expected;
    let items: Record<string, string>[];
    let ingest: string;

    before(async () => {
      const gen = generate(dir, 'ingest.csv', { rows: 600, customers: 6, period: '2026-10', seed: 71 });
      expect = gen.expect;
      items = Papa.parse<Record<string, string>>(fs.readFileSync(gen.file, 'utf8'), {
        header: true,
        skipEmptyLines: true,
      }).data;
      db = await testDatabase(backend, dir, 'ingest');
      server = await startTestServer(db);
      ingest = await server.token({ tenant: expect.partnerId, appOnly: true, ingest: true });
    });
    after(() => server.close());

    const post = async (body: string, type = 'application/x-ndjson', token = ingest) => {
      const r = await fetch(server.baseUrl + URL_PATH, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body,
      });
      const json = (await r.json()) as Record<string, unknown>;
      assertConforms('POST', URL_PATH, r.status, json);
      return { status: r.status, json };
    };
    const totals = async () =>
      new Map(
        (
          await db.query<{ id: string; billing: string }>(
            `SELECT c.tenant_id AS id, u.billing_total AS billing FROM customer_usage u
             JOIN customers c ON c.customer_key = u.customer_key WHERE u.period = '2026-10'`,
          )
        ).map((r) => [r.id, scaled(String(r.billing))]),
      );
    const expected = () => new Map(Object.entries(expect.customers).map(([id, c]) => [id, scaled(c.billing)]));
    const ndjson = (list: readonly object[]) => list.map((i) => JSON.stringify(i)).join('\n') + '\n';

    it('imports NDJSON exactly; the same items again as a JSON array replace, never add', async () => {
      const first = await post(ndjson(items));
      assert.equal(first.status, 200, JSON.stringify(first.json));
      assert.equal(first.json.lines, items.length);
      assert.deepEqual(await totals(), expected());
      const again = await post(JSON.stringify(items), 'application/json');
      assert.equal(again.status, 200);
      assert.equal(again.json.replaced, items.length, 'every line replaced by its own identity');
      assert.deepEqual(await totals(), expected(), 'not double-counted');
    });

    it('reads camelCase names and numbers with every digit', async () => {
      const [one] = items;
      const camel = Object.fromEntries(Object.entries(one!).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), v]));
      // BillingPreTaxTotal as a bare JSON number with 22 digits: kept as text, never a double.
      const body = JSON.stringify({ ...camel, billingPreTaxTotal: 'X' }).replace('"X"', one!.BillingPreTaxTotal!);
      const r = await post(body + '\n');
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.replaced, 1);
      assert.deepEqual(await totals(), expected());
    });

    it('refuses a bad value naming the item and field, and stores nothing of the request', async () => {
      const before = await totals();
      const bad = items.slice(0, 5).map((i, n) => (n === 2 ? { ...i, BillingPreTaxTotal: 'twelve' } : i));
      const r = await post(ndjson(bad.map((i) => ({ ...i, Quantity: '999' }))));
      assert.equal(r.status, 400);
      assert.match(r.json.description as string, /item 3 of 5: field BillingPreTaxTotal/);
      assert.deepEqual(await totals(), before);
      const broken = await post('{"PartnerId": 1}\n{not json\n');
      assert.equal(broken.status, 400);
      assert.match(broken.json.description as string, /item 2: not valid JSON/);
    });

    it("refuses another partner's line items, and a token without the ingest permission", async () => {
      const other = { ...items[0]!, PartnerId: '22222222-aaaa-4bbb-8ccc-000000000002' };
      const r = await post(ndjson([items[1]!, other]));
      assert.equal(r.status, 400);
      assert.match(r.json.description as string, /item 2: PartnerId .* is not the partner of the token/);
      const reader = await server.token({ tenant: expect.partnerId, user: 'ana@partner.example' });
      const denied = await post(ndjson(items.slice(0, 1)), 'application/x-ndjson', reader);
      assert.equal(denied.status, 403);
      assert.match(denied.json.description as string, /PartnerUsage\.Ingest/);
      const text = await post('PartnerId,CustomerId\n', 'text/csv');
      assert.equal(text.status, 400);
    });

    it('answers 413 past the body limit, naming it', async () => {
      const big = ndjson(items).repeat(Math.ceil((33 << 20) / ndjson(items).length));
      const r = await post(big);
      assert.equal(r.status, 413);
      assert.match(r.json.description as string, /larger than 33554432 bytes/);
    });

    it('evaluates alerts as an import does: a line that takes a customer past its budget raises both thresholds', async () => {
      const [customer] = Object.keys(expect.customers);
      await server.store.setBudget(expect.partnerId, customer!, '1000000000');
      const mine = items.find((i) => i.CustomerId!.toLowerCase() === customer)!;
      const spend = {
        ...mine,
        ResourceURI: `${mine.ResourceURI}-ingested`,
        BillingPreTaxTotal: '2000000000',
        PricingPreTaxTotal: '2000000000',
      };
      const r = await post(ndjson([spend]));
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.ok(
        (r.json.alerts as number) >= 2,
        '80 % and 100 % (and the day an anomaly), in the import of the request',
      );
      const raised = (await server.store.alerts.alerts(expect.partnerId)).filter(
        (a) => a.customerTenantId === customer && a.type === 'budget.threshold_reached',
      );
      assert.deepEqual(raised.map((a) => a.event.data.threshold).sort(), [100, 80]);
    });
  });
}
