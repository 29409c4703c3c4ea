import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { columnsOf, LINE_COLUMNS, type LineColumn } from '../src/domain/line-schema.js';
import { blobLine } from '../src/export/line-json.js';
import { writeExport } from '../src/export/write-export.js';
import { importFile } from '../src/ingest/importer.js';
import { compare, parseDecimal } from '../src/money/decimal.js';
import type { Store } from '../src/storage/store.js';
import { graphRoot, partnerCenterRoot } from '../src/sync/endpoints.js';
import { syncPartner } from '../src/sync/sync-run.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { generate, tempDir } from './helpers/fixtures.js';
import { cli as runCli } from './helpers/cli-in-process.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

const PERIOD = currentBillingPeriod();
const PARTNER = '97da2849-d73e-4b43-aa90-7d090402c802';
const all: readonly LineColumn[] = LINE_COLUMNS;
const numeric = (c: LineColumn) => c.type === 'decimal' || c.type === 'percent';

/** A CSV file's rows as objects of its header's names (RFC 4180: quotes, commas, line breaks). */
function csvRows(file: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: true,
  });
  assert.deepEqual(parsed.errors, [], file);
  return parsed.data;
}

/**
 * Asserts that two sets of lines hold the same values, column by column: text byte for byte,
 * numbers by their value. Lines are matched in sorted order (a file's order is not the point).
 */
function assertSameLines(
  actual: Record<string, string>[],
  expected: Record<string, string>[],
  columns: readonly [string, LineColumn][],
) {
  assert.equal(actual.length, expected.length, 'as many lines');
  const key = (r: Record<string, string>) =>
    columns.map(([name, c]) => (numeric(c) ? normal(r[name]) : r[name])).join('\u0001');
  const a = [...actual].sort((x, y) => key(x).localeCompare(key(y)));
  const e = [...expected].sort((x, y) => key(x).localeCompare(key(y)));
  for (let i = 0; i < e.length; i++) {
    for (const [name, column] of columns) {
      const got = a[i]![name] ?? '';
      const want = e[i]![name] ?? '';
      if (numeric(column) && want.trim() !== '') {
        const [g, w] = [parseDecimal(got.trim()), parseDecimal(want.trim())];
        assert.ok(g && w && compare(g, w) === 0, `line ${i}, ${name}: ${got} for ${want}`);
      } else assert.equal(got, want, `line ${i}, ${name}`);
    }
  }
}
const normal = (text: string | undefined) => {
  const d = parseDecimal((text ?? '').trim());
  return d ? `${d.units * 10n ** BigInt(40 - d.scale)}` : (text ?? '');
};
const dailyColumns = columnsOf('daily-rated').map((c): [string, LineColumn] => [c.csv!, c]);
const legacyColumns = columnsOf('legacy').map((c): [string, LineColumn] => [c.legacy!.name, c]);

/** Microsoft's documented `DailyRatedUsageLineItem` (partner-center-api.md §12.1), every digit as published. */
const SAMPLE_PARTNER = '00083575-bbd0-54de-b2ad-0f5b0e927d71';
// Microsoft's sample leaves the customer blank (anonymised); a line is a customer's, so one is named here.
const SAMPLE_CUSTOMER = '3c2ba0d4-3b3f-4bd1-8e9e-9f0d3ad4c5e1';
const SAMPLE = `{ "partnerId": "${SAMPLE_PARTNER}", "partnerName": "MTBC", "customerId": "${SAMPLE_CUSTOMER}", "customerName": "Contoso",
  "customerDomainName": "", "invoiceNumber": "", "productId": "", "skuId": "", "availabilityId": "",
  "skuName": "VM-Series Next-Generation Firewall (Bundle 2 PAYG)", "productName": "VM-Series Next Generation Firewall",
  "publisherName": "Test Alto Networks, Inc.", "publisherId": "",
  "subscriptionId": "12345678-04d9-421c-baf8-e3b8dd62ddba", "subscriptionDescription": "Pay-As-You-Go",
  "chargeStartDate": "2019-01-01T00:00:00Z", "chargeEndDate": "2019-02-01T00:00:00Z", "usageDate": "2019-01-01T00:00:00Z",
  "meterType": "1 Compute Hour - 4core", "meterCategory": "Virtual Machine Licenses", "meterId": "4core",
  "meterSubCategory": "VM-Series Next Generation Firewall", "meterName": "VM-Series Next Generation Firewall Bundle 2 PAYG - 4 Core Hours", "meterRegion": "",
  "unitOfMeasure": "1 Hour", "resourceLocation": "EASTUS", "consumedService": "Microsoft.Compute",
  "resourceGroup": "ECH-PAN-RG", "resourceUri": "/subscriptions/12345678-b249-4edd-9319-637862d8c0b4/resourceGroups/ECH-PAN-RG/providers/Microsoft.Compute/virtualMachines/echpanfw",
  "tags": "", "additionalInfo": "{  \\"ImageType\\": null,  \\"ServiceType\\": \\"Standard_D3_v2\\",  \\"VMName\\": null,  \\"UsageType\\": \\"ComputeHR_SW\\"}",
  "serviceInfo1": "", "serviceInfo2": "", "customerCountry": "", "mpnId": "1234567", "resellerMpnId": "",
  "chargeType": "", "unitPrice": 1.2799888920023, "quantity": 24.0, "unitType": "",
  "billingPreTaxTotal": 30.7197334080551, "billingCurrency": "USD", "pricingPreTaxTotal": 30.7197334080551, "pricingCurrency": "USD",
  "entitlementId": "1234547f-b249-4edd-9319-637862d8c0b4", "entitlementDescription": "Partner Subscription",
  "pcToBCExchangeRate": 1, "pcToBCExchangeRateDate": "2019-08-01T00:00:00Z", "effectiveUnitPrice": 0,
  "rateOfPartnerEarnedCredit": 0, "invoiceLineItemType": "usage_line_items", "billingProvider": "marketplace",
  "attributes": {"objectType": "DailyRatedUsageLineItem"} }`;

