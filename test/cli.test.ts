import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseExact, type JsonDecimal } from '../src/contract/exact-json.js';
import { generate, tempDir, type Generated } from './helpers/fixtures.js';
import { scaled } from './helpers/reference-totals.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { stopPostgres } from './helpers/postgres.js';
import { cli } from './helpers/cli-in-process.js';

after(stopPostgres);

for (const backend of BACKENDS) {
  describe(`${backend}: the partner-usage CLI`, () => {
    const dir = tempDir();
    let db: string;
    let gen: Generated;

    before(async () => {
      db = (await testDatabase(backend, dir, 'cli')).location;
      gen = generate(dir, 'cli.csv', { rows: 5000, customers: 20, period: '2026-09', seed: 41 });
    });

    it('imports a file and prints one summary line', async () => {
      const result = await cli(['import', gen.file, '--db', db]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /cli\.csv: imported 5,000 daily-rated lines \(20 customers, period 2026-09\)/);
    });

    it('prints customers as CustomerMonthlyUsageRecord JSON with exact totals', async () => {
      const result = await cli(['customers', '--period', '2026-09', '--json'], { PARTNER_USAGE_DB: db });
      assert.equal(result.status, 0, result.stderr);
      const records = parseExact(result.stdout) as Record<string, unknown>[];
      assert.equal(records.length, 20);
      for (const r of records) {
        const expected = gen.expect.customers[r.id as string]!;
        assert.equal(scaled((r.totalCost as JsonDecimal).text), scaled(expected.billing));
        assert.equal(scaled((r.usdTotalCost as JsonDecimal).text), scaled(expected.usd));
        assert.equal(r.currencyCode, expected.currency);
        assert.equal(r.isUpgraded, true);
        assert.deepEqual(r.attributes, { objectType: 'CustomerMonthlyUsageRecord' });
        assert.match(r.lastModifiedDate as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
      }
    });

    it('sets a budget and shows percentUsed against it', async () => {
      const [id, customer] = Object.entries(gen.expect.customers)[0]!;
      assert.equal((await cli(['budget', 'set', id, '1000', '--db', db])).status, 0);
      const records = parseExact(
        (await cli(['customers', '--period', '2026-09', '--json', '--db', db])).stdout,
      ) as Record<string, unknown>[];
      const record = records.find((r) => r.id === id)!;
      assert.equal((record.budget as { amount: JsonDecimal }).amount.text, '1000');
      // total / 1000 × 100 in hundredths, rounded half up: total × 10 in units of 10^-18.
      const unit = 10n ** 18n;
      const hundredths = (scaled(customer.billing) * 10n + unit / 2n) / unit;
      assert.equal(scaled((record.percentUsed as JsonDecimal).text), hundredths * 10n ** 16n);
      const table = await cli(['customers', '--period', '2026-09', '--db', db]);
      assert.match(
        table.stdout,
        /^Billing period 2026-09: 20 customers\ncustomer +currency +total +USD total +budget +% used\n/,
      );
      assert.equal((await cli(['budget', 'clear', id, '--db', db])).status, 0);
      const cleared = parseExact(
        (await cli(['customers', '--period', '2026-09', '--json', '--db', db])).stdout,
      ) as Record<string, unknown>[];
      assert.deepEqual(cleared.find((r) => r.id === id)!.budget, { attributes: { objectType: 'SpendingBudget' } });
    });

    it('prints the meters of a subscription as MeterUsageRecord JSON', async () => {
      const [key, meter] = Object.entries(gen.expect.meters)[0]!;
      const [customer, subscription, meterId] = key.split('/') as [string, string, string];
      const result = await cli(['meters', customer, subscription, '--period', '2026-09', '--json', '--db', db]);
      assert.equal(result.status, 0, result.stderr);
      const records = parseExact(result.stdout) as Record<string, unknown>[];
      const record = records.find((r) => r.meterId === meterId)!;
      assert.equal(scaled((record.totalCost as JsonDecimal).text), scaled(meter.billing));
      assert.equal(scaled((record.quantityUsed as JsonDecimal).text), scaled(meter.quantity));
      assert.equal(record.unit, meter.unit);
      assert.equal(record.subscriptionId, subscription);
      const sum = records.reduce((s, r) => s + scaled((r.totalCost as JsonDecimal).text), 0n);
      assert.equal(sum, scaled(gen.expect.subscriptions[`${customer}/${subscription}`]!.billing));
    });

    it('prints the summary, subscriptions, resources, daily and utilization as the API serves them', async () => {
      const [key, expected] = Object.entries(gen.expect.subscriptions)[0]!;
      const [customer, subscription] = key.split('/') as [string, string];
      const summary = await cli(['summary', '--period', '2026-09', '--json', '--db', db]);
      assert.equal(summary.status, 0, summary.stderr);
      const body = parseExact(summary.stdout) as Record<string, unknown>;
      assert.equal((body.attributes as { objectType: string }).objectType, 'PartnerUsageSummary');
      assert.equal((body.customersWithUsageBasedSubscription as JsonDecimal).text, '20');
      const subs = await cli(['subscriptions', customer, '--period', '2026-09', '--json', '--db', db]);
      assert.equal(subs.status, 0, subs.stderr);
      const sub = (parseExact(subs.stdout) as Record<string, unknown>[]).find((r) => r.id === subscription)!;
      assert.equal(scaled((sub.totalCost as JsonDecimal).text), scaled(expected.billing), '--json keeps every digit');
      const table = await cli(['subscriptions', customer, '--period', '2026-09', '--db', db]);
      assert.match(table.stdout, /currency/);
      assert.ok(table.stdout.includes(` ${expected.currency} `), 'the currency column names a currency');
      const resources = await cli(['resources', customer, subscription, '--period', '2026-09', '--json', '--db', db]);
      const sum = (parseExact(resources.stdout) as Record<string, unknown>[]).reduce(
        (n, r) => n + scaled((r.totalCost as JsonDecimal).text),
        0n,
      );
      assert.equal(sum, scaled(expected.billing), 'resources sum to the subscription');
      const daily = await cli(['daily', customer, subscription, '--period', '2026-09', '--json', '--db', db]);
      const daySum = (parseExact(daily.stdout) as Record<string, unknown>[]).reduce(
        (n, r) => n + scaled((r.totalCost as JsonDecimal).text),
        0n,
      );
      assert.equal(daySum, scaled(expected.billing), 'days sum to the subscription');
      const util = await cli([
        'utilization',
        customer,
        subscription,
        '--from',
        '2026-09-01',
        '--to',
        '2026-09-03',
        '--db',
        db,
      ]);
      assert.equal(util.status, 0, util.stderr);
      assert.match(util.stdout, /^2026-09-01T00:00:00Z to 2026-09-03T00:00:00Z: \d+ records/);
      const bad = await cli([
        'utilization',
        customer,
        subscription,
        '--from',
        'soon',
        '--to',
        '2026-09-03',
        '--db',
        db,
      ]);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--from must be a date/);
    });

    it('explains a failed import in one line and leaves the database as it was', async () => {
      const bad = path.join(dir, 'bad.csv');
      fs.writeFileSync(bad, 'PartnerId,CustomerId\n1,2\n');
      const result = await cli(['import', bad, '--db', db]);
      assert.equal(result.status, 1);
      assert.match(
        result.stderr,
        /^partner-usage: .*bad\.csv:1: the header lacks required daily rated usage columns: CustomerName, SubscriptionId/,
      );
      assert.match(result.stderr, /nothing was imported from .*bad\.csv; the database is unchanged/);
      assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace');
    });

    it('rejects a malformed --period and an unknown customer clearly', async () => {
      const period = await cli(['customers', '--period', '2026-13', '--db', db]);
      assert.equal(period.status, 2);
      assert.match(period.stderr, /--period "2026-13" is not a billing period \(YYYY-MM\)/);
      const early = await cli(['customers', '--period', '2009-12', '--db', db]);
      assert.equal(early.status, 2);
      assert.match(early.stderr, /outside the billing periods held \(2010-01 to /);
      const missing = await cli([
        'meters',
        '00000000-0000-0000-0000-000000000000',
        '00000000-0000-0000-0000-000000000001',
        '--db',
        db,
      ]);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /no customer 00000000-0000-0000-0000-000000000000/);
    });

    it('says what to do on an empty database', async () => {
      const result = await cli(['customers', '--db', (await testDatabase(backend, dir, 'empty')).location]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /run `partner-usage import <file>` first/);
    });
  });
}

describe('the partner-usage CLI on a database it cannot open', () => {
  it('says so in one line, without the password of a PostgreSQL URL', async () => {
    // Port 1 on 127.0.0.1: nothing listens there.
    const result = await cli(['customers', '--db', 'postgres://usage:s3cret@127.0.0.1:1/usage']);
    assert.equal(result.status, 3, 'exit 3: the database cannot be used');
    assert.match(
      result.stderr,
      /^partner-usage: cannot open the database postgres:\/\/usage:\*\*\*@127\.0\.0\.1:1\/usage: the PostgreSQL server cannot be reached/,
    );
    assert.doesNotMatch(result.stderr, /s3cret/);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });
});
