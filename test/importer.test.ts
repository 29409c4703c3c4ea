import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { ImportError, importFile, type ImportOptions } from '../src/ingest/importer.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { stopPostgres } from './helpers/postgres.js';
import { writeDailyRated } from './helpers/daily-rated-lines.js';
import { generate, tempDir, type Generated } from './helpers/fixtures.js';
import { referenceTotals, scaled, type ReferenceTotals } from './helpers/reference-totals.js';

const PERIOD = '2026-10';
const dir = tempDir();
after(stopPostgres);

async function importInto(db: TestDatabase, file: string, options: ImportOptions = {}) {
  const store = await db.open();
  try {
    return await importFile(store, file, options);
  } finally {
    await store.close();
  }
}

/** Customer, subscription and meter totals as stored, keyed like the reference. */
async function storedTotals(db: TestDatabase) {
  const customers = new Map(
    (
      await db.query<{ id: string; billing: string; usd: string }>(
        `SELECT c.tenant_id AS id, u.billing_total AS billing, u.usd_total AS usd
       FROM customer_usage u JOIN customers c ON c.customer_key = u.customer_key WHERE u.period = ?`,
        PERIOD,
      )
    ).map((r) => [r.id, { billing: scaled(r.billing), usd: scaled(r.usd) }]),
  );
  const subscriptions = new Map(
    (
      await db.query<{ id: string; billing: string; usd: string }>(
        `SELECT c.tenant_id || '/' || s.subscription_id AS id, u.billing_total AS billing, u.usd_total AS usd
       FROM subscription_usage u JOIN subscriptions s ON s.subscription_key = u.subscription_key
       JOIN customers c ON c.customer_key = s.customer_key WHERE u.period = ?`,
        PERIOD,
      )
    ).map((r) => [r.id, { billing: scaled(r.billing), usd: scaled(r.usd) }]),
  );
  const meters = new Map(
    (
      await db.query<{ id: string; billing: string; usd: string; quantity: string }>(
        `SELECT c.tenant_id || '/' || s.subscription_id || '/' || m.meter_id AS id,
              u.billing_total AS billing, u.usd_total AS usd, u.quantity AS quantity
       FROM meter_usage u JOIN subscriptions s ON s.subscription_key = u.subscription_key
       JOIN customers c ON c.customer_key = s.customer_key JOIN meters m ON m.meter_key = u.meter_key
       WHERE u.period = ?`,
        PERIOD,
      )
    ).map((r) => [r.id, { billing: scaled(r.billing), usd: scaled(r.usd), quantity: scaled(r.quantity) }]),
  );
  return { customers, subscriptions, meters };
}

async function assertTotalsEqual(db: TestDatabase, expected: ReferenceTotals): Promise<void> {
  const stored = await storedTotals(db);
  assert.deepEqual(stored.customers, expected.customers);
  assert.deepEqual(stored.subscriptions, expected.subscriptions);
  assert.deepEqual(stored.meters, expected.meters);
}

/** A CSV file's records (header first), read and written by papaparse, not by the importer. */
function readRecords(file: string): string[][] {
  return Papa.parse<string[]>(fs.readFileSync(file, 'utf8'), { skipEmptyLines: true }).data;
}

function writeRecords(file: string, records: string[][]): void {
  fs.writeFileSync(file, Papa.unparse(records, { newline: '\n' }) + '\n');
}

