import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { importFile } from '../src/ingest/importer.js';
import type { Store } from '../src/storage/store.js';
import { graphRoot, partnerCenterRoot } from '../src/sync/endpoints.js';
import { syncPartner, type SnapshotResult, type SyncOptions } from '../src/sync/sync-run.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { generate, tempDir, type Expected } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { scaled } from './helpers/reference-totals.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

const PERIOD = currentBillingPeriod();
const CURRENCIES = ['USD', 'EUR', 'GBP', 'SEK', 'KRW', 'TWD', 'JPY', 'CAD', 'AUD'];

/** Customer totals of the period, scaled to exact integers: "billing|usd" by tenant id. */
async function totals(db: TestDatabase): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; billing: string; usd: string }>(
    `SELECT c.tenant_id AS id, u.billing_total AS billing, u.usd_total AS usd FROM customer_usage u
     JOIN customers c ON c.customer_key = u.customer_key WHERE u.period = '${PERIOD}'`,
  );
  return new Map(rows.map((r) => [r.id, `${scaled(String(r.billing))}|${scaled(String(r.usd))}`]));
}

const expectedTotals = (expect: Expected) =>
  new Map(Object.entries(expect.customers).map(([id, c]) => [id, `${scaled(c.billing)}|${scaled(c.usd)}`]));

const byStatus = (results: readonly SnapshotResult[], status: SnapshotResult['status']) =>
  results.filter((r) => r.status === status).map((r) => r.snapshot);

