import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { importFile } from '../src/ingest/importer.js';
import { writeExport, type ExportRequest } from '../src/export/write-export.js';
import { decimalDigits, parquetSink } from '../src/export/row-sinks.js';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { PartnerCenter } from '../src/sdk/partner-center.js';
import { BadRequestError } from '../src/sdk/errors.js';
import { openStore } from '../src/storage/open-store.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { bundled } from './helpers/bundled.js';
import { generate, REPO, tempDir, type Expected } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { scaled } from './helpers/reference-totals.js';
import { SERVICE_CATEGORIES } from './helpers/focus.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

const PERIOD = '2026-10';
/** FOCUS 1.2's mandatory columns (anchors.md §4.2) and the type each has in DuckDB when read from our Parquet. */
const MANDATORY: Record<string, RegExp> = {
  BilledCost: /^DECIMAL/,
  EffectiveCost: /^DECIMAL/,
  ListCost: /^DECIMAL/,
  ContractedCost: /^DECIMAL/,
  BillingCurrency: /^VARCHAR$/,
  BillingAccountId: /^VARCHAR$/,
  BillingAccountName: /^VARCHAR$/,
  BillingPeriodStart: /^TIMESTAMP WITH TIME ZONE$/,
  BillingPeriodEnd: /^TIMESTAMP WITH TIME ZONE$/,
  ChargePeriodStart: /^TIMESTAMP WITH TIME ZONE$/,
  ChargePeriodEnd: /^TIMESTAMP WITH TIME ZONE$/,
  ChargeCategory: /^VARCHAR$/,
  ChargeClass: /^VARCHAR$/,
  ChargeDescription: /^VARCHAR$/,
  PricingQuantity: /^DECIMAL/,
  PricingUnit: /^VARCHAR$/,
  ProviderName: /^VARCHAR$/,
  PublisherName: /^VARCHAR$/,
  InvoiceIssuerName: /^VARCHAR$/,
  ServiceCategory: /^VARCHAR$/,
  ServiceName: /^VARCHAR$/,
};
/** FOCUS's non-null mandatory columns. */
const NOT_NULL = [
  'BilledCost',
  'EffectiveCost',
  'ListCost',
  'ContractedCost',
  'BillingCurrency',
  'BillingAccountId',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ChargeCategory',
  'ProviderName',
  'PublisherName',
  'InvoiceIssuerName',
  'ServiceCategory',
  'ServiceName',
];

let duck: DuckDBConnection;
const rowsOf = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjectsJS();
const source = (file: string) =>
  file.endsWith('.parquet') ? `read_parquet('${file}')` : `read_csv('${file}', header = true, all_varchar = true)`;

/** Sum of a column per currency, as exact scaled integers (DuckDB sums DECIMAL(38, 12) exactly). */
async function sums(file: string, column: string, currency = 'BillingCurrency'): Promise<Map<string, bigint>> {
  const rows = await rowsOf(
    `SELECT ${currency} AS k, CAST(sum(CAST(${column} AS DECIMAL(38, 12))) AS VARCHAR) AS s FROM ${source(file)} GROUP BY 1`,
  );
  return new Map(rows.map((r) => [String(r.k), scaled(String(r.s))]));
}

function expectedSums(expect: Expected, field: 'billing' | 'usd'): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const c of Object.values(expect.customers)) out.set(c.currency, (out.get(c.currency) ?? 0n) + scaled(c[field]));
  return out;
}

before(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});

describe("a Parquet decimal column's size", () => {
  it('counts the whole digits a value needs (not its sign or leading zeros) and every fractional one', () => {
    const cases: [string, number, number][] = [
      ['0', 0, 0],
      ['-0.50', 0, 2],
      ['007', 1, 0],
      ['-123.456', 3, 3],
      ['1E-3', 0, 3],
      ['1.5e2', 3, 0],
      ['0.000', 0, 3],
      ['100', 3, 0],
    ];
    for (const [text, whole, fraction] of cases) assert.deepEqual(decimalDigits(text), { whole, fraction }, text);
  });
});

