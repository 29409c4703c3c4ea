import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { ApiFault, Collection, CustomerMonthlyUsageRecord, MeterUsageRecord } from '../src/contract/resources.js';
import { DEMO_PARTNER, loadDemoData, SEED_CUSTOMERS } from '../src/demo/demo-data.js';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { importFile } from '../src/ingest/importer.js';
import { LOCAL_ISSUER, PARTNER_CENTER_AUDIENCE } from '../src/server/auth/token-settings.js';
import type { Store } from '../src/storage/store.js';
import { writeDailyRated } from './helpers/daily-rated-lines.js';
import { generate, SHARED, tempDir } from './helpers/fixtures.js';
import { scaled } from './helpers/reference-totals.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { BACKENDS, testDatabase, type Backend } from './helpers/backends.js';
import { stopPostgres } from './helpers/postgres.js';

const ajv = new Ajv({ allErrors: true });
const validCustomers = ajv.compile(Collection(CustomerMonthlyUsageRecord));
const validMeters = ajv.compile(Collection(MeterUsageRecord));
const validFault = ajv.compile(ApiFault);

const OTHER_PARTNER = '9d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a';
const PERIOD = currentBillingPeriod();
after(stopPostgres);

async function get(server: TestServer, url: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await fetch(`${server.baseUrl}${url}`, { method, headers });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

function assertFault(
  result: Awaited<ReturnType<typeof get>>,
  status: number,
  code: number,
  description?: RegExp,
): void {
  assert.equal(result.status, status, result.text);
  assert.ok(validFault(result.body), JSON.stringify(validFault.errors));
  assert.equal(result.body!.code, code);
  if (description) assert.match(result.body!.description as string, description);
  assert.match(result.headers.get('content-type')!, /^application\/json; charset=utf-8$/);
}

/** The JSON of Partner Center's own response example (shared/seeds/000). */
function seedExample(): { items: Record<string, unknown>[] } & Record<string, unknown> {
  const text = fs.readFileSync(path.join(SHARED, 'seeds/000_d41767403b873d21.txt'), 'utf8');
  return JSON.parse(text.slice(text.indexOf('{\n    "totalCount"'))) as { items: Record<string, unknown>[] } & Record<
    string,
    unknown
  >;
}

const shape = (value: unknown): unknown =>
  Array.isArray(value)
    ? 'array'
    : value !== null && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
      : typeof value;

async function firstSubscription(store: Store, customer: string): Promise<string> {
  const [subscription] = (await store.subscriptionIds(DEMO_PARTNER, customer)) ?? [];
  assert.ok(subscription, `customer ${customer} has a subscription`);
  return subscription;
}

function suite(backend: Backend): void {
  describe(`${backend}: the usage routes, against the demo data`, () => {
    const dir = tempDir();
    let server: TestServer;
    let token: string;

    before(async () => {
      server = await startTestServer(await testDatabase(backend, dir, 'server'));
      await loadDemoData(server.store, { customers: 40 });
      token = await server.token({ tenant: DEMO_PARTNER, user: 'admin@contoso.onmicrosoft.com' });
    });
    after(() => server.close());

    const auth = () => ({ Authorization: `Bearer ${token}` });

    it("answers GET /v1/customers/usagerecords with the seed example's fields, presence rules and types", async () => {
      const result = await get(server, '/v1/customers/usagerecords', auth());
      assert.equal(result.status, 200, result.text);
      assert.ok(validCustomers(result.body), JSON.stringify(validCustomers.errors));
      const body = result.body as {
        totalCount: number;
        items: Record<string, unknown>[];
        links: { self: { uri: string } };
      };
      assert.equal(body.totalCount, 41, 'the 40 customers of the daily-rated demo file and the legacy one');
      assert.equal(body.items.length, 41);
      const seed = seedExample();
      assert.deepEqual(Object.keys(body), Object.keys(seed));
      assert.deepEqual(shape(body.links), shape(seed.links));
      assert.equal(body.links.self.uri, '/customers/usagerecords');
      for (const example of seed.items) {
        const name = example.name as string;
        const ours = body.items.find((i) => i.name === name);
        assert.ok(ours, `the demo has the example's customer ${name}`);
        // Same fields in the same order, each of the same JSON type.
        assert.deepEqual(Object.keys(ours), Object.keys(example), name);
        assert.deepEqual(shape(ours), shape(example), name);
        for (const field of [
          'isUpgraded',
          'currencyCode',
          'currencyLocale',
          'budget',
          'customerSpendingBudget',
        ] as const) {
          if (field === 'budget' || field === 'customerSpendingBudget') {
            assert.deepEqual(
              Object.keys((ours[field] as object | undefined) ?? {}),
              Object.keys((example[field] as object | undefined) ?? {}),
              `${name} ${field}`,
            );
          } else assert.equal(ours[field], example[field], `${name} ${field}`);
        }
      }
      const legacy = body.items.find((i) => i.id === SEED_CUSTOMERS.legacy.id)!;
      assert.equal(legacy.totalCost, 0);
      assert.equal(legacy.usdTotalCost, 0);
      assert.equal(legacy.percentUsed, 0);
      assert.equal(result.headers.get('content-type'), 'application/json; charset=utf-8');
    });

    it('answers a past period (the period extension) and validates it', async () => {
      const [y, m] = PERIOD.split('-').map(Number) as [number, number];
      const previous = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
      const result = await get(server, `/v1/customers/usagerecords?period=${previous}`, auth());
      const legacy = (result.body!.items as Record<string, unknown>[]).find((i) => i.id === SEED_CUSTOMERS.legacy.id)!;
      assert.equal(legacy.totalCost, 22.86117);
      assert.equal(legacy.currencyLocale, 'fr-FR');
      assertFault(
        await get(server, '/v1/customers/usagerecords?period=2026-13', auth()),
        400,
        800002,
        /not a billing period/,
      );
    });

    it('lists meters whose totals add up to the customer total (one subscription each)', async () => {
      const customers = (await get(server, '/v1/customers/usagerecords', auth())).body!.items as Record<
        string,
        unknown
      >[];
      const uk = customers.find((c) => c.id === SEED_CUSTOMERS.modernUk.id)!;
      const plan = await server.store.meterUsage({
        partnerTenantId: DEMO_PARTNER,
        customerTenantId: uk.id as string,
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        period: PERIOD,
      });
      assert.equal(plan.found, 'subscription-missing');
      const subscriptionId = firstSubscription(server.store, uk.id as string);
      const result = await get(
        server,
        `/v1/customers/${uk.id as string}/subscriptions/${await subscriptionId}/meterusagerecords`,
        auth(),
      );
      assert.equal(result.status, 200, result.text);
      assert.ok(validMeters(result.body), JSON.stringify(validMeters.errors));
      const raw = result.text;
      const totals = [...raw.matchAll(/"totalCost":(-?[\d.]+)/g)].map((m) => scaled(m[1]!));
      const customerRaw = (await get(server, '/v1/customers/usagerecords', auth())).text;
      const ukTotal = new RegExp(
        `"id":"${uk.id as string}","resourceName":"[^"]*","name":"[^"]*","totalCost":([\\d.]+)`,
      ).exec(customerRaw)![1]!;
      assert.equal(
        totals.reduce((a, b) => a + b, 0n),
        scaled(ukTotal),
      );
      const item = (result.body!.items as Record<string, unknown>[])[0]!;
      assert.equal(item.currencyCode, 'GBP');
      assert.equal(
        (result.body!.links as { self: { uri: string } }).self.uri,
        `/customers/${uk.id as string}/subscriptions/${await subscriptionId}/meterusagerecords`,
      );
    });

    it('echoes MS-RequestId and MS-CorrelationId, or makes GUIDs, and sets MS-CV and MS-ServerId', async () => {
      const given = await get(server, '/v1/customers/usagerecords?size=1', {
        ...auth(),
        'MS-RequestId': 'e128c8e2-4c33-4940-a3e2-2e59b0abdc67',
        'MS-CorrelationId': 'aaaa0000-bb11-2222-33cc-444444dddddd',
        'MS-Contract-Version': 'v1',
        'X-Locale': 'en-US',
        'MS-PartnerCenter-Application': 'tests',
      });
      assert.equal(given.status, 200);
      assert.equal(given.headers.get('ms-requestid'), 'e128c8e2-4c33-4940-a3e2-2e59b0abdc67');
      assert.equal(given.headers.get('ms-correlationid'), 'aaaa0000-bb11-2222-33cc-444444dddddd');
      assert.match(given.headers.get('ms-cv')!, /^[\w-]+\.0$/);
      assert.match(given.headers.get('ms-serverid')!, /^\d{9}$/);
      const made = await get(server, '/v1/customers/usagerecords?size=1', auth());
      assert.match(made.headers.get('ms-requestid')!, /^[0-9a-f]{8}-[0-9a-f]{4}-4/);
      assert.match(made.headers.get('ms-correlationid')!, /^[0-9a-f]{8}-[0-9a-f]{4}-4/);
      const error = await get(server, '/v1/customers/nope/subscriptions/x/meterusagerecords', {
        ...auth(),
        'MS-RequestId': 'req-1',
        'MS-CorrelationId': 'corr-1',
      });
      assert.equal(error.headers.get('ms-requestid'), 'req-1');
      assert.equal(error.headers.get('ms-correlationid'), 'corr-1');
    });

    it('answers text/json when asked, and 406 for a media type it cannot serve', async () => {
      const text = await get(server, '/v1/customers/usagerecords?size=1', { ...auth(), Accept: 'text/json' });
      assert.equal(text.status, 200);
      assert.equal(text.headers.get('content-type'), 'text/json; charset=utf-8');
      const json = await get(server, '/v1/customers/usagerecords?size=1', {
        ...auth(),
        Accept: 'application/json, text/json',
      });
      assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8');
      assertFault(
        await get(server, '/v1/customers/usagerecords', { ...auth(), Accept: 'application/xml' }),
        406,
        800002,
      );
    });

    it("answers Partner Center's error body for bad parameters, wrong methods and unknown routes", async () => {
      assertFault(
        await get(
          server,
          '/v1/customers/not-a-guid/subscriptions/00000000-0000-0000-0000-000000000000/meterusagerecords',
          auth(),
        ),
        400,
        800002,
        /customer-tenant-id 'not-a-guid' is not a valid GUID/,
      );
      assertFault(
        await get(server, `/v1/customers/${SEED_CUSTOMERS.modernUk.id}/subscriptions/123/meterusagerecords`, auth()),
        400,
        800002,
        /subscription-id/,
      );
      for (const size of ['0', '1001', 'ten', '-1']) {
        assertFault(
          await get(server, `/v1/customers/usagerecords?size=${size}`, auth()),
          400,
          800002,
          /page size from 1 to 1000/,
        );
      }
      assertFault(
        await get(server, '/v1/customers/usagerecords?seek_operation=Previous', auth()),
        400,
        800002,
        /Unable to parse enum/,
      );
      assertFault(
        await get(server, '/v1/customers/usagerecords?seek_operation=Next', auth()),
        400,
        800002,
        /MS-ContinuationToken/,
      );
      assertFault(await get(server, '/v1/customers/usagerecords', auth(), 'POST'), 405, 800002, /POST/);
      assertFault(await get(server, '/v1/customers/usagerecords', auth(), 'DELETE'), 405, 800002);
      assertFault(await get(server, '/v1/nothing/here', auth()), 404, 1000);
    });

    it('answers 404 alike for a customer that does not exist and one of another partner', async () => {
      const other = await server.token({ tenant: OTHER_PARTNER });
      const unknown = '0f0f0f0f-0000-4000-8000-000000000000';
      const missing = await get(server, `/v1/customers/${unknown}/subscriptions/${unknown}/meterusagerecords`, {
        Authorization: `Bearer ${other}`,
      });
      assertFault(missing, 404, 60003);
      const subscription = await firstSubscription(server.store, SEED_CUSTOMERS.modernUk.id);
      const foreign = await get(
        server,
        `/v1/customers/${SEED_CUSTOMERS.modernUk.id}/subscriptions/${subscription}/meterusagerecords`,
        { Authorization: `Bearer ${other}` },
      );
      assertFault(foreign, 404, 60003);
      assert.equal(
        (foreign.body!.description as string).replace(SEED_CUSTOMERS.modernUk.id, 'X'),
        (missing.body!.description as string).replace(unknown, 'X'),
      );
      const otherList = await get(server, '/v1/customers/usagerecords', { Authorization: `Bearer ${other}` });
      assert.equal(otherList.status, 200);
      assert.deepEqual(otherList.body!.items, [], 'another partner sees none of these customers');
      assert.equal(otherList.body!.totalCount, 0);
      const emptyPage = await get(server, '/v1/customers/usagerecords?size=10', { Authorization: `Bearer ${other}` });
      assert.equal(emptyPage.status, 200);
      assert.ok(validCustomers(emptyPage.body), JSON.stringify(validCustomers.errors));
      assert.deepEqual(emptyPage.body!.items, []);
      assert.equal((emptyPage.body!.links as { next?: unknown }).next, undefined, 'an empty page has no next link');
      assertFault(
        await get(
          server,
          `/v1/customers/${SEED_CUSTOMERS.modernUk.id}/subscriptions/${unknown}/meterusagerecords`,
          auth(),
        ),
        404,
        20003,
      );
    });

    it('answers GET /healthz without a token', async () => {
      const result = await get(server, '/healthz');
      assert.equal(result.status, 200);
      assert.deepEqual(result.body, { status: 'ok' });
    });
  });

  describe(`${backend}: exact money and percentUsed on the wire`, () => {
    const dir = tempDir();
    let server: TestServer;
    const partner = '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716';

    before(async () => {
      server = await startTestServer(await testDatabase(backend, dir, 'server'));
      const file = path.join(dir, 'seed-totals.csv');
      const line = {
        PartnerId: partner,
        UsageDate: `${PERIOD}-01T00:00:00Z`,
        MeterId: 'DZH318Z0BNVX-005J-Data Transfer In (GB)',
      };
      writeDailyRated(file, [
        {
          ...line,
          CustomerId: SEED_CUSTOMERS.modernSe.id,
          CustomerName: SEED_CUSTOMERS.modernSe.name,
          SubscriptionId: '11111111-6fb9-4b05-8f15-b3d72e0596e6',
          BillingPreTaxTotal: '120.5682999999995904716',
          BillingCurrency: 'SEK',
          PricingPreTaxTotal: '12.39999999999999985235',
        },
        {
          ...line,
          CustomerId: SEED_CUSTOMERS.modernUk.id,
          CustomerName: SEED_CUSTOMERS.modernUk.name,
          SubscriptionId: '44908a11-641b-4c53-b7fc-0f2bfca8a581',
          BillingPreTaxTotal: '27.23292827625710931604',
          BillingCurrency: 'GBP',
          PricingPreTaxTotal: '33.280000000000001044',
        },
      ]);
      await importFile(server.store, file);
      await server.store.setBudget(partner, SEED_CUSTOMERS.modernSe.id, '20');
      await server.store.setBudget(partner, SEED_CUSTOMERS.modernUk.id, '97');
    });
    after(() => server.close());

    it('writes the totals with every digit and percentUsed 602.84 and 28.08', async () => {
      const token = await server.token({ tenant: partner });
      const result = await get(server, '/v1/customers/usagerecords', { Authorization: `Bearer ${token}` });
      assert.equal(result.status, 200, result.text);
      assert.ok(result.text.includes('"percentUsed":602.84,'), result.text);
      assert.ok(result.text.includes('"percentUsed":28.08,'));
      assert.ok(
        result.text.includes(
          '"totalCost":120.5682999999995904716,"currencyCode":"SEK","usdTotalCost":12.39999999999999985235',
        ),
      );
      assert.ok(
        result.text.includes(
          '"totalCost":27.23292827625710931604,"currencyCode":"GBP","usdTotalCost":33.280000000000001044',
        ),
      );
      assert.ok(result.text.includes('"budget":{"amount":20,"attributes":{"objectType":"SpendingBudget"}}'));
    });

    it('serves no cached page after a budget change or an import has changed it', async () => {
      const token = await server.token({ tenant: partner });
      const page = async (url = '/v1/customers/usagerecords') => {
        const result = await get(server, url, { Authorization: `Bearer ${token}` });
        assert.equal(result.status, 200, result.text);
        return (result.body!.items as Record<string, unknown>[]).find((c) => c.id === SEED_CUSTOMERS.modernUk.id)!;
      };
      const subscriptionMeters = `/v1/customers/${SEED_CUSTOMERS.modernUk.id}/subscriptions/44908a11-641b-4c53-b7fc-0f2bfca8a581/meterusagerecords`;
      await page();
      await page(); // now served from the cache
      assert.equal((await get(server, subscriptionMeters, { Authorization: `Bearer ${token}` })).status, 200);
      await server.store.setBudget(partner, SEED_CUSTOMERS.modernUk.id, '50');
      let uk = await page();
      assert.deepEqual(uk.budget, { amount: 50, attributes: { objectType: 'SpendingBudget' } });
      assert.equal(uk.percentUsed, 54.47);
      const more = path.join(dir, 'more-usage.csv');
      writeDailyRated(more, [
        {
          PartnerId: partner,
          UsageDate: `${PERIOD}-02T00:00:00Z`,
          MeterId: 'DZH318Z0BNVX-005J-Data Transfer In (GB)',
          CustomerId: SEED_CUSTOMERS.modernUk.id,
          CustomerName: SEED_CUSTOMERS.modernUk.name,
          SubscriptionId: '44908a11-641b-4c53-b7fc-0f2bfca8a581',
          BillingPreTaxTotal: '22.76707172374289068396',
          BillingCurrency: 'GBP',
          PricingPreTaxTotal: '1',
        },
      ]);
      await importFile(server.store, more);
      uk = await page();
      assert.equal(uk.totalCost, 50);
      assert.equal(uk.percentUsed, 100);
      const meters = await get(server, subscriptionMeters, { Authorization: `Bearer ${token}` });
      assert.match(meters.text, /"totalCost":50,/);
      await server.store.setBudget(partner, SEED_CUSTOMERS.modernUk.id, '97');
    });
  });

  describe(`${backend}: authentication and tenancy`, () => {
    const dir = tempDir();
    let server: TestServer;
    const url = '/v1/customers/usagerecords';

    before(async () => {
      server = await startTestServer(await testDatabase(backend, dir, 'server'));
      await loadDemoData(server.store, { customers: 5 });
    });
    after(() => server.close());

    async function signed(
      claims: JWTPayload,
      options: {
        alg?: string;
        key?: Parameters<SignJWT['sign']>[0];
        exp?: string | number;
        nbf?: string | number;
      } = {},
    ) {
      let jwt = new SignJWT({ tid: DEMO_PARTNER, scp: 'user_impersonation', upn: 'u@x.com', ...claims })
        .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: server.auth.keys.kid })
        .setIssuedAt()
        .setExpirationTime(options.exp ?? '1h');
      if (!('iss' in claims)) jwt = jwt.setIssuer(LOCAL_ISSUER.replace('{tid}', DEMO_PARTNER));
      if (!('aud' in claims)) jwt = jwt.setAudience(PARTNER_CENTER_AUDIENCE);
      if (options.nbf !== undefined) jwt = jwt.setNotBefore(options.nbf);
      return jwt.sign(options.key ?? server.auth.keys.privateKey);
    }

    const call = (token?: string) => get(server, url, token === undefined ? {} : { Authorization: `Bearer ${token}` });

    it('accepts a valid App+User token', async () => {
      assert.equal((await call(await signed({}))).status, 200);
    });

    it('answers 401 with WWW-Authenticate for a missing, garbage, unsigned, expired, early, foreign or forged token', async () => {
      const [header, payload] = (await signed({})).split('.');
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
      const { privateKey: strangerKey } = await generateKeyPair('RS256');
      const publicPem = Buffer.from(JSON.stringify(await exportJWK(server.auth.keys.publicKey)));
      const cases: [string, string | undefined, RegExp][] = [
        ['no token', undefined, /token missing/],
        ['garbage', 'not.a.token', /malformed/],
        ['alg none', none, /algorithm|malformed/],
        ['expired', await signed({}, { exp: Math.floor(Date.now() / 1000) - 600 }), /expired/],
        ['nbf in the future', await signed({}, { nbf: Math.floor(Date.now() / 1000) + 600 }), /not valid yet/],
        ['wrong audience', await signed({ aud: 'https://graph.microsoft.com' }), /audience/],
        ['wrong issuer', await signed({ iss: 'https://evil.example/' }), /issuer/],
        ['another signing key', await signed({}, { key: strangerKey }), /signature/],
        [
          'HMAC with the public key as secret',
          await signed({}, { alg: 'HS256', key: new Uint8Array(publicPem) }),
          /algorithm/,
        ],
        [
          'a tampered payload',
          `${header}.${Buffer.from(JSON.stringify({ tid: DEMO_PARTNER, exp: 9999999999 })).toString('base64url')}.${(await signed({})).split('.')[2]}`,
          /signature|claim/,
        ],
      ];
      for (const [name, token, reason] of cases) {
        const result = await call(token);
        assertFault(result, 401, token === undefined ? 800001 : 400, reason);
        assert.match(result.headers.get('www-authenticate')!, /^Bearer realm=/, name);
      }
    });

    it('answers 403 to an app-only token on these App+User routes', async () => {
      const appToken = await server.token({ tenant: DEMO_PARTNER, appOnly: true });
      assertFault(await call(appToken), 403, 900150, /^This resource can't be accessed by application credentials\.$/);
      const noScope = await signed({ scp: undefined, idtyp: 'app', roles: ['x'] });
      assertFault(await call(noScope), 403, 900150);
    });
  });

  describe(`${backend}: keyset paging`, () => {
    const dir = tempDir();
    let server: TestServer;
    let partner: string;
    let token: string;

    before(async () => {
      server = await startTestServer(await testDatabase(backend, dir, 'server'));
      const gen = generate(dir, 'paging.csv', { customers: 2500, rows: 20000, days: 1, period: '2026-08', seed: 51 });
      partner = gen.expect.partnerId;
      await importFile(server.store, gen.file);
      token = await server.token({ tenant: partner });
    });
    after(() => server.close());

    it('walks 2,500 customers 100 at a time: none missing, none twice', async () => {
      const seen: string[] = [];
      let result = await get(server, '/v1/customers/usagerecords?size=100&period=2026-08', {
        Authorization: `Bearer ${token}`,
      });
      let pages = 0;
      for (;;) {
        assert.equal(result.status, 200, result.text);
        assert.ok(validCustomers(result.body), JSON.stringify(validCustomers.errors));
        const items = result.body!.items as { id: string }[];
        assert.equal(result.body!.totalCount, items.length, 'totalCount is the size of this page');
        seen.push(...items.map((i) => i.id));
        pages++;
        const next = (
          result.body!.links as { next?: { uri: string; method: string; headers: { key: string; value: string }[] } }
        ).next;
        if (!next) break;
        assert.equal(next.method, 'GET');
        // Without /v1, as Partner Center writes links (and as links.self is).
        assert.equal(next.uri, '/customers/usagerecords?seek_operation=Next');
        assert.equal(next.headers[0]!.key, 'MS-ContinuationToken');
        assert.equal(result.body!.continuationToken, next.headers[0]!.value, 'the token at the top level too');
        result = await get(server, `/v1${next.uri}`, {
          Authorization: `Bearer ${token}`,
          'MS-ContinuationToken': next.headers[0]!.value,
        });
      }
      assert.equal(pages, 25);
      assert.equal(seen.length, 2500);
      assert.equal(new Set(seen).size, 2500);
      const all = await get(server, '/v1/customers/usagerecords?period=2026-08', { Authorization: `Bearer ${token}` });
      assert.deepEqual(
        seen,
        (all.body!.items as { id: string }[]).map((i) => i.id),
      );
    });

    it("counts and streams only the caller's customers when the whole collection is streamed", async () => {
      // Past 2,000 customers the collection is streamed and totalCount comes from a count of its own.
      const other = generate(dir, 'other-partner.csv', {
        customers: 30,
        rows: 300,
        days: 1,
        period: '2026-08',
        seed: 52,
      });
      assert.notEqual(other.expect.partnerId, partner);
      await importFile(server.store, other.file);
      const all = await get(server, '/v1/customers/usagerecords?period=2026-08', { Authorization: `Bearer ${token}` });
      assert.equal(all.status, 200, all.text.slice(0, 500));
      const items = all.body!.items as { id: string }[];
      assert.equal(all.body!.totalCount, 2500);
      assert.equal(items.length, 2500);
      const theirs = new Set(Object.keys(other.expect.customers));
      assert.equal(items.filter((c) => theirs.has(c.id)).length, 0);
      const otherToken = await server.token({ tenant: other.expect.partnerId });
      const own = await get(server, '/v1/customers/usagerecords?period=2026-08', {
        Authorization: `Bearer ${otherToken}`,
      });
      assert.equal(own.body!.totalCount, 30);
      assert.deepEqual(new Set((own.body!.items as { id: string }[]).map((c) => c.id)), theirs);
    });

    it('refuses a tampered token, and one of another partner, route or period, with 400', async () => {
      const first = await get(server, '/v1/customers/usagerecords?size=10&period=2026-08', {
        Authorization: `Bearer ${token}`,
      });
      const value = (first.body!.links as { next: { headers: { value: string }[] } }).next.headers[0]!.value;
      const [body, mac] = value.split('.') as [string, string];
      const tampered = Buffer.from(
        Buffer.from(body, 'base64url')
          .toString()
          .replace(/"[0-9a-f-]{36}"\]$/, '"ffffffff-ffff-ffff-ffff-ffffffffffff"]'),
      ).toString('base64url');
      const next = (t: string, extra = '', auth = token) =>
        get(server, `/v1/customers/usagerecords?seek_operation=Next${extra}`, {
          Authorization: `Bearer ${auth}`,
          'MS-ContinuationToken': t,
        });
      assert.equal((await next(value)).status, 200);
      assertFault(await next(`${tampered}.${mac}`), 400, 800002, /continuation token/);
      assertFault(await next(`${body}.${mac.slice(1)}x`), 400, 800002);
      assertFault(await next('garbage'), 400, 800002);
      assertFault(await next(value, '&period=2026-07'), 400, 800002);
      assertFault(await next(value, '', await server.token({ tenant: OTHER_PARTNER })), 400, 800002);
    });
  });

  describe(`${backend}: tokens from an OpenID Connect issuer (Entra ID)`, () => {
    const dir = tempDir();
    let server: TestServer;
    let idp: http.Server;
    let signingKey: CryptoKey;
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';

    before(async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      signingKey = privateKey;
      const jwk = { ...(await exportJWK(publicKey)), kid: 'entra-key-1', use: 'sig', alg: 'RS256' };
      idp = http.createServer((req, res) => {
        const base = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
        res.setHeader('content-type', 'application/json');
        if (req.url === '/common/v2.0/.well-known/openid-configuration') {
          res.end(
            JSON.stringify({
              issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
              jwks_uri: `${base}/common/discovery/v2.0/keys`,
            }),
          );
        } else if (req.url === '/common/discovery/v2.0/keys') res.end(JSON.stringify({ keys: [jwk] }));
        else res.writeHead(404).end('{}');
      });
      await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
      const discovery = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/common/v2.0/.well-known/openid-configuration`;
      server = await startTestServer(await testDatabase(backend, dir, 'server'), { oidcDiscoveryUrl: discovery });
    });
    after(async () => {
      await server.close();
      await new Promise((resolve) => idp.close(resolve));
    });

    const entraToken = (claims: JWTPayload, kid = 'entra-key-1', key: CryptoKey = signingKey) =>
      new SignJWT({
        tid: tenant,
        scp: 'user_impersonation',
        oid: 'u1',
        preferred_username: 'admin@contoso.com',
        ver: '2.0',
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(`https://login.microsoftonline.com/${tenant}/v2.0`)
        .setAudience(PARTNER_CENTER_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key);

    it("verifies tokens against the issuer's JWKS and refuses local or unknown keys", async () => {
      const ok = await get(server, '/v1/customers/usagerecords', { Authorization: `Bearer ${await entraToken({})}` });
      assert.equal(ok.status, 200, ok.text);
      const local = await server.token({ tenant });
      assertFault(await get(server, '/v1/customers/usagerecords', { Authorization: `Bearer ${local}` }), 401, 400);
      const { privateKey } = await generateKeyPair('RS256');
      assertFault(
        await get(server, '/v1/customers/usagerecords', {
          Authorization: `Bearer ${await entraToken({}, 'unknown-kid', privateKey)}`,
        }),
        401,
        400,
        /unknown key/,
      );
      const otherTenantIssuer = await new SignJWT({ tid: tenant, scp: 'user_impersonation' })
        .setProtectedHeader({ alg: 'RS256', kid: 'entra-key-1' })
        .setIssuer('https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0')
        .setAudience(PARTNER_CENTER_AUDIENCE)
        .setExpirationTime('1h')
        .sign(signingKey);
      assertFault(
        await get(server, '/v1/customers/usagerecords', { Authorization: `Bearer ${otherTenantIssuer}` }),
        401,
        400,
        /issuer/,
      );
    });
  });

  describe(`${backend}: unexpected failures`, () => {
    it('answer 500 with code 800003 and no stack, SQL or path in the body', async () => {
      const dir = tempDir();
      const failing = (store: Store): Store =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === 'customerUsage')
              return () => Promise.reject(new Error(`SQLITE_ERROR: no such table: customers at ${dir}/server.db`));
            const value = Reflect.get(target, prop, receiver) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        });
      const server = await startTestServer(await testDatabase(backend, dir, 'server'), {}, failing);
      try {
        const token = await server.token({ tenant: DEMO_PARTNER });
        const result = await get(server, '/v1/customers/usagerecords', {
          Authorization: `Bearer ${token}`,
          'MS-RequestId': 'req-500',
        });
        assertFault(result, 500, 800003, /^Unexpected service error\.$/);
        assert.doesNotMatch(result.text, /SQLITE|customers|server\.db|at /);
        assert.equal(result.headers.get('ms-requestid'), 'req-500');
      } finally {
        await server.close();
      }
    });
  });
}

for (const backend of BACKENDS) suite(backend);