for (const backend of BACKENDS) {
  describe(`sync from another instance on ${backend}`, () => {
    const dir = tempDir();
    let a: TestDatabase;
    let server: TestServer;
    let b: TestDatabase;
    let storeB: Store;
    let expect: Expected;
    let graphToken: string;
    let userToken: string;
    let clockOffset = 0;
    let file: string;
    const waits: number[] = [];

    before(async () => {
      ({ file, expect } = generate(dir, 'a.csv', { rows: 2400, customers: 10, period: PERIOD, seed: 33 }));
      a = await testDatabase(backend, dir, 'a');
      // Two "running" polls with Retry-After 2; blobs of 150 lines, so snapshots span several.
      server = await startTestServer(a, {}, undefined, {
        settings: { runningPolls: 2, retryAfterSeconds: 2, blobLines: 150, sasSeconds: 600 },
        now: () => new Date(Date.now() + clockOffset),
      });
      await importFile(server.store, file);
      graphToken = await server.token({ tenant: expect.partnerId, graph: true });
      userToken = await server.token({ tenant: expect.partnerId, user: 'sync@partner.example' });
      b = await testDatabase(backend, dir, 'b');
      storeB = await b.open();
    });
    after(async () => {
      await storeB.close();
      await server.close();
    });

    const sync = ({ http, ...overrides }: Partial<SyncOptions> = {}, progress?: string[]) =>
      syncPartner(storeB, {
        source: 'graph',
        partnerTenantId: expect.partnerId,
        period: 'current',
        currencies: CURRENCIES,
        token: () => Promise.resolve(overrides.source === 'partner-center' ? userToken : graphToken),
        graphUrl: graphRoot(server.baseUrl),
        partnerCenterUrl: partnerCenterRoot(server.baseUrl),
        http: {
          sleep: (ms) => {
            waits.push(ms);
            return Promise.resolve();
          },
          ...http,
        },
        ...(progress ? { onProgress: (m) => progress.push(m) } : {}),
        ...overrides,
      });

    it('pulls every snapshot through the Graph export flow, exact to the digit, polling as Retry-After says', async () => {
      waits.length = 0;
      const progress: string[] = [];
      const results = await sync({}, progress);
      assert.deepEqual(
        results.filter((r) => r.error).map((r) => r.error!.message),
        [],
      );
      const currencies = new Set(Object.values(expect.customers).map((c) => c.currency));
      assert.deepEqual(new Set(byStatus(results, 'imported')), currencies);
      assert.deepEqual(
        byStatus(results, 'no-data'),
        CURRENCIES.filter((c) => !currencies.has(c)),
        'a currency without lines is the failed operation "5000 No data available", not an error',
      );
      assert.deepEqual(await totals(b), expectedTotals(expect));
      // Every export ran two "running" polls, each followed by a wait of its Retry-After.
      assert.equal(waits.length, 2 * CURRENCIES.length);
      assert.ok(
        waits.every((ms) => ms === 2000),
        `waits: ${waits.join(', ')}`,
      );
      assert.ok(
        progress.some((m) => /blob 2 of \d+/.test(m)),
        'a snapshot larger than a blob came as several blobs',
      );
      assert.equal(
        results.reduce((n, r) => n + r.lines, 0),
        expect.rows,
      );
    });

    it('a second sync changes nothing: every eTag is unchanged and nothing is imported', async () => {
      const before = await b.checksum();
      const results = await sync();
      assert.equal(byStatus(results, 'imported').length, 0);
      assert.ok(byStatus(results, 'unchanged').length > 0);
      assert.equal(await b.checksum(), before, 'not a row of the database changed');
    });

    it('a changed snapshot replaces the one before whole: lines gone from it are gone', async () => {
      // A's USD customers lose a customer and every third line (a snapshot imported into A).
      const rows = Papa.parse<Record<string, string>>(fs.readFileSync(file, 'utf8'), {
        header: true,
        skipEmptyLines: true,
      }).data;
      const usd = rows.filter((r) => r.BillingCurrency === 'USD');
      const dropped = usd[0]!.CustomerId;
      const kept = usd.filter((r, i) => r.CustomerId !== dropped && i % 3 !== 0);
      const smaller = path.join(dir, 'usd-smaller.csv');
      fs.writeFileSync(smaller, Papa.unparse(kept));
      await importFile(server.store, smaller, { snapshotCurrency: 'USD' });
      const results = await sync();
      assert.deepEqual(byStatus(results, 'imported'), ['USD']);
      assert.equal(results.find((r) => r.snapshot === 'USD')!.lines, kept.length);
      assert.deepEqual(await totals(b), await totals(a));
      assert.equal((await totals(b)).has(dropped!), false, "the dropped customer's lines are gone");
    });

    it('an expired SAS is fetched again from the operation, and the download goes on', async () => {
      await importFile(server.store, file); // A changes again: a new eTag for every currency
      let blobs = 0;
      const statuses: number[] = [];
      const results = await sync({
        currencies: ['EUR'],
        http: {
          fetch: async (input, init) => {
            if (!String(input).includes('/blobs/')) return fetch(input, init);
            // Before the first blob, the server's clock moves past the SAS's expiry (10 minutes).
            if (blobs++ === 0) clockOffset += 3600_000;
            const response = await fetch(input, init);
            statuses.push(response.status);
            return response;
          },
        },
      });
      assert.equal(statuses[0], 403, 'the first blob was refused: its SAS had expired');
      assert.ok(statuses.slice(1).every((s) => s === 200));
      assert.deepEqual(
        results.map((r) => r.status),
        ['imported'],
        results[0]?.error?.message,
      );
      assert.ok(blobs > 1);
      const eur = async (db: TestDatabase) =>
        new Map([...(await totals(db))].filter(([id]) => expect.customers[id]?.currency === 'EUR'));
      assert.deepEqual(await eur(b), await eur(a));
    });

    it('a blob cut short or not gzip fails its snapshot and stores nothing', async () => {
      await importFile(server.store, path.join(dir, 'usd-smaller.csv'), { snapshotCurrency: 'USD' }); // a new eTag
      const before = await b.checksum();
      for (const [corrupt, reason] of [
        [(bytes: Buffer) => bytes.subarray(0, bytes.length - 20), /bytes received of the|cut short/],
        [(bytes: Buffer) => Buffer.from(bytes.map((x) => x ^ 0x5a)), /not a valid gzip stream/],
      ] as const) {
        const results = await sync({
          currencies: ['USD'],
          http: {
            fetch: async (input, init) => {
              const response = await fetch(input, init);
              if (!String(input).includes('/blobs/')) return response;
              const bytes = Buffer.from(await response.arrayBuffer());
              // The length the blob had: a body cut short is told by it.
              return new Response(corrupt(bytes), { status: 200, headers: { 'content-length': String(bytes.length) } });
            },
          },
        });
        assert.equal(results[0]!.status, 'failed');
        assert.equal(results[0]!.error!.kind, 'blob');
        assert.match(results[0]!.error!.message, reason);
      }
      assert.equal(await b.checksum(), before, 'nothing half-imported');
    });

    it('throttling (429) is waited out as Retry-After says; a refused token is a clear auth failure', async () => {
      waits.length = 0;
      let throttled = 0;
      const results = await sync({
        currencies: ['GBP'],
        http: {
          fetch: async (input, init) => {
            if (init?.method === 'POST' && throttled++ < 2)
              return new Response('{}', { status: 429, headers: { 'retry-after': '7' } });
            return fetch(input, init);
          },
        },
      });
      assert.equal(results[0]!.status, 'imported', results[0]!.error?.message);
      assert.deepEqual(waits.slice(0, 2), [7000, 7000]);

      const refused = await sync({ currencies: ['GBP'], token: () => Promise.resolve(userToken) });
      assert.equal(refused[0]!.error?.kind, 'auth');
      assert.match(refused[0]!.error!.message, /401.*audience/);
    });

    it('a billed export (by invoice) of an instance that keeps no invoices has no data', async () => {
      const results = await sync({ invoiceId: 'G016907411' });
      assert.deepEqual(
        results.map((r) => [r.snapshot, r.status]),
        [['invoice G016907411', 'no-data']],
      );
    });

    it("pulls through Partner Center's older line-item API, resuming a failed download from its last stored page", async () => {
      const c = await testDatabase(backend, dir, 'c');
      const storeC = await c.open();
      try {
        const pc = (overrides: Partial<SyncOptions>, progress?: string[]) =>
          syncPartner(storeC, {
            source: 'partner-center',
            partnerTenantId: expect.partnerId,
            period: 'current',
            currencies: ['EUR'],
            token: () => Promise.resolve(userToken),
            graphUrl: graphRoot(server.baseUrl),
            partnerCenterUrl: partnerCenterRoot(server.baseUrl),
            pageSize: 40,
            ...(progress ? { onProgress: (m: string) => progress.push(m) } : {}),
            ...overrides,
          });
        const requests: string[] = [];
        let pages = 0;
        const failing = await pc({
          http: {
            fetch: async (input, init) => {
              if (++pages === 4) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
              return fetch(input, init);
            },
            maxRetries: 0,
          },
        });
        assert.equal(failing[0]!.error?.kind, 'network');
        assert.match(failing[0]!.error!.message, /ECONNRESET/);
        assert.equal((await c.query('SELECT scope FROM sync_pages')).length, 3, 'three pages stored');
        assert.equal((await totals(c)).size, 0, 'nothing imported');

        const progress: string[] = [];
        const resumed = await pc(
          {
            http: {
              fetch: (input, init) => {
                requests.push(
                  `${String(input)} ${new Headers(init?.headers).get('ms-continuationtoken') ? 'token' : ''}`,
                );
                return fetch(input, init);
              },
            },
          },
          progress,
        );
        assert.equal(resumed[0]!.status, 'imported', resumed[0]!.error?.message);
        assert.ok(progress.some((m) => m.includes('resuming after page 3')));
        assert.match(requests[0]!, /seekOperation=Next token$/, 'the first request goes on from page 3');
        const eur = new Map([...(await totals(a))].filter(([id]) => expect.customers[id]?.currency === 'EUR'));
        assert.deepEqual(await totals(c), eur);
        assert.equal((await c.query('SELECT scope FROM sync_pages')).length, 0, 'staged pages dropped with the import');

        // A download resumed after the server's lines changed starts again from the first page.
        pages = 0;
        await pc({
          http: {
            fetch: async (input, init) => {
              if (++pages === 3) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
              return fetch(input, init);
            },
            maxRetries: 0,
          },
        });
        // A's EUR lines change: every fourth one is gone.
        const rows = Papa.parse<Record<string, string>>(fs.readFileSync(file, 'utf8'), {
          header: true,
          skipEmptyLines: true,
        }).data;
        const fewer = path.join(dir, 'eur-fewer.csv');
        fs.writeFileSync(fewer, Papa.unparse(rows.filter((r, i) => r.BillingCurrency === 'EUR' && i % 4 !== 0)));
        await importFile(server.store, fewer, { snapshotCurrency: 'EUR' });
        const restarted: string[] = [];
        const again = await pc({}, restarted);
        assert.equal(again[0]!.status, 'imported', again[0]!.error?.message);
        assert.ok(restarted.some((m) => m.includes('starting again')));
        const eurNow = new Map([...(await totals(a))].filter(([id]) => expect.customers[id]?.currency === 'EUR'));
        assert.deepEqual(await totals(c), eurNow);
      } finally {
        await storeC.close();
      }
    });
  });
}