describe('the Parquet encoder thread', () => {
  const dir = tempDir();
  const column = (name: string, type: 'decimal' | 'string' | 'timestamp') => ({ name, type, required: false });
  const plan = {
    columns: [column('Amount', 'decimal'), column('Label', 'string'), column('Day', 'timestamp')],
    decimals: [{ precision: 24, scale: 4 }, undefined, undefined],
  };
  // Every form a stored decimal may take, and values that are each different (the sink stops
  // looking those up after its first rows): 40,000 rows, three row groups.
  const FORMS: [string, bigint][] = [
    ['12', 120000n],
    ['-0.5', -5000n],
    ['1.5e+1', 150000n],
    ['2E-4', 2n],
    ['+3', 30000n],
    ['.25', 2500n],
    ['-12345678901234567890.1234', -123456789012345678901234n],
  ];
  const amount = (i: number): [string, bigint] | null => {
    if (i % 7 === 3) return null;
    if (i < FORMS.length * 10) return FORMS[i % FORMS.length]!;
    const places = String(i % 10_000).padStart(4, '0');
    return [`${i}.${places}`, BigInt(i) * 10_000n + BigInt(i % 10_000)];
  };

  const fourPlaces = (n: bigint) => {
    const digits = (n < 0n ? -n : n).toString().padStart(5, '0');
    return `${n < 0n ? '-' : ''}${digits.slice(0, -4)}.${digits.slice(-4)}`;
  };

  it('writes every row group in order, every decimal exact, nulls as nulls', async () => {
    const file = path.join(dir, 'encoded.parquet');
    const sink = parquetSink(fs.createWriteStream(file), plan);
    let sum = 0n;
    for (let i = 0; i < 40_000; i++) {
      const a = amount(i);
      if (a) sum += a[1];
      await sink.write([a?.[0] ?? null, `label ${i % 5}`, '2026-10-02T00:00:00Z']);
    }
    await sink.end();
    const [totals] = await rowsOf(
      `SELECT count(*) AS n, count(Amount) AS amounts, CAST(sum(Amount) AS VARCHAR) AS total,
        count(DISTINCT Label) AS labels, CAST(min(Day) AS VARCHAR) AS first_at FROM read_parquet('${file}')`,
    );
    assert.equal(Number(totals!.n), 40_000, 'every row');
    assert.equal(Number(totals!.amounts), 40_000 - Math.floor((40_000 + 3) / 7), 'nulls kept as nulls');
    assert.equal(scaled(String(totals!.total)), scaled(fourPlaces(sum)), 'the exact sum');
    assert.equal(Number(totals!.labels), 5, 'the repeated labels');
    assert.equal(String(totals!.first_at), '2026-10-02 00:00:00+00', 'the timestamp');
    // Rows in their order, across the row groups: the 100 first and some of each group.
    const picked = [...Array.from({ length: 100 }, (_, i) => i), 16_383, 16_384, 16_385, 32_768, 39_999];
    const rows = await rowsOf(
      `SELECT i, CAST(Amount AS VARCHAR) AS a FROM (SELECT row_number() OVER () - 1 AS i, Amount FROM read_parquet('${file}')) WHERE i IN (${picked.join(',')}) ORDER BY i`,
    );
    for (const r of rows) {
      const a = amount(Number(r.i));
      assert.equal(r.a === null ? null : scaled(String(r.a)), a ? scaled(fourPlaces(a[1])) : null, `row ${r.i}`);
    }
    // Each row group's statistics (what readers skip row groups by) are its values' bounds.
    const stats = await rowsOf(
      `SELECT row_group_id AS g, path_in_schema AS c, stats_min_value AS lo, stats_max_value AS hi, stats_null_count AS nulls
        FROM parquet_metadata('${file}') ORDER BY g, c`,
    );
    const bounds = await rowsOf(
      `SELECT file_row_number // 16384 AS g, CAST(min(Amount) AS VARCHAR) AS amount_lo, CAST(max(Amount) AS VARCHAR) AS amount_hi,
        count(*) - count(Amount) AS amount_nulls, min(Label) AS label_lo, max(Label) AS label_hi
        FROM read_parquet('${file}', file_row_number = true) GROUP BY 1 ORDER BY 1`,
    );
    assert.equal(bounds.length, 3, 'three row groups');
    for (const b of bounds) {
      const of = (c: string) => stats.find((s) => s.g === b.g && s.c === c)!;
      assert.deepEqual(
        [of('Amount').lo, of('Amount').hi, Number(of('Amount').nulls), of('Label').lo, of('Label').hi],
        [b.amount_lo, b.amount_hi, Number(b.amount_nulls), b.label_lo, b.label_hi],
        `row group ${b.g}'s statistics`,
      );
    }
  });

  it("fails the export with the encoder's reason when a value does not fit its column", async () => {
    // Too many digits before the point; more places than the scale, plainly and as an exponent.
    for (const [value, scale] of [
      ['99999999999999999999', 0],
      ['1.234', 2],
      ['1E-5', 4],
    ] as const) {
      const sink = parquetSink(fs.createWriteStream(path.join(dir, 'too-wide.parquet')), {
        columns: [column('Amount', 'decimal')],
        decimals: [{ precision: 18, scale }],
      });
      await sink.write([value]);
      await assert.rejects(
        sink.end(),
        new RegExp(`^Error: Amount: ${value.replace('.', '\\.')} does not fit DECIMAL\\(18, ${scale}\\)$`),
      );
    }
  });

  it('stops the encoder thread when an export is given up: the process ends by itself', () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'test/helpers/abandoned-parquet.ts'), path.join(dir, 'abandoned.parquet')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(child.signal, null, `the process did not end by itself: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'aborted\n');
  });
});

describe("a reconciliation Parquet of daily-rated and legacy lines in one file (the export route's)", () => {
  it("sizes the daily-rated layout's decimals for the legacy lines written in it", async () => {
    const dir = tempDir();
    const partner = '5d7c1a2e-3b4f-4e6a-9c8d-1f2e3a4b5c6d';
    const daily = generate(dir, 'daily.csv', { rows: 400, customers: 3, period: PERIOD, partner, seed: 3 });
    const legacy = generate(dir, 'legacy.csv', {
      rows: 200,
      customers: 2,
      period: PERIOD,
      partner,
      seed: 4,
      format: 'legacy',
    });
    // One legacy charge wider than every daily-rated one: 12 digits before the point.
    const lines = fs.readFileSync(legacy.file, 'utf8').split('\n');
    const header = lines[0]!.split(',');
    const at = header.indexOf('PretaxCharges');
    // The record's fields (quoted ones whole); the pattern also matches an empty tail, left out.
    const cells = lines[1]!
      .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
      .slice(0, header.length)
      .map((c) => c.replace(/,$/, ''));
    cells[at] = '987654321098.13';
    lines[1] = cells.join(',');
    fs.writeFileSync(legacy.file, lines.join('\n'));
    const store = await openStore(path.join(dir, 'mixed.db'), alertEngine);
    try {
      await importFile(store, daily.file);
      await importFile(store, legacy.file);
      const file = path.join(dir, 'mixed.parquet');
      const request: ExportRequest = {
        partnerTenantId: partner,
        periods: [PERIOD],
        format: 'reconciliation',
        encoding: 'parquet',
      };
      await writeExport(store, request, fs.createWriteStream(file));
      const [found] = await rowsOf(
        `SELECT count(*) AS n, count(*) FILTER (WHERE CAST(BillingPreTaxTotal AS VARCHAR) LIKE '987654321098.13%') AS wide FROM read_parquet('${file}')`,
      );
      assert.equal(Number(found!.n), 600, 'every line, in one file');
      assert.equal(Number(found!.wide), 1, "the legacy line's charge, exactly");
    } finally {
      await store.close();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`exports on ${backend}`, () => {
    const dir = tempDir();
    let server: TestServer;
    let expect: Expected;
    let token: string;
    const request = (r: Partial<ExportRequest>): ExportRequest => ({
      partnerTenantId: expect.partnerId,
      periods: [PERIOD],
      format: 'focus',
      encoding: 'parquet',
      ...r,
    });
    const exportTo = async (file: string, r: Partial<ExportRequest>) =>
      writeExport(server.store, request(r), fs.createWriteStream(path.join(dir, file)));

    before(async () => {
      let file: string;
      ({ file, expect } = generate(dir, 'x.csv', { rows: 1500, customers: 8, period: PERIOD, seed: 19 }));
      server = await startTestServer(await testDatabase(backend, dir, 'x'));
      await importFile(server.store, file);
      token = await server.token({ tenant: expect.partnerId, user: 'finops@partner.example' });
    });
    after(() => server.close());

    it('writes FOCUS 1.2 Parquet that DuckDB reads with every mandatory column, its type, and exact BilledCost', async () => {
      const file = path.join(dir, 'focus.parquet');
      const { rows } = await exportTo('focus.parquet', {});
      assert.equal(rows, expect.rows);
      const columns = new Map(
        (await rowsOf(`DESCRIBE SELECT * FROM ${source(file)}`)).map((r) => [
          String(r.column_name),
          String(r.column_type),
        ]),
      );
      for (const [name, type] of Object.entries(MANDATORY)) assert.match(columns.get(name) ?? 'missing', type, name);
      assert.ok([...columns.keys()].filter((c) => c.startsWith('x_')).length >= 10, 'the x_ extensions');
      const nulls = await rowsOf(
        `SELECT ${NOT_NULL.map((c) => `count(*) FILTER (WHERE ${c} IS NULL) AS "${c}"`).join(', ')} FROM ${source(file)}`,
      );
      assert.ok(
        Object.values(nulls[0]!).every((n) => Number(n) === 0),
        JSON.stringify(nulls[0], (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
      );
      const categories = await rowsOf(`SELECT DISTINCT ServiceCategory AS c FROM ${source(file)}`);
      assert.ok(categories.every((r) => SERVICE_CATEGORIES.includes(String(r.c))));
      const periods = await rowsOf(
        `SELECT DISTINCT strftime(BillingPeriodStart AT TIME ZONE 'UTC', '%Y-%m-%d') AS s, strftime(BillingPeriodEnd AT TIME ZONE 'UTC', '%Y-%m-%d') AS e FROM ${source(file)}`,
      );
      assert.deepEqual(periods, [{ s: '2026-10-01', e: '2026-11-01' }], 'the billing period, its end exclusive');
      const charge = await rowsOf(
        `SELECT count(*) AS n FROM ${source(file)} WHERE ChargePeriodEnd - ChargePeriodStart <> INTERVAL 1 DAY`,
      );
      assert.equal(Number(charge[0]!.n), 0, 'each line is one usage day');
      assert.deepEqual(await sums(file, 'BilledCost'), expectedSums(expect, 'billing'));
      assert.deepEqual(await sums(file, 'x_BilledCostInUsd'), expectedSums(expect, 'usd'));
      // …which are our aggregates: the customers' stored totals, summed per currency.
      const aggregates = new Map<string, bigint>();
      for (const c of await server.store.customerUsage(expect.partnerId, PERIOD))
        aggregates.set(c.currency, (aggregates.get(c.currency) ?? 0n) + scaled(c.billingTotal));
      assert.deepEqual(await sums(file, 'BilledCost'), aggregates);
    });

    it('writes FOCUS as CSV with the same exact sums, and one customer alone', async () => {
      const file = path.join(dir, 'focus.csv');
      await exportTo('focus.csv', { encoding: 'csv' });
      assert.deepEqual(await sums(file, 'BilledCost'), expectedSums(expect, 'billing'));
      const [customer, totals] = Object.entries(expect.customers)[0]!;
      const one = path.join(dir, 'one.csv');
      await exportTo('one.csv', { encoding: 'csv', customerTenantId: customer });
      const ids = await rowsOf(`SELECT DISTINCT x_CustomerId AS id FROM ${source(one)}`);
      assert.deepEqual(ids, [{ id: customer }]);
      assert.deepEqual(await sums(one, 'BilledCost'), new Map([[totals.currency, scaled(totals.billing)]]));
    });

    it('writes the reconciliation file (CSV and Parquet) that imports back to the same totals', async () => {
      await exportTo('lineitems.csv', { format: 'reconciliation', encoding: 'csv' });
      await exportTo('lineitems.parquet', { format: 'reconciliation', encoding: 'parquet' });
      assert.deepEqual(
        await sums(path.join(dir, 'lineitems.parquet'), 'BillingPreTaxTotal'),
        expectedSums(expect, 'billing'),
      );
      const again = await openStore(path.join(dir, `roundtrip-${backend}.db`), alertEngine);
      try {
        await importFile(again, path.join(dir, 'lineitems.csv'));
        const rows = await again.customerUsage(expect.partnerId, PERIOD);
        assert.deepEqual(
          new Map(rows.map((r) => [r.tenantId, `${scaled(r.billingTotal)}|${scaled(r.usdTotal)}`])),
          new Map(Object.entries(expect.customers).map(([id, c]) => [id, `${scaled(c.billing)}|${scaled(c.usd)}`])),
        );
      } finally {
        await again.close();
      }
    });

    it('reads every line however few owners it may keep in memory', async () => {
      const sums = new Map<string, bigint>();
      let lines = 0;
      for await (const row of server.store.lines.rows(expect.partnerId, PERIOD, { ownerCache: 3 })) {
        const c = row.owner.customer.currency;
        sums.set(c, (sums.get(c) ?? 0n) + scaled(row.billing));
        lines++;
      }
      assert.equal(lines, expect.rows);
      assert.deepEqual(sums, expectedSums(expect, 'billing'));
    });

    it('streams the same from GET /v1/partnerusage/exports/{file}, to its own partner only', async () => {
      const get = (file: string, query = `period=${PERIOD}`, bearer = token) =>
        fetch(`${server.baseUrl}/v1/partnerusage/exports/${file}?${query}`, {
          headers: { authorization: `Bearer ${bearer}` },
        });
      const parquet = await get('focus.parquet');
      assert.equal(parquet.status, 200);
      assert.equal(parquet.headers.get('content-type'), 'application/vnd.apache.parquet');
      assert.match(parquet.headers.get('content-disposition') ?? '', /attachment; filename="focus-2026-10\.parquet"/);
      const downloaded = path.join(dir, 'downloaded.parquet');
      fs.writeFileSync(downloaded, Buffer.from(await parquet.arrayBuffer()));
      assert.deepEqual(await sums(downloaded, 'BilledCost'), expectedSums(expect, 'billing'));

      const csv = await get('lineitems.csv');
      assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
      const lines = (await csv.text()).trimEnd().split('\n');
      assert.match(lines[0]!, /^PartnerId,PartnerName,CustomerId/);

      const other = await server.token({ tenant: '33333333-3333-4333-8333-333333333333', user: 'x@other.example' });
      const theirs = await (await get('focus.csv', `period=${PERIOD}`, other)).text();
      assert.equal(theirs.trimEnd().split('\n').length, 1, 'another partner gets the header alone');

      const bad = await get('focus.xlsx');
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { description: string }).description, /file/);
      const badCustomer = await get('focus.csv', 'customer=nope');
      assert.equal(badCustomer.status, 400);
      const anonymous = await fetch(`${server.baseUrl}/v1/partnerusage/exports/focus.csv`);
      assert.equal(anonymous.status, 401);
    });

    it("downloads the same through the SDK's exportFile (the dashboard's FOCUS button)", async () => {
      const pc = new PartnerCenter({ baseUrl: server.baseUrl, credential: token, maxRetries: 0 });
      const direct = await fetch(`${server.baseUrl}/v1/partnerusage/exports/lineitems.csv?period=${PERIOD}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const viaSdk = await pc.partnerUsage.exportFile('lineitems.csv', { period: PERIOD });
      assert.equal(viaSdk.status, 200);
      assert.equal(await viaSdk.text(), await direct.text());
      const parquet = await pc.partnerUsage.exportFile('focus.parquet', { period: PERIOD });
      const blob = await parquet.blob();
      assert.equal(Buffer.from(await blob.slice(0, 4).arrayBuffer()).toString('latin1'), 'PAR1');
      // An error is read and thrown as the SDK's typed error, with the route's fault body.
      await assert.rejects(pc.partnerUsage.exportFile('focus.csv', { customer: 'nope' }), (e: unknown) => {
        assert.ok(e instanceof BadRequestError);
        assert.match(e.message, /customer/i);
        return true;
      });
    });
  });
}

