import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JsonDecimal } from '../src/contract/exact-json.js';
import { parseExact } from '../src/contract/exact-json.js';
import { operations } from '../src/contract/operations.js';
import { DEMO_PARTNER, loadDemoData, SEED_CUSTOMERS } from '../src/demo/demo-data.js';
import { importFile } from '../src/ingest/importer.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { writeDailyRated } from './helpers/daily-rated-lines.js';
import { tempDir } from './helpers/fixtures.js';
import { assertConforms } from './helpers/openapi-check.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

// Demo data as of mid-November 2026: October complete, November to the 14th.
const NOW = new Date('2026-11-15T12:00:00Z');
const CURRENT = '2026-11';
const PREVIOUS = '2026-10';
const OTHER_PARTNER = '9d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a';
const UK = SEED_CUSTOMERS.modernUk.id;
const LEGACY = SEED_CUSTOMERS.legacy.id;
// A customer of the demo partner with one big subscription: 5,084 utilization rows in October.
const BIG_CUSTOMER = '7a1b2c3d-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const BIG_SUBSCRIPTION = '7b2c3d4e-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
const BIG_ROWS = 164 * 31;

interface Result {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown> | undefined;
}

describe('the usage family, served from the operations table', () => {
  for (const backend of BACKENDS) {
    describe(backend, () => {
      let server: TestServer;
      let user: string;
      let app: string;
      let otherUser: string;

      const call = async (
        url: string,
        init: { method?: string; token?: string; headers?: Record<string, string>; body?: string } = {},
      ): Promise<Result> => {
        const method = init.method ?? 'GET';
        const response = await fetch(`${server.baseUrl}${url}`, {
          method,
          headers: { Authorization: `Bearer ${init.token ?? user}`, ...init.headers },
          ...(init.body === undefined ? {} : { body: init.body }),
        });
        const text = await response.text();
        const body = text ? (parseExact(text) as Record<string, unknown>) : undefined;
        // Every response of these tests is checked against the generated OpenAPI document.
        // Graph's paths answer Graph's envelope, which the document of Partner Center's routes does not hold.
        if (!/^\/(v1\.0|beta)\//.test(url) && response.status !== 405)
          assertConforms(method, url, response.status, text ? JSON.parse(text) : undefined);
        return { status: response.status, headers: response.headers, text, body };
      };
      const fault = (r: Result, status: number, code: number, text?: RegExp) => {
        assert.equal(r.status, status, r.text);
        assert.equal(int(r.body!.code), code, r.text);
        assert.equal(r.body!.source, 'PartnerFD');
        if (text) assert.match(r.body!.description as string, text);
      };
      const num = (v: unknown) => (v as JsonDecimal).text;
      const int = (v: unknown) => Number(num(v));
      const items = (r: Result) => r.body!.items as Record<string, unknown>[];

      let planSubscription: string;
      before(async () => {
        const dir = tempDir();
        const db = await testDatabase(backend, dir, 'family');
        const store = await db.open();
        await loadDemoData(store, { customers: 40, now: NOW });
        const file = path.join(dir, 'big.csv');
        const lines = [];
        for (let d = 1; d <= 31; d++) {
          for (let r = 0; r < 164; r++) {
            lines.push({
              PartnerId: DEMO_PARTNER,
              CustomerId: BIG_CUSTOMER,
              CustomerName: 'Big Customer',
              SubscriptionId: BIG_SUBSCRIPTION,
              UsageDate: `${PREVIOUS}-${String(d).padStart(2, '0')}T00:00:00Z`,
              MeterId: `meter-${r % 4}`,
              MeterName: `Meter ${r % 4}`,
              BillingCurrency: 'EUR',
              ResourceLocation: 'westeurope',
              Tags: '{"env":"prod"}',
              ResourceGroup: 'rg',
              ResourceURI: `/subscriptions/${BIG_SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s${r}`,
              Quantity: '2',
              BillingPreTaxTotal: '0.5',
              PricingPreTaxTotal: '0.55',
            });
          }
        }
        writeDailyRated(file, lines);
        await importFile(store, file, { now: () => NOW });
        await store.close();
        server = await startTestServer(db);
        user = await server.token({ tenant: DEMO_PARTNER });
        app = await server.token({ tenant: DEMO_PARTNER, appOnly: true });
        otherUser = await server.token({ tenant: OTHER_PARTNER });
        const subs = await call(`/v1/customers/${UK}/subscriptions/usagerecords?period=${CURRENT}`);
        planSubscription = items(subs)[0]!.id as string;
      });
      after(() => server.close());

      it('serves GET /openapi.json generated from the table, every operation in it', async () => {
        const response = await fetch(`${server.baseUrl}/openapi.json`);
        assert.equal(response.status, 200);
        const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
        assert.equal(doc.openapi, '3.1.0');
        for (const [id, o] of Object.entries(operations)) {
          const entry = doc.paths[o.path]?.[o.method.toLowerCase()] as { operationId: string } | undefined;
          assert.equal(entry?.operationId, id, `${o.method} ${o.path}`);
        }
      });

      it('GET /v1/usagesummary: counts and per-currency totals, never summed across currencies', async () => {
        const r = await call(`/v1/usagesummary?period=${CURRENT}`);
        assert.equal(r.status, 200, r.text);
        assert.equal((r.body!.attributes as { objectType: string }).objectType, 'PartnerUsageSummary');
        assert.equal(r.body!.billingStartDate, '2026-11-01T00:00:00+00:00');
        assert.equal(r.body!.billingEndDate, '2026-12-01T00:00:00+00:00');
        const totals = r.body!.totalsByCurrency as { currency: string; totalCost: JsonDecimal; customers: number }[];
        assert.ok(totals.length > 1, 'the demo has several currencies');
        assert.equal(new Set(totals.map((t) => t.currency)).size, totals.length);
        assert.equal(num(r.body!.totalCost), num(totals[0]!.totalCost), "the summary's total is its first currency's");
        assert.equal(
          int(r.body!.customersWithUsageBasedSubscription),
          totals.reduce((n, t) => n + int(t.customers), 0),
        );
        // The UK customer's budget is 97 GBP: over or trending over it, it is counted.
        assert.ok(int(r.body!.customersOverBudget) + int(r.body!.customersTrendingOver) >= 1);
        const other = await call('/v1/usagesummary', { token: otherUser });
        assert.equal(other.status, 200);
        assert.equal(int(other.body!.customersWithUsageBasedSubscription), 0, 'another partner learns of no customer');
      });

      it('GET /v1/customers/{c}/usagesummary: budget, billing dates and our forecast extension', async () => {
        const r = await call(`/v1/customers/${UK}/usagesummary?period=${CURRENT}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(num((r.body!.budget as { amount: JsonDecimal }).amount), '97');
        assert.equal(r.body!.currencyCode, 'GBP');
        assert.ok(!('id' in r.body!), 'Azure plan summaries have no id alias');
        const ext = r.body!.partnerUsage as {
          forecastTotalCost: JsonDecimal;
          forecastMethod: string;
          daysWithUsage: number;
        };
        assert.equal(ext.forecastMethod, 'median-daily-14d');
        assert.equal(int(ext.daysWithUsage), 14);
        assert.ok(
          Number(num(ext.forecastTotalCost)) > Number(num(r.body!.totalCost)),
          'a forecast past the month to date',
        );
        const legacy = await call(`/v1/customers/${LEGACY}/usagesummary?period=${PREVIOUS}`);
        assert.equal(legacy.status, 200, legacy.text);
        assert.equal(legacy.body!.currencyLocale, 'fr-FR');
        assert.ok(!('usdTotalCost' in legacy.body!), 'legacy summaries carry no USD figure');
        assert.equal(legacy.body!.id, LEGACY);
        fault(
          await call(`/v1/customers/${LEGACY}/usagesummary?period=${CURRENT}`),
          404,
          3000,
          /^Customer does not have usage data\.$/,
        );
        fault(await call(`/v1/customers/${UK}/usagesummary`, { token: otherUser }), 404, 60003);
      });

      it('GET and PATCH usagebudget: both casings, null clears, both auth kinds, shown at once', async () => {
        const url = `/v1/customers/${UK}/usagebudget`;
        const got = await call(url, { token: app });
        assert.equal(got.status, 200, got.text);
        assert.equal(num(got.body!.amount), '97');
        const patch = (body: string, token = user, type = 'application/json') =>
          call(url, { method: 'PATCH', token, body, headers: { 'Content-Type': type } });
        let r = await patch('{"Amount":100,"Attributes":{"ObjectType":"SpendingBudget"}}');
        assert.equal(r.status, 200, r.text);
        assert.equal(num(r.body!.amount), '100');
        const records = await call(`/v1/customers/usagerecords?period=${CURRENT}`);
        const uk = items(records).find((i) => i.id === UK)!;
        assert.equal(num((uk.budget as { amount: JsonDecimal }).amount), '100', 'the new budget shows at once');
        r = await patch('{"amount":150.0}', app, 'application/json; charset=utf-8');
        assert.equal(r.status, 200, r.text);
        assert.equal(num(r.body!.amount), '150');
        r = await patch('{"amount":null}');
        assert.equal(r.status, 200, r.text);
        assert.ok(!('amount' in r.body!));
        const cleared = items(await call(`/v1/customers/usagerecords?period=${CURRENT}`)).find((i) => i.id === UK)!;
        assert.ok(!('amount' in (cleared.budget as object)));
        assert.equal(num(cleared.percentUsed), '0');
        for (const [body, type, text] of [
          ['{"amount":-5}', 'application/json', /negative/],
          ['{"amount":"100"}', 'application/json', /not a number/],
          ['{"amount":1.1234567}', 'application/json', /decimals/],
          ['{"amount":1e15}', 'application/json', /larger/],
          ['{"amount":1', 'application/json', /not valid JSON/],
          ['{}', 'application/json', /no amount/],
          ['amount=5', 'application/x-www-form-urlencoded', /application\/json/],
          [`{"amount":5,"pad":"${'x'.repeat(2000)}"}`, 'application/json', /at most/],
        ] as const) {
          fault(await patch(body, user, type), 400, 800002, text);
        }
        assert.ok(!('amount' in (await call(url)).body!), 'a refused PATCH changed nothing');
        r = await patch('{"amount":97}');
        assert.equal(r.status, 200);
        fault(await call(url, { token: otherUser }), 404, 60003);
      });

      it('GET subscriptions/usagerecords: one row per plan, with offerId, status and partnerOnRecord', async () => {
        const r = await call(`/v1/customers/${UK}/subscriptions/usagerecords?period=${CURRENT}`);
        assert.equal(r.status, 200, r.text);
        const row = items(r)[0]!;
        assert.equal(row.status, 'active');
        assert.equal(row.currencyCode, 'GBP');
        assert.match(row.offerId as string, /^DZH318Z0BPS6/);
        assert.equal(row.partnerOnRecord, '1234567', "the file's MpnId");
        const legacy = await call(`/v1/customers/${LEGACY}/subscriptions/usagerecords?period=${PREVIOUS}`);
        const legacyRow = items(legacy)[0]!;
        assert.equal(legacyRow.offerId, 'MS-AZR-0145P');
        assert.equal(legacyRow.currencyLocale, 'fr-FR');
        assert.equal(num(legacyRow.usdTotalCost), '0');
        assert.ok(!('partnerOnRecord' in legacyRow), 'legacy rows name no partner of record');
      });

      it('GET subscription usagesummary, daily records summing to it, meters and resources', async () => {
        const base = `/v1/customers/${UK}/subscriptions/${planSubscription}`;
        const summary = await call(`${base}/usagesummary?period=${CURRENT}`);
        assert.equal(summary.status, 200, summary.text);
        const daily = await call(`${base}/usagerecords/daily?period=${CURRENT}`);
        assert.equal(daily.status, 200, daily.text);
        assert.equal(items(daily).length, 14);
        const exactSum = (texts: string[]) => {
          let units = 0n;
          for (const t of texts)
            units += BigInt(t.replace('.', '').padEnd(1)) * 10n ** BigInt(18 - (t.split('.')[1]?.length ?? 0));
          return units;
        };
        const asUnits = (t: string) => BigInt(t.replace('.', '')) * 10n ** BigInt(18 - (t.split('.')[1]?.length ?? 0));
        assert.equal(
          exactSum(items(daily).map((d) => num(d.totalCost))),
          asUnits(num(summary.body!.totalCost)),
          'days sum to the month exactly',
        );
        assert.equal(items(daily)[0]!.dateUsed, `${CURRENT}-01T00:00:00+00:00`);
        const resources = await call(`${base}/resourceusagerecords?period=${CURRENT}`);
        assert.equal(resources.status, 200, resources.text);
        const resource = items(resources)[0]!;
        assert.match(resource.resourceUri as string, /^\/subscriptions\//);
        assert.match(resource.resourceType as string, /^microsoft\.compute$/i);
        assert.equal(exactSum(items(resources).map((x) => num(x.totalCost))), asUnits(num(summary.body!.totalCost)));
        const meters = await call(`${base}/meterusagerecords?period=${CURRENT}`);
        assert.equal(exactSum(items(meters).map((x) => num(x.totalCost))), asUnits(num(summary.body!.totalCost)));
        fault(await call(`${base}/usagerecords/resources?period=${CURRENT}`), 400, 800002, /legacy/);
        const legacySubs = await call(`/v1/customers/${LEGACY}/subscriptions/usagerecords?period=${PREVIOUS}`);
        const legacyBase = `/v1/customers/${LEGACY}/subscriptions/${items(legacySubs)[0]!.id as string}`;
        const legacyResources = await call(`${legacyBase}/usagerecords/resources?period=${PREVIOUS}`);
        assert.equal(legacyResources.status, 200, legacyResources.text);
        const legacyResource = items(legacyResources)[0]!;
        assert.equal(legacyResource.currencyLocale, 'fr-FR');
        assert.equal(
          (legacyResource.attributes as { objectType: string }).objectType,
          'AzureResourceMonthlyUsageRecord',
        );
        fault(await call(`${legacyBase}/resourceusagerecords?period=${PREVIOUS}`), 400, 800002, /Azure plan/);
        const legacyDaily = await call(`${legacyBase}/usagerecords/daily?period=${PREVIOUS}`);
        assert.equal(legacyDaily.status, 200, legacyDaily.text);
        assert.ok(items(legacyDaily).length > 0);
        fault(
          await call(`/v1/customers/${UK}/subscriptions/00000000-0000-4000-8000-000000000000/usagesummary`),
          404,
          20003,
        );
        fault(await call(`${base}/usagesummary`, { token: otherUser }), 404, 60003);
      });

      it('utilization: 5,084 rows walked in pages of 1,000, none missing or twice, by the token alone', async () => {
        const base = `/v1/customers/${BIG_CUSTOMER}/subscriptions/${BIG_SUBSCRIPTION}/utilizations/azure`;
        // An unencoded + offset arrives as a space; Daily and True in any case.
        let r = await call(
          `${base}?start_time=2026-10-01T02:00:00 02:00&end_time=2026-11-01T00:00:00Z&granularity=Daily&show_details=True`,
          { token: app },
        );
        assert.equal(r.status, 200, r.text);
        const seen = new Set<string>();
        let pages = 0;
        for (;;) {
          pages++;
          for (const item of items(r)) {
            const key = `${item.usageStartTime}|${(item.instanceData as { resourceUri: string }).resourceUri}|${(item.resource as { id: string }).id}`;
            assert.ok(!seen.has(key), `twice: ${key}`);
            seen.add(key);
          }
          const next = (r.body!.links as { next?: { uri: string; headers: { key: string; value: string }[] } }).next;
          if (!next) break;
          assert.ok(!next.uri.startsWith('/') && !next.uri.startsWith('v1'), next.uri);
          assert.equal(r.body!.continuationToken, next.headers[0]!.value);
          r = await call(`/v1/${next.uri}`, {
            token: app,
            headers: { 'MS-ContinuationToken': next.headers[0]!.value },
          });
          assert.equal(r.status, 200, r.text);
        }
        assert.equal(seen.size, BIG_ROWS);
        assert.equal(pages, 6);
        const first = items(
          await call(`${base}?start_time=2026-10-05T00:00:00Z&end_time=2026-10-06T00:00:00Z&show_details=false&size=5`),
        )[0]!;
        assert.equal(first.usageStartTime, '2026-10-05T00:00:00+00:00');
        assert.equal(first.usageEndTime, '2026-10-06T00:00:00+00:00');
        assert.equal(num(first.quantity), '2');
        assert.ok(!('instanceData' in first));
        const detailed = items(await call(`${base}?start_time=2026-10-05&end_time=2026-10-06&size=1`))[0]!;
        assert.deepEqual((detailed.instanceData as { tags: object }).tags, { env: 'prod' });
        // A window reaching into today (UTC) is not complete yet.
        const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
        const late = await call(`${base}?start_time=${day(-3)}&end_time=${day(1)}`);
        assert.equal(late.status, 204);
        assert.ok(Number(late.headers.get('retry-after')) >= 1);
        fault(await call(`${base}?start_time=2026-10-01T00:00:00Z`), 400, 800002, /end_time/);
        fault(await call(`${base}?start_time=yesterday&end_time=2026-10-02T00:00:00Z`), 400, 800002, /start_time/);
        fault(
          await call(`${base}?start_time=2026-10-01&end_time=2026-10-02&granularity=weekly`),
          400,
          900126,
          /granularity/,
        );
        fault(await call(`${base}?start_time=2026-10-01&end_time=2026-10-02`, { token: otherUser }), 404, 60003);
      });

      it('answers 405 with Allow, 403 for app-only on App+User routes, 400 naming a bad GUID', async () => {
        const post = await call(`/v1/customers/${UK}/usagebudget`, {
          method: 'POST',
          body: '{}',
          headers: { 'Content-Type': 'application/json' },
        });
        assert.equal(post.status, 405);
        assert.equal(post.headers.get('allow'), 'GET, HEAD, PATCH');
        const del = await call('/v1/usagesummary', { method: 'DELETE' });
        assert.equal(del.status, 405);
        assert.equal(del.headers.get('allow'), 'GET, HEAD');
        for (const o of Object.values(operations)) {
          if (o.auth !== 'app+user') continue;
          const url = o.path.replace('{customer-tenant-id}', UK).replace('{subscription-id}', planSubscription);
          fault(await call(url, { token: app }), 403, 900150);
        }
        fault(await call('/v1/customers/not-a-guid/usagesummary'), 400, 800002, /customer-tenant-id 'not-a-guid'/);
      });

      it('matches paths in any case and with a trailing slash, but not /v1.0; echoes {braced} correlation ids', async () => {
        const upper = await call(`/V1/Customers/${UK.toUpperCase()}/UsageSummary/?period=${CURRENT}`);
        assert.equal(upper.status, 200, upper.text);
        assert.equal(upper.body!.resourceId, UK);
        // Not Partner Center's: /v1.0 is Graph's, which answers a path it has no resource for in its envelope.
        const v10 = await call(`/v1.0/customers/${UK}/usagesummary`);
        assert.equal(v10.status, 400);
        const graph = v10.body as unknown as { error: { code: string; message: string; innerError: object } };
        assert.equal(graph.error.code, 'BadRequest');
        assert.match(graph.error.message, /segment 'customers'/);
        assert.ok(graph.error.innerError);
        const beta = await call('/beta/reports/partners/billing/usage/nonsense');
        assert.equal(beta.status, 400);
        assert.match((beta.body as unknown as { error: { message: string } }).error.message, /segment 'nonsense'/);
        const braced = '{0f8fad5b-d9cb-469f-a165-70867728950e}';
        const r = await call(`/v1/customers/${UK}/usagebudget`, { headers: { 'MS-CorrelationId': braced } });
        assert.equal(r.headers.get('ms-correlationid'), braced);
      });
    });
  }
});