describe('the emulated Microsoft endpoints', () => {
  const dir = tempDir();
  let server: TestServer;
  let expect: Expected;
  let graph: string;

  before(async () => {
    let file: string;
    ({ file, expect } = generate(dir, 'e.csv', { rows: 300, customers: 3, period: PERIOD, seed: 5 }));
    server = await startTestServer(await testDatabase('sqlite', dir, 'e'), {}, undefined, {
      settings: { runningPolls: 0 },
    });
    await importFile(server.store, file);
    graph = await server.token({ tenant: expect.partnerId, graph: true });
  });
  after(() => server.close());

  const post = (url: string, body: string, token = graph) =>
    fetch(server.baseUrl + url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });

  it("takes Microsoft's SDK form of the action and PascalCase names; answers Graph's error envelope", async () => {
    const currency = Object.values(expect.customers)[0]!.currency;
    const ok = await post(
      '/beta/reports/partners/billing/usage/unbilled/microsoft.graph.partners.billing.export',
      JSON.stringify({ CurrencyCode: currency, BillingPeriod: 'Current', AttributeSet: 'Basic' }),
    );
    assert.equal(ok.status, 202);
    const location = ok.headers.get('location')!;
    assert.match(location, /\/beta\/reports\/partners\/billing\/operations\/[0-9a-f-]{36}$/);
    const op = (await (await fetch(location, { headers: { authorization: `Bearer ${graph}` } })).json()) as {
      status: string;
      resourceLocation: { rootDirectory: string; sasToken: string; blobs: { name: string }[] };
    };
    assert.equal(op.status, 'succeeded');
    const m = op.resourceLocation;
    const blob = await fetch(`${m.rootDirectory}/${m.blobs[0]!.name}?${m.sasToken}`);
    const first = JSON.parse(
      zlib
        .gunzipSync(Buffer.from(await blob.arrayBuffer()))
        .toString('utf8')
        .split('\n')[0]!,
    ) as Record<string, unknown>;
    assert.equal(Object.keys(first).length, 30, 'the basic attribute set');
    assert.equal(typeof first.BillingPreTaxTotal, 'number');

    const tampered = await fetch(
      `${m.rootDirectory}/${m.blobs[0]!.name}?${m.sasToken.replace(/sig=[^&]+/, 'sig=AAAA')}`,
    );
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /<Code>AuthenticationFailed<\/Code>/);

    const bad = await post(
      '/v1.0/reports/partners/billing/usage/unbilled/export',
      '{"currencyCode":"USD","billingPeriod":"soon"}',
    );
    assert.equal(bad.status, 400);
    const envelope = (await bad.json()) as {
      error: { code: string; message: string; innerError: Record<string, string> };
    };
    assert.equal(envelope.error.code, 'BadRequest');
    assert.match(envelope.error.message, /billingPeriod/);
    assert.ok(envelope.error.innerError['request-id']);

    const user = await server.token({ tenant: expect.partnerId, user: 'u@p.example' });
    const refused = await post('/v1.0/reports/partners/billing/usage/unbilled/export', '{}', user);
    assert.equal(refused.status, 401, "a Partner Center token is not for Graph's audience");
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'InvalidAuthenticationToken');
  });

  it('another partner learns nothing of these lines: its export has no data, its polls find no operation', async () => {
    const other = await server.token({ tenant: '22222222-2222-4222-8222-222222222222', graph: true });
    const currency = Object.values(expect.customers)[0]!.currency;
    const mine = await post(
      '/v1.0/reports/partners/billing/usage/unbilled/export',
      JSON.stringify({ currencyCode: currency, billingPeriod: 'current' }),
    );
    const poll = await fetch(mine.headers.get('location')!, { headers: { authorization: `Bearer ${other}` } });
    assert.equal(poll.status, 404);
    const theirs = await post(
      '/v1.0/reports/partners/billing/usage/unbilled/export',
      JSON.stringify({ currencyCode: currency, billingPeriod: 'current' }),
      other,
    );
    const op = (await (
      await fetch(theirs.headers.get('location')!, { headers: { authorization: `Bearer ${other}` } })
    ).json()) as {
      status: string;
      error: { code: string };
    };
    assert.deepEqual([op.status, op.error.code], ['failed', '5000']);
  });

  it("serves the older line-item route with Partner Center's paging and faults", async () => {
    const user = await server.token({ tenant: expect.partnerId, user: 'u@p.example' });
    const currency = Object.values(expect.customers)[0]!.currency;
    const base = `${server.baseUrl}/v1/invoices/unbilled/lineitems?Provider=OneTime&InvoiceLineItemType=UsageLineItems&CurrencyCode=${currency}&Period=Current&Size=5`;
    const first = await fetch(base, { headers: { authorization: `Bearer ${user}` } });
    assert.equal(first.status, 200);
    const page = (await first.json()) as {
      totalCount: number;
      items: Record<string, unknown>[];
      links: { next: { uri: string; headers: { key: string; value: string }[] } };
    };
    assert.equal(page.totalCount, 5);
    assert.equal(
      page.items[0]!.attributes && (page.items[0]!.attributes as { objectType: string }).objectType,
      'DailyRatedUsageLineItem',
    );
    assert.ok('unitOfMeasure' in page.items[0]! && 'resourceUri' in page.items[0]!);
    const token = page.links.next.headers.find((h) => h.key === 'MS-ContinuationToken')!.value;
    assert.match(page.links.next.uri, /^\/invoices\/unbilled\/lineitems\?.*seekOperation=Next$/);
    const next = await fetch(`${base}&seekOperation=Next`, {
      headers: { authorization: `Bearer ${user}`, 'MS-ContinuationToken': token },
    });
    const second = (await next.json()) as { items: { meterId: string; usageDate: string }[] };
    assert.equal(second.items.length, 5);
    assert.notDeepEqual(second.items[0], page.items[0]);
    const forged = await fetch(`${base}&seekOperation=Next`, {
      headers: { authorization: `Bearer ${user}`, 'MS-ContinuationToken': token.slice(0, -4) + 'AAAA' },
    });
    assert.equal(forged.status, 400);
    const wrong = await fetch(base.replace('OneTime', 'Azure'), { headers: { authorization: `Bearer ${user}` } });
    assert.equal(wrong.status, 400);
    assert.match(((await wrong.json()) as { description: string }).description, /provider/);
  });
});