describe('export from the CLI in bounded memory', () => {
  const dir = tempDir();
  let db: string;
  let expect: Expected;

  before(async () => {
    let file: string;
    ({ file, expect } = generate(dir, 'big.csv', { rows: 60_000, customers: 120, period: PERIOD, seed: 4 }));
    db = (await testDatabase('sqlite', dir, 'big')).location;
    const store = await openStore(db, alertEngine);
    await importFile(store, file);
    await store.close();
  });

  // A process of its own, for its heap limit; the CLI bundled (bundled.ts), so tsx's compiler does not count.
  let bundledCli: string;
  before(async () => {
    bundledCli = await bundled('src/cli/main.ts');
  });
  const cli = (args: string[], heapMB: number) =>
    spawnSync(process.execPath, [`--max-old-space-size=${heapMB}`, bundledCli, ...args], {
      cwd: REPO,
      encoding: 'utf8',
    });

  it('streams 60,000 lines (a FOCUS CSV of over 40 MB, and Parquet) with a 64 MB heap', () => {
    // Holding the rows (73 columns each, as objects) would need several times that heap: the export would die of it.
    for (const [out, bytes] of [
      ['big.csv', 40e6],
      ['big.parquet', 3e6],
    ] as const) {
      const target = path.join(dir, out);
      const result = cli(['export', '--format', 'focus', '--period', PERIOD, '--out', target, '--db', db], 64);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /60,000 FOCUS 1\.2 rows of 2026-10/);
      assert.ok(fs.statSync(target).size > bytes, `${out}: ${fs.statSync(target).size} bytes`);
      assert.equal(fs.existsSync(`${target}.partial`), false);
    }
    assert.equal(expect.rows, 60_000);
  });

  it('refuses an unknown extension, and leaves no partial file when it fails', () => {
    const result = cli(['export', '--format', 'focus', '--out', path.join(dir, 'x.json'), '--db', db], 256);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--out must end in \.csv or \.parquet/);
    const missing = cli(
      ['export', '--format', 'focus', '--out', path.join(dir, 'no', 'such', 'dir.csv'), '--db', db],
      256,
    );
    assert.notEqual(missing.status, 0);
    assert.equal(fs.existsSync(path.join(dir, 'no')), false);
  });
});