for (const backend of BACKENDS) {
  describe(`${backend}: importing a generated daily-rated file`, () => {
    let gen: Generated;
    let reference: ReferenceTotals;
    let db: TestDatabase;

    before(async () => {
      db = await testDatabase(backend, dir, 'exact');
      gen = generate(dir, 'exact.csv', { rows: 30000, customers: 60, meters: 90, period: PERIOD, seed: 7 });
      reference = referenceTotals(gen.file);
    });

    it('stores totals equal to an independent exact BigInt sum, to the last digit', async () => {
      const summary = await importInto(db, gen.file, { parsers: 2 });
      assert.equal(summary.lines, 30000);
      assert.equal(summary.format, 'daily-rated');
      assert.deepEqual(summary.periods, [PERIOD]);
      assert.equal(reference.lines, 30000);
      await assertTotalsEqual(db, reference);
    });

    it("agrees with the generator's own expected totals", async () => {
      const stored = await storedTotals(db);
      for (const [id, e] of Object.entries(gen.expect.customers)) {
        assert.equal(stored.customers.get(id)?.billing, scaled(e.billing), `customer ${id}`);
        assert.equal(stored.customers.get(id)?.usd, scaled(e.usd), `customer ${id} USD`);
      }
      assert.equal(stored.meters.size, Object.keys(gen.expect.meters).length);
    });

    it('changes nothing when the same file is imported again, lastModified included', async () => {
      const before = await db.query('SELECT * FROM customer_usage ORDER BY customer_key');
      const summary = await importInto(db, gen.file);
      assert.equal(summary.replaced, 30000);
      assert.deepEqual(await db.query('SELECT * FROM customer_usage ORDER BY customer_key'), before);
      await assertTotalsEqual(db, reference);
      const [lines] = await db.query<{ n: number | string }>(
        'SELECT sum(line_count) AS n FROM line_blocks WHERE replaced IS NULL',
      );
      assert.equal(Number(lines!.n), 30000, 'the replaced blocks are gone');
    });

    for (const parsers of [1, 0] as const) {
      it(`gives the same totals ${parsers === 1 ? 'with one parse worker' : "in the importer's thread"} as with two`, async () => {
        const single = await testDatabase(backend, dir, `parsers-${parsers}`);
        await importInto(single, gen.file, { parsers });
        await assertTotalsEqual(single, reference);
      });
    }
  });

  // The parse workers are the same on every database: on the first backend only.
  if (backend === BACKENDS[0]) {
    describe(`${backend}: the parse workers' heap bound`, () => {
      afterEach(() => delete process.env.PARTNER_USAGE_PARSER_HEAP_MB);
      /** A generated file of one day (a group a line), and a copy with each Quantity rewritten. */
      const withQuantities = (name: string, rows: number, seed: number, rewrite: (quantity: string) => string) => {
        const plain = generate(dir, `plain-${name}`, { rows, customers: rows / 10, days: 1, period: PERIOD, seed });
        const [header, ...records] = readRecords(plain.file);
        const q = header!.indexOf('Quantity');
        for (const record of records) record[q] = rewrite(record[q]!);
        const rewritten = path.join(dir, name);
        writeRecords(rewritten, [header!, ...records]);
        return { plain, rewritten };
      };

      it('imports a file whose parsers pass the bound by parsing it again without one, exactly', async () => {
        // Quantities in exponent notation, as some exports write them: the same values as the
        // plain file's, so its totals. The bound is passed at a worker's start.
        const { plain, rewritten: exponents } = withQuantities('exponent-quantities.csv', 8000, 23, (q) =>
          Number(q).toExponential(),
        );
        const db = await testDatabase(backend, dir, 'heap-bound');
        process.env.PARTNER_USAGE_PARSER_HEAP_MB = '1'; // not even a worker's start fits
        const summary = await importInto(db, exponents, { parsers: 2 });
        assert.equal(summary.lines, 8000);
        await assertTotalsEqual(db, referenceTotals(plain.file));
      });

      it('starts again without the bound, early, when a parser holds many exact sums on its heap', async () => {
        // 16 decimals in every quantity (Partner Center writes up to 22): each group's sums are
        // exact objects on the heap, past 4,096 groups after the first batches.
        const { plain: gen, rewritten: file } = withQuantities(
          'sixteen-places.csv',
          6000,
          25,
          (q) => `${q.padEnd(q.indexOf('.') + 16, '0')}7`,
        );
        const run = async (name: string, source: string) => {
          const seen: number[] = [];
          const summary = await importInto(await testDatabase(backend, dir, name), source, {
            parsers: 1,
            onProgress: (p) => seen.push(p.lines),
          });
          return { summary, restarted: seen.some((lines, i) => i > 0 && lines <= seen[i - 1]!) };
        };
        const slow = await run('heap-restart', file);
        assert.equal(slow.summary.lines, 6000);
        assert.ok(slow.restarted, 'the progress started again from the first line');
        const db = await testDatabase(backend, dir, 'heap-restart');
        await assertTotalsEqual(db, referenceTotals(file));
        assert.equal((await run('heap-plain', gen.file)).restarted, false, 'a file of fast sums is parsed once');
      });

      it('refuses a bound that is not a whole number of MB, naming it', async () => {
        const db = await testDatabase(backend, dir, 'heap-refused');
        process.env.PARTNER_USAGE_PARSER_HEAP_MB = '48 MB';
        const { file } = generate(dir, 'any.csv', { rows: 10, seed: 24 });
        await assert.rejects(importInto(db, file), /PARTNER_USAGE_PARSER_HEAP_MB must be a whole number of MB/);
      });
    });
  }

  describe(`${backend}: aggregate tables of more rows than one write`, () => {
    it('stores every row of each, exactly (written in chunks as they are made)', async () => {
      const db = await testDatabase(backend, dir, 'many-aggregates');
      // One day: a resource's few meters, thousands of resources and of (subscription, meter).
      const gen = generate(dir, 'many-aggregates.csv', {
        rows: 9000,
        customers: 900,
        meters: 20,
        days: 1,
        period: PERIOD,
        seed: 19,
      });
      await importInto(db, gen.file);
      const [header, ...records] = readRecords(gen.file);
      const uri = header!.indexOf('ResourceURI');
      const resources = new Set(records.map((r) => r[uri]!.toLowerCase())).size;
      assert.ok(resources > 4096, `${resources} resources: more than one write of resource_usage`);
      const [stored] = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM resource_usage');
      assert.equal(Number(stored!.n), resources);
      const reference = referenceTotals(gen.file);
      assert.ok(reference.meters.size > 4096, `meter_usage has ${reference.meters.size} rows: more than one write`);
      await assertTotalsEqual(db, reference);
      // Imported again: every row of every write the same, its lastModified kept.
      const rows = () => db.query('SELECT * FROM resource_usage ORDER BY subscription_key, resource_key');
      const before = await rows();
      assert.equal((await importInto(db, gen.file)).replaced, 9000);
      assert.deepEqual(await rows(), before);
      await assertTotalsEqual(db, reference);
    });
  });

  describe(`${backend}: newer downloads of the same period`, () => {
    it('replace the lines they repeat instead of adding to them', async () => {
      const db = await testDatabase(backend, dir, 'snapshots');
      // The same 1,000 resource × meter pairs a day: the later file repeats the early one's 10 days.
      const flags = { customers: 40, meters: 60, period: PERIOD, seed: 11 };
      const early = generate(dir, 'early.csv', { ...flags, rows: 10000, days: 10 });
      const later = generate(dir, 'later.csv', { ...flags, rows: 20000, days: 20 });
      await importInto(db, early.file);
      const summary = await importInto(db, later.file);
      assert.equal(summary.replaced, 10000);
      await assertTotalsEqual(db, referenceTotals(later.file));
    });

    it('add a new day of a second file to the days already stored, replacing only the lines it repeats', async () => {
      const db = await testDatabase(backend, dir, 'new-day');
      const month = generate(dir, 'new-day-all.csv', { rows: 3000, customers: 12, days: 4, period: PERIOD, seed: 14 });
      const [header, ...lines] = readRecords(month.file);
      const day = header!.indexOf('UsageDate');
      const lastDay = lines
        .map((l) => l[day]!)
        .sort()
        .at(-1)!;
      const earlier = lines.filter((l) => l[day] !== lastDay);
      const newDay = lines.filter((l) => l[day] === lastDay);
      assert.ok(earlier.length > 0 && newDay.length > 0);
      const first = path.join(dir, 'new-day-first.csv');
      const second = path.join(dir, 'new-day-second.csv');
      writeRecords(first, [header!, ...earlier]);
      // The second file: the new day, and one line of an earlier day again (the same values).
      writeRecords(second, [header!, ...newDay, earlier[0]!]);
      await importInto(db, first);
      const summary = await importInto(db, second);
      assert.equal(summary.replaced, 1);
      assert.equal(summary.lines, newDay.length + 1);
      await assertTotalsEqual(db, referenceTotals(month.file));
      await importInto(db, second);
      await assertTotalsEqual(db, referenceTotals(month.file));
    });

    it('take revised values for the same line', async () => {
      const db = await testDatabase(backend, dir, 'revised');
      const original = generate(dir, 'original.csv', { rows: 3000, customers: 10, period: PERIOD, seed: 12 });
      // The re-issued file: same lines, every tenth one with a revised BillingPreTaxTotal.
      const revised = path.join(dir, 'revised.csv');
      const records = readRecords(original.file);
      const column = records[0]!.indexOf('BillingPreTaxTotal');
      for (let i = 1; i < records.length; i += 10) records[i]![column] = '1.000000000001';
      writeRecords(revised, records);
      await importInto(db, original.file);
      await importInto(db, revised);
      await assertTotalsEqual(db, referenceTotals(revised));
    });

    it('count one customer once when a file spells its GUIDs in two cases', async () => {
      const db = await testDatabase(backend, dir, 'spellings');
      const file = path.join(dir, 'spellings.csv');
      const customer = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
      const line = {
        PartnerId: '0f1e2d3c-4b5a-4697-8877-665544332211',
        SubscriptionId: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e',
        UsageDate: `${PERIOD}-03T00:00:00Z`,
        MeterId: 'f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f',
        BillingCurrency: 'EUR',
        ResourceURI: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/one',
      };
      writeDailyRated(file, [
        { ...line, CustomerId: customer, BillingPreTaxTotal: '1.5', PricingPreTaxTotal: '1.75' },
        { ...line, CustomerId: customer.toUpperCase(), BillingPreTaxTotal: '2.25', PricingPreTaxTotal: '2.5' },
      ]);
      await importInto(db, file);
      const rows = await db.query<{ tenant_id: string; billing_total: string }>(
        'SELECT c.tenant_id, u.billing_total FROM customers c JOIN customer_usage u ON u.customer_key = c.customer_key',
      );
      assert.deepEqual(
        rows.map((r) => [r.tenant_id, String(r.billing_total)]),
        [[customer, '3.75']],
      );
    });

    it('keep one resource URI under two customers apart', async () => {
      const db = await testDatabase(backend, dir, 'shared-uri');
      const file = path.join(dir, 'shared-uri.csv');
      const uri = '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites/same';
      const line = (n: number, total: string) => ({
        PartnerId: '0f1e2d3c-4b5a-4697-8877-665544332211',
        CustomerId: `${n}1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d`,
        SubscriptionId: `${n}2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e`,
        EntitlementId: `${n}3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f`,
        UsageDate: `${PERIOD}-03T00:00:00Z`,
        MeterId: 'f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f',
        BillingCurrency: 'USD',
        BillingPreTaxTotal: total,
        PricingPreTaxTotal: total,
        ResourceURI: uri,
      });
      writeDailyRated(file, [line(1, '1.25'), line(2, '10'), line(1, '2.5'), line(2, '20'), line(1, '4')]);
      await importInto(db, file);
      const rows = await db.query<{ tenant_id: string; billing_total: string }>(
        `SELECT c.tenant_id, u.billing_total FROM customers c JOIN customer_usage u ON u.customer_key = c.customer_key
         ORDER BY c.tenant_id`,
      );
      assert.deepEqual(
        rows.map((r) => [r.tenant_id.slice(0, 1), String(r.billing_total)]),
        [
          ['1', '7.75'],
          ['2', '30'],
        ],
      );
      const resources = await db.query<{ n: number }>('SELECT count(*) AS n FROM resources');
      assert.equal(Number(resources[0]!.n), 2);
    });

    it('store names with backslashes, tabs and newlines exactly', async () => {
      const db = await testDatabase(backend, dir, 'escapes');
      const file = path.join(dir, 'escapes.csv');
      const name = 'Back\\slash\tTab\nNew line \\N "quoted"';
      writeDailyRated(file, [
        {
          PartnerId: '0f1e2d3c-4b5a-4697-8877-665544332211',
          CustomerId: 'c1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
          CustomerName: name,
          SubscriptionId: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e',
          UsageDate: `${PERIOD}-03T00:00:00Z`,
          MeterId: 'f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f',
          MeterName: name,
          BillingCurrency: 'USD',
          BillingPreTaxTotal: '1',
          PricingPreTaxTotal: '1',
          ResourceURI: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/two',
          Tags: name,
        },
      ]);
      await importInto(db, file);
      const [row] = await db.query<{ customer: string; meter: string; tags: string }>(
        'SELECT c.name AS customer, m.name AS meter, r.tags FROM customers c, meters m, resources r',
      );
      assert.deepEqual(row, { customer: name, meter: name, tags: name });
    });

    it('keep two identical lines of one file as two lines', async () => {
      const db = await testDatabase(backend, dir, 'twins');
      const base = generate(dir, 'twins-base.csv', { rows: 200, customers: 3, period: PERIOD, seed: 13 });
      const records = readRecords(base.file);
      const file = path.join(dir, 'twins.csv');
      writeRecords(file, [...records, records[5]!]);
      await importInto(db, file);
      await assertTotalsEqual(db, referenceTotals(file));
      await importInto(db, file);
      await assertTotalsEqual(db, referenceTotals(file));
    });
  });

  describe(`${backend}: identifiers in any spelling`, () => {
    const ID_COLUMNS = ['PartnerId', 'CustomerId', 'SubscriptionId', 'EntitlementId', 'MeterId', 'ResourceURI'];

    it('counts nothing twice when a file comes again with every id upper-cased and padded', async () => {
      const db = await testDatabase(backend, dir, 'respelled');
      const gen = generate(dir, 'respell.csv', { rows: 3000, customers: 8, period: PERIOD, seed: 71 });
      const records = readRecords(gen.file);
      const header = records[0]!;
      const variant = path.join(dir, 'respelled.csv');
      writeRecords(variant, [
        header,
        ...records
          .slice(1)
          .map((r, i) =>
            r.map((v, k) =>
              ID_COLUMNS.includes(header[k]!) ? (i % 2 ? v.toUpperCase() : ` ${v.toUpperCase()}\t`) : v,
            ),
          ),
      ]);
      await importInto(db, gen.file);
      const counts = async () =>
        Promise.all(
          ['partners', 'customers', 'subscriptions', 'entitlements', 'meters', 'resources'].map(
            async (t) => (await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n,
          ),
        );
      const before = await counts();
      const summary = await importInto(db, variant);
      assert.equal(summary.replaced, 3000, 'every line replaced itself');
      await assertTotalsEqual(db, referenceTotals(gen.file));
      assert.deepEqual(await counts(), before, 'no dimension row twice');
    });

    it('refuses an id padded with a Latin-1 no-break space (0xA0) instead of storing it as a second spelling', async () => {
      const db = await testDatabase(backend, dir, 'nbsp-id');
      const gen = generate(dir, 'nbsp-base.csv', { rows: 200, customers: 2, period: PERIOD, seed: 76 });
      const records = readRecords(gen.file);
      const header = records[0]!;
      const customer = records[5]![header.indexOf('CustomerId')]!;
      records[5]![header.indexOf('CustomerId')] = `\u0000NBSP\u0000${customer}`;
      const file = path.join(dir, 'nbsp.csv');
      const [before, after] = (Papa.unparse(records, { newline: '\n' }) + '\n').split('\u0000NBSP\u0000') as [
        string,
        string,
      ];
      fs.writeFileSync(file, Buffer.concat([Buffer.from(before), Buffer.from([0xa0]), Buffer.from(after)]));
      await assert.rejects(importInto(db, file), (e: unknown) => {
        assert.ok(e instanceof ImportError, String(e));
        assert.equal(e.line, 6);
        assert.equal(e.column, 'CustomerId');
        assert.match(e.message, /is not a GUID/);
        return true;
      });
    });

    it("refuses a known customer's line in another currency in a later import, however its id is spelled", async () => {
      const db = await testDatabase(backend, dir, 'later-currency');
      const gen = generate(dir, 'currency-base.csv', { rows: 500, customers: 3, period: PERIOD, seed: 72 });
      await importInto(db, gen.file);
      const checksum = await db.checksum();
      const records = readRecords(gen.file);
      const header = records[0]!;
      const line = records[1]!.slice();
      const currency = header.indexOf('BillingCurrency');
      line[header.indexOf('CustomerId')] = line[header.indexOf('CustomerId')]!.toUpperCase();
      const stored = line[currency]!;
      line[currency] = stored === 'JPY' ? 'USD' : 'JPY';
      const file = path.join(dir, 'later-currency.csv');
      writeRecords(file, [header, line]);
      await assert.rejects(importInto(db, file), (e: unknown) => {
        assert.ok(e instanceof ImportError);
        assert.equal(e.line, 2);
        assert.equal(e.column, 'BillingCurrency');
        assert.match(
          e.message,
          new RegExp(`differs from the customer's billing currency ${stored}, stored by an earlier import`),
        );
        return true;
      });
      assert.equal(await db.checksum(), checksum);
    });
  });

  describe(`${backend}: split files`, () => {
    it("refuses another partner's line in the second half, naming its line", async () => {
      const db = await testDatabase(backend, dir, 'split-partner');
      const gen = generate(dir, 'split-partner.csv', { rows: 3000, customers: 6, period: PERIOD, seed: 73 });
      const records = readRecords(gen.file);
      const header = records[0]!;
      const stranger = records.at(-1)!.slice();
      stranger[header.indexOf('PartnerId')] = '7a7a7a7a-7a7a-4a7a-8a7a-7a7a7a7a7a7a';
      const file = path.join(dir, 'split-partner-mixed.csv');
      writeRecords(file, [...records, stranger]);
      const lineOfStranger = fs.readFileSync(file, 'utf8').trimEnd().split('\n').length;
      await assert.rejects(importInto(db, file, { parsers: 2 }), (e: unknown) => {
        assert.ok(e instanceof ImportError, String(e));
        assert.equal(e.line, lineOfStranger);
        assert.equal(e.column, 'PartnerId');
        assert.match(e.message, /is not the file's partner/);
        return true;
      });
      assert.equal((await db.query('SELECT * FROM partners')).length, 0);
    });

    it('numbers a stray quote in the second half by its line in the file', async () => {
      const db = await testDatabase(backend, dir, 'split-quote');
      const gen = generate(dir, 'split-quote.csv', { rows: 3000, customers: 6, period: PERIOD, seed: 74 });
      const lines = fs.readFileSync(gen.file, 'utf8').split('\n');
      const at = lines.length - 10; // a line near the end: in the second part
      lines[at] = lines[at]!.replace(/,/, ',"x"y,');
      const file = path.join(dir, 'split-quote-bad.csv');
      fs.writeFileSync(file, lines.join('\n'));
      await assert.rejects(importInto(db, file, { parsers: 2 }), (e: unknown) => {
        assert.ok(e instanceof ImportError, String(e));
        assert.equal(e.line, at + 1);
        assert.match(e.message, /unexpected character after a closing quote/);
        return true;
      });
    });

    it('imports a file whose middle falls inside a quoted field of lines that look like records', async () => {
      const db = await testDatabase(backend, dir, 'split-inside');
      const gen = generate(dir, 'split-inside.csv', { rows: 400, customers: 4, period: PERIOD, seed: 75 });
      const records = readRecords(gen.file);
      const header = records[0]!;
      // 200 lines of 55 fields each, inside one quoted AdditionalInfo, right at the file's middle.
      const decoy = Array.from({ length: 200 }, (_, i) => `${i}${','.repeat(header.length - 1)}`).join('\n');
      const middle = Math.floor(records.length / 2);
      records[middle]![header.indexOf('AdditionalInfo')] = decoy;
      const file = path.join(dir, 'split-inside-field.csv');
      writeRecords(file, records);
      const summary = await importInto(db, file, { parsers: 2 });
      assert.equal(summary.lines, 400);
      await assertTotalsEqual(db, referenceTotals(file));
    });
  });

  describe(`${backend}: file forms`, () => {
    const flags = { rows: 2000, customers: 12, meters: 30, period: PERIOD, seed: 21 };
    let plain: ReferenceTotals;
    before(() => {
      plain = referenceTotals(generate(dir, 'plain.csv', flags).file);
    });

    for (const [name, extra] of [
      ['a byte-order mark', { bom: true }],
      ['CRLF line endings', { crlf: true }],
      ['shuffled columns', { 'shuffle-columns': true }],
      ['unknown extra columns', { 'extra-columns': true }],
      ['gzip', { gzip: true }],
    ] as const) {
      it(`reads a file with ${name} to the same totals`, async () => {
        const file = `form-${name.replaceAll(' ', '-')}.csv${'gzip' in extra ? '.gz' : ''}`;
        const gen = generate(dir, file, { ...flags, ...extra });
        const db = await testDatabase(backend, dir, file.replace(/\W/g, '_'));
        const summary = await importInto(db, gen.file, { parsers: 2 });
        assert.equal(summary.lines, 2000);
        // Shuffling the columns draws from the generator's random stream, so that file differs.
        await assertTotalsEqual(db, 'shuffle-columns' in extra ? referenceTotals(gen.file) : plain);
      });
    }

    it('keeps commas, doubled quotes and newlines inside quoted fields', async () => {
      const db = await testDatabase(backend, dir, 'quoting');
      const gen = generate(dir, 'quoting.csv', flags);
      await importInto(db, gen.file);
      const names = (await db.query<{ name: string }>('SELECT name FROM customers')).map((r) => r.name);
      const expected = Object.values(gen.expect.customers).map((c) => c.name);
      assert.deepEqual(names.sort(), expected.sort());
      assert.ok(
        names.some((n) => n.includes(',') || n.includes('"')),
        'the fixture has names that need quoting',
      );
      const tags = await db.query<{ tags: string }>("SELECT tags FROM resources WHERE tags LIKE '%\"%'");
      assert.ok(tags.length > 0, 'Tags JSON kept as text');
    });
  });

  describe(`${backend}: bad input`, () => {
    const gen = () => generate(dir, 'good.csv', { rows: 4000, customers: 8, period: PERIOD, seed: 31 });
    let good: Generated;
    let db: TestDatabase;
    let checksum: string;

    before(async () => {
      good = gen();
      db = await testDatabase(backend, dir, 'bad_input');
      await importInto(db, good.file);
      checksum = await db.checksum();
    });

    /** Rewrites one field of the n-th data line; returns the physical line it starts on. */
    function corrupt(name: string, column: string, value: string, nth = 1000): { file: string; line: number } {
      const records = readRecords(good.file);
      records[nth]![records[0]!.indexOf(column)] = value;
      const file = path.join(dir, name);
      writeRecords(file, records);
      return { file, line: Papa.unparse(records.slice(0, nth), { newline: '\n' }).split('\n').length + 1 };
    }

    async function assertRefused(file: string, pattern: RegExp, options: ImportOptions = {}): Promise<ImportError> {
      const error = await importInto(db, file, options).then(
        () => assert.fail('the import should have failed'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ImportError, String(error));
      assert.match(error.message, pattern);
      assert.equal(await db.checksum(), checksum, 'the database is exactly as it was');
      return error;
    }

    for (const [column, value, reason] of [
      ['Quantity', 'twelve', /column Quantity: is not a decimal number \(value: "twelve"\)/],
      ['BillingPreTaxTotal', '1.2.3', /column BillingPreTaxTotal: is not a decimal number/],
      ['UsageDate', '2026-10-32T00:00:00Z', /column UsageDate: is not a date/],
      ['CustomerId', 'not-a-guid', /column CustomerId: is not a GUID \(value: "not-a-guid"\)/],
      ['BillingCurrency', 'EURO', /column BillingCurrency: is not a three-letter currency code/],
    ] as const) {
      it(`refuses a bad ${column}, naming file, line, column and value, and changes nothing`, async () => {
        const { file, line } = corrupt(`bad-${column}.csv`, column, value);
        const error = await assertRefused(file, reason);
        assert.equal(error.line, line);
        assert.equal(error.column, column);
        assert.ok(error.message.startsWith(`${file}:${line}: `), error.message);
      });
    }

    it('names the right line in the second half of a file parsed by two workers', async () => {
      const { file, line } = corrupt('bad-late.csv', 'Quantity', 'x', 1900);
      const error = await assertRefused(file, /Quantity/, { parsers: 2 });
      assert.equal(error.line, line);
    });

    it('refuses a line with the wrong number of fields', async () => {
      const records = readRecords(good.file);
      records.splice(50, 0, ['a', 'b', 'c']);
      const file = path.join(dir, 'bad-width.csv');
      writeRecords(file, records);
      const error = await assertRefused(file, /has 3 fields; the header has 55/);
      assert.equal(error.line, Papa.unparse(records.slice(0, 50), { newline: '\n' }).split('\n').length + 1);
    });

    it('refuses a quoted field that is never closed', async () => {
      const file = path.join(dir, 'bad-quote.csv');
      fs.writeFileSync(file, fs.readFileSync(good.file, 'utf8') + '"never closed,');
      await assertRefused(file, /quoted field is not closed/);
    });

    it('refuses a header without the required columns before touching the database', async () => {
      const file = path.join(dir, 'bad-header.csv');
      const [header, ...rest] = fs.readFileSync(good.file, 'utf8').split('\n');
      fs.writeFileSync(
        file,
        [header!.replace('BillingPreTaxTotal', 'Billing').replace('MeterId', 'Meter'), ...rest].join('\n'),
      );
      const error = await assertRefused(file, /lacks required daily rated usage columns: MeterId, BillingPreTaxTotal/);
      assert.equal(error.line, 1);
      const store = await db.open();
      assert.equal((await store.importBatches()).length, 1);
      await store.close();
    });

    it('refuses an empty file', async () => {
      const file = path.join(dir, 'empty.csv');
      fs.writeFileSync(file, '');
      await assertRefused(file, /the file is empty/);
    });

    it('with --skip-invalid, imports the good lines and writes the rejected ones with reasons', async () => {
      const target = await testDatabase(backend, dir, 'skip');
      const { file, line } = corrupt('skip.csv', 'Quantity', 'lots');
      const summary = await importInto(target, file, { skipInvalid: true, parsers: 2 });
      assert.equal(summary.lines, 3999);
      assert.equal(summary.rejected, 1);
      const rejects = fs.readFileSync(summary.rejectsFile!, 'utf8').trimEnd().split('\n');
      assert.equal(rejects[0], 'line,column,reason,value,record');
      assert.ok(rejects[1]!.startsWith(`${line},Quantity,is not a decimal number,lots,`), rejects[1]);
      const withoutBadLine = path.join(dir, 'skip-reference.csv');
      const records = readRecords(file);
      const quantity = records[0]!.indexOf('Quantity');
      writeRecords(
        withoutBadLine,
        records.filter((r) => r[quantity] !== 'lots'),
      );
      await assertTotalsEqual(target, referenceTotals(withoutBadLine));
    });

    it('with --skip-invalid, a file whose every line is refused imports none and says so (no crash)', async () => {
      const target = await testDatabase(backend, dir, 'all-refused');
      const file = path.join(dir, 'all-refused.csv');
      const records = readRecords(good.file).slice(0, 3);
      const quantity = records[0]!.indexOf('Quantity');
      writeRecords(
        file,
        records.map((r, i) => (i === 0 ? r : r.map((v, k) => (k === quantity ? 'lots' : v)))),
      );
      const summary = await importInto(target, file, { skipInvalid: true });
      assert.deepEqual([summary.lines, summary.rejected], [0, 2]);
      const [blocks] = await target.query<{ n: number }>('SELECT count(*) AS n FROM line_blocks');
      assert.equal(Number(blocks!.n), 0);
    });
  });
}