/** Each JSON value's type as Microsoft's example has it: number, string, boolean, object. */
const jsonTypes = (item: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v === null ? 'null' : typeof v]));

/** A stand-in for Partner Center's line-item API: Microsoft's sample, as the only line of one page. */
async function standIn(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (!req.url?.startsWith('/v1/invoices/unbilled/lineitems')) {
      res.statusCode = 404;
      return res.end('{}');
    }
    res.end(
      `{"totalCount":1,"items":[${SAMPLE}],"links":{"self":{"uri":"/invoices/unbilled/lineitems","method":"GET","headers":[]}},"attributes":{"objectType":"Collection"}}`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

for (const backend of BACKENDS) {
  describe(`every column of every line, given back exactly, on ${backend}`, () => {
    const dir = tempDir();
    let rich: string;
    let legacy: string;
    let partner: string;

    before(() => {
      const r = generate(dir, 'rich.csv', {
        rows: 1200,
        customers: 8,
        period: PERIOD,
        seed: 27,
        rich: true,
        invoice: 'G000123456',
        partner: PARTNER,
      });
      rich = r.file;
      partner = r.expect.partnerId;
      legacy = generate(dir, 'legacy.csv', {
        rows: 600,
        customers: 4,
        period: PERIOD,
        seed: 28,
        format: 'legacy',
        partner: PARTNER,
      }).file;
    });

    /** Imports `files` into a new database; exports its period as the reconciliation file; returns the files written. */
    async function roundTrip(
      name: string,
      files: string[],
    ): Promise<{ out?: string; legacyOut?: string; store: Store }> {
      const db = await testDatabase(backend, dir, name);
      const store = await db.open();
      for (const f of files) await importFile(store, f);
      const kinds = await store.lines.formats(partner, PERIOD);
      const out = path.join(dir, `${name}.csv`);
      const legacyOut = path.join(dir, `${name}.legacy.csv`);
      const targets = {
        ...(kinds.has('daily-rated') ? { out: fs.createWriteStream(out) } : {}),
        ...(kinds.has('legacy') ? { legacyOut: fs.createWriteStream(legacyOut) } : {}),
      };
      await writeExport(
        store,
        { partnerTenantId: partner, periods: [PERIOD], format: 'reconciliation', encoding: 'csv' },
        targets,
      );
      return { ...(targets.out ? { out } : {}), ...(targets.legacyOut ? { legacyOut } : {}), store };
    }

    it('a --rich --invoice file: export --format csv imports back to the same lines, every column as the file said it', async () => {
      const first = await roundTrip('rich-1', [rich]);
      assertSameLines(csvRows(first.out!), csvRows(rich), dailyColumns);
      // The export imports back to the same lines, whose export is the same file.
      const second = await roundTrip('rich-2', [first.out!]);
      assert.equal(fs.readFileSync(second.out!, 'utf8'), fs.readFileSync(first.out!, 'utf8'));
      await first.store.close();
      await second.store.close();
    });

    it("imported again: the new import's lines replace the old, fields and all, and the old dictionary goes", async () => {
      const db = await testDatabase(backend, dir, 'again');
      const store = await db.open();
      try {
        await importFile(store, rich);
        await importFile(store, rich);
        const out = path.join(dir, 'again.csv');
        await writeExport(
          store,
          { partnerTenantId: partner, periods: [PERIOD], format: 'reconciliation', encoding: 'csv' },
          fs.createWriteStream(out),
        );
        assertSameLines(csvRows(out), csvRows(rich), dailyColumns);
        const batches = await db.query<{ batch_id: number }>('SELECT DISTINCT batch_id FROM line_dictionaries');
        const blocks = await db.query<{ batch_id: number }>('SELECT DISTINCT batch_id FROM line_blocks');
        assert.deepEqual(
          batches.map((b) => Number(b.batch_id)),
          blocks.map((b) => Number(b.batch_id)),
        );
        assert.equal(blocks.length, 1, 'every line of the first import was replaced');
      } finally {
        await store.close();
      }
    });

    it('a --format legacy file: its lines go back in the legacy layout, every column as it said', async () => {
      const first = await roundTrip('legacy-1', [legacy]);
      assert.equal(first.out, undefined, 'no daily-rated lines');
      const header = fs.readFileSync(first.legacyOut!, 'utf8').split('\n')[0];
      assert.equal(
        header,
        fs.readFileSync(legacy, 'utf8').split('\n')[0]!.replace(/\r$/, ''),
        "the legacy file's columns",
      );
      assertSameLines(csvRows(first.legacyOut!), csvRows(legacy), legacyColumns);
      const second = await roundTrip('legacy-2', [first.legacyOut!]);
      assert.equal(fs.readFileSync(second.legacyOut!, 'utf8'), fs.readFileSync(first.legacyOut!, 'utf8'));
      await first.store.close();
      await second.store.close();
    });

    it('a period holding both kinds: each in its own layout, as two files', async () => {
      const both = await roundTrip('both', [rich, legacy]);
      assertSameLines(csvRows(both.out!), csvRows(rich), dailyColumns);
      assertSameLines(csvRows(both.legacyOut!), csvRows(legacy), legacyColumns);
      await both.store.close();
    });

    it("Microsoft's documented sample line: synced from a stand-in of its API, every field given back with its type", async () => {
      const api = await standIn();
      const db = await testDatabase(backend, dir, 'sample');
      const store = await db.open();
      try {
        const results = await syncPartner(store, {
          source: 'partner-center',
          partnerTenantId: SAMPLE_PARTNER,
          period: 'current',
          currencies: ['USD'],
          token: () => Promise.resolve('token'),
          graphUrl: graphRoot(api.url),
          partnerCenterUrl: partnerCenterRoot(api.url),
          http: { sleep: () => Promise.resolve() },
        });
        assert.deepEqual(
          results.map((r) => [r.status, r.lines, r.error?.message]),
          [['imported', 1, undefined]],
        );
        const out = path.join(dir, 'sample.csv');
        await writeExport(
          store,
          { partnerTenantId: SAMPLE_PARTNER, periods: ['2019-01'], format: 'reconciliation', encoding: 'csv' },
          fs.createWriteStream(out),
        );
        const [row] = csvRows(out);
        const sample = JSON.parse(SAMPLE) as Record<string, unknown>;
        for (const c of all) {
          if (c.v1 === null || !(c.v1 in sample)) continue;
          const want = String(sample[c.v1]);
          const got = row![c.csv!]!;
          if (numeric(c)) assert.equal(compare(parseDecimal(got)!, parseDecimal(want)!), 0, c.v1);
          else assert.equal(got, want, c.v1);
        }
        assert.equal(row!.Quantity, '24.0', 'every digit, as sent');
      } finally {
        await store.close();
        await api.close();
      }
    });

    describe('served back by this server', () => {
      let a: TestServer;
      before(async () => {
        a = await startTestServer(await testDatabase(backend, dir, 'served'), {}, undefined, {
          settings: { runningPolls: 0, retryAfterSeconds: 1, blobLines: 700, sasSeconds: 600 },
        });
        await importFile(a.store, rich);
      });
      after(() => a.close());

      it("answers /v1/invoices/unbilled/lineitems with the types of Microsoft's documented example", async () => {
        const token = await a.token({ tenant: partner, user: 'finance@partner.example' });
        const currency = csvRows(rich).find((r) => r.BillingCurrency !== 'USD')!.BillingCurrency!;
        const res = await fetch(
          `${a.baseUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=${currency}&period=current&size=50`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        assert.equal(res.status, 200);
        const { items } = (await res.json()) as { items: Record<string, unknown>[] };
        assert.ok(items.length > 0);
        const sample = jsonTypes(JSON.parse(SAMPLE) as Record<string, unknown>);
        for (const item of items) {
          const types = jsonTypes(item);
          for (const [key, type] of Object.entries(sample)) assert.equal(types[key], type, key);
          // Beyond the example: the fields Microsoft's model documents besides.
          assert.deepEqual(
            Object.keys(types)
              .filter((k) => !(k in sample))
              .sort(),
            ['creditType', 'hasPartnerEarnedCredit', 'rateOfCredit'],
          );
        }
        // Numbers as numbers, from the line itself: the exchange rate and the partner-earned credit.
        assert.ok(items.some((i) => typeof i.pcToBCExchangeRate === 'number' && i.pcToBCExchangeRate !== 1));
        assert.ok(items.some((i) => i.rateOfPartnerEarnedCredit === 15 && i.hasPartnerEarnedCredit === true));
        assert.ok(items.every((i) => i.invoiceNumber === 'G000123456'));
      });

      it('pages the line-item API by its continuation token, each page answered again the same from memory', async () => {
        const token = await a.token({ tenant: partner, user: 'finance@partner.example' });
        const currency = csvRows(rich).find((r) => r.BillingCurrency !== 'USD')!.BillingCurrency!;
        const first = `${a.baseUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=${currency}&period=current&size=5`;
        type Page = { items: { resourceUri: string; usageDate: string }[]; continuationToken?: string };
        const page = async (url: string, continuation?: string) => {
          const res = await fetch(url, {
            headers: {
              authorization: `Bearer ${token}`,
              ...(continuation ? { 'MS-ContinuationToken': continuation } : {}),
            },
          });
          assert.equal(res.status, 200);
          return (await res.json()) as Page;
        };
        const one = await page(first);
        assert.equal(one.items.length, 5);
        const next = `${first}&seekOperation=Next`;
        const two = await page(next, one.continuationToken);
        const three = await page(next, two.continuationToken);
        // The next pages share one URL: a cache keyed by it alone would answer page two again.
        const items = (p: Page) => JSON.stringify(p.items);
        assert.notEqual(items(two), items(one));
        assert.notEqual(items(three), items(two), 'the third page is not the second again');
        assert.deepEqual(await page(next, one.continuationToken), two, 'page two again, the same');
        assert.deepEqual(await page(first), one);
      });

      it('shows resource ids as the file spelled them (their identity still folds case)', async () => {
        const token = await a.token({ tenant: partner, user: 'finance@partner.example' });
        const line = csvRows(rich).find((r) => /[A-Z]/.test(r.ResourceURI!))!;
        const res = await fetch(
          `${a.baseUrl}/v1/customers/${line.CustomerId}/subscriptions/${line.SubscriptionId}/resourceusagerecords?period=${PERIOD}`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        assert.equal(res.status, 200);
        const { items } = (await res.json()) as { items: { resourceUri: string }[] };
        assert.ok(items.some((i) => i.resourceUri === line.ResourceURI));
        assert.ok(items.every((i) => i.resourceUri.includes('/resourceGroups/')));
      });

      it("a sync from this server reproduces its lines column for column, through Graph's export", async () => {
        const b = await testDatabase(backend, dir, 'synced');
        const storeB = await b.open();
        try {
          const graphToken = await a.token({ tenant: partner, graph: true });
          const currencies = [...new Set(csvRows(rich).map((r) => r.BillingCurrency!))];
          const results = await syncPartner(storeB, {
            source: 'graph',
            partnerTenantId: partner,
            period: 'current',
            currencies,
            token: () => Promise.resolve(graphToken),
            graphUrl: graphRoot(a.baseUrl),
            partnerCenterUrl: partnerCenterRoot(a.baseUrl),
            http: { sleep: () => Promise.resolve() },
          });
          assert.deepEqual(
            results.filter((r) => r.error).map((r) => r.error!.message),
            [],
          );
          const fromA = path.join(dir, 'a.csv');
          const fromB = path.join(dir, 'b.csv');
          const request = {
            partnerTenantId: partner,
            periods: [PERIOD],
            format: 'reconciliation',
            encoding: 'csv',
          } as const;
          await writeExport(a.store, request, fs.createWriteStream(fromA));
          await writeExport(storeB, request, fs.createWriteStream(fromB));
          assertSameLines(csvRows(fromB), csvRows(fromA), dailyColumns);
          assertSameLines(csvRows(fromB), csvRows(rich), dailyColumns);
        } finally {
          await storeB.close();
        }
      });
    });
  });
}

describe('export --format csv of a period holding both kinds of lines', () => {
  it('writes the legacy lines to <name>.legacy.csv beside --out, and says so', async () => {
    const dir = tempDir();
    const rich = generate(dir, 'rich.csv', {
      rows: 300,
      customers: 3,
      period: PERIOD,
      seed: 5,
      rich: true,
      partner: PARTNER,
    });
    const legacy = generate(dir, 'legacy.csv', {
      rows: 200,
      customers: 2,
      period: PERIOD,
      seed: 6,
      format: 'legacy',
      partner: PARTNER,
    });
    const db = path.join(dir, 'x.db');
    const cli = (...args: string[]) => runCli(args);
    assert.equal((await cli('import', rich.file, legacy.file, '--db', db)).status, 0);
    const out = path.join(dir, 'lines.csv');
    const result = await cli('export', '--format', 'csv', '--out', out, '--period', PERIOD, '--db', db);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`lines\\.csv: 300 reconciliation rows of ${PERIOD}`));
    assert.match(
      result.stdout,
      /lines\.legacy\.csv: 200 legacy \(MS-AZR-0145P\) reconciliation rows .*both kinds of lines/,
    );
    assert.equal(csvRows(out).length, 300);
    assert.equal(csvRows(path.join(dir, 'lines.legacy.csv')).length, 200);
  });
});

describe('numbers a file writes in other forms (leading zeros, exponents, signs)', () => {
  it('are served as JSON numbers of their value by the line-item API and Graph blobs, and exported by value', async () => {
    const dir = tempDir();
    const { file } = generate(dir, 'forms.csv', { rows: 20, customers: 1, period: PERIOD, seed: 3, partner: PARTNER });
    const rows = csvRows(file);
    // Each form on a line of its own, in three number columns (a price, a rate, a percentage).
    const forms = ['007.5', '-00.25', '4.35E+01', '+.5', '12.', '00'];
    forms.forEach((text, i) => {
      rows[i]!.UnitPrice = text;
      rows[i]!.PCToBCExchangeRate = text;
      rows[i]!.PartnerEarnedCreditPercentage = text;
    });
    const written = path.join(dir, 'forms-written.csv');
    fs.writeFileSync(written, Papa.unparse(rows, { newline: '\n' }));
    const server = await startTestServer(await testDatabase('sqlite', dir, 'forms'));
    try {
      await importFile(server.store, written);
      const token = await server.token({ tenant: PARTNER, user: 'finance@partner.example' });
      const currency = rows[0]!.BillingCurrency!;
      const res = await fetch(
        `${server.baseUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=${currency}&period=current&size=2000`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      assert.equal(res.status, 200);
      const body = await res.text();
      // JSON.parse, not res.json(): a bare "007.5" would make the whole page unreadable.
      const { items } = JSON.parse(body) as { items: Record<string, unknown>[] };
      const served = new Set(items.map((i) => i.unitPrice));
      for (const text of forms) {
        const value = Number(text);
        assert.ok(served.has(value), `unitPrice ${text} served as the number ${value}`);
        assert.ok(
          items.some((i) => i.unitPrice === value && i.pcToBCExchangeRate === value),
          `pcToBCExchangeRate ${text}`,
        );
      }
      assert.doesNotMatch(body, /":-?0\d/, 'no number with a leading zero');
      // Graph's blob lines are written by the same function, from the same stored text.
      let blobs = 0;
      for await (const block of server.store.lines.blocks(PARTNER, PERIOD, {}))
        for (const row of block) {
          const line = JSON.parse(blobLine(row, 'full')) as Record<string, unknown>;
          if (forms.some((f) => line.UnitPrice === Number(f))) blobs++;
        }
      assert.ok(blobs >= forms.length, `${blobs} blob lines with the forms' values`);
      // The reconciliation file gives them back by value (as JSON writes a number: it imports back).
      const out = path.join(dir, 'forms-out.csv');
      await writeExport(
        server.store,
        { partnerTenantId: PARTNER, periods: [PERIOD], format: 'reconciliation', encoding: 'csv' },
        fs.createWriteStream(out),
      );
      const prices = csvRows(out).map((r) => r.UnitPrice!);
      for (const text of forms) assert.ok(prices.includes(String(Number(text))), `UnitPrice ${text} in the export`);
    } finally {
      await server.close();
    }
  });
});
