import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonDecimal, stringifyExact } from '../src/contract/exact-json.js';
import {
  collection,
  customerMonthlyUsageRecord,
  meterUsageRecord,
  periodStart,
  wireDate,
} from '../src/domain/usage-records.js';
import type { CustomerUsageRow, MeterUsageRow } from '../src/storage/store.js';

const modern: CustomerUsageRow = {
  tenantId: 'c1111111-2222-4333-8444-555555555555',
  name: 'Contoso UK',
  currency: 'GBP',
  currencyLocale: null,
  plan: 'azure-plan',
  budget: '20',
  billingTotal: '120.5682999999995904716',
  usdTotal: '152.1',
  lastModified: '2026-11-30T06:00:00.000Z',
};
const legacyRow: CustomerUsageRow = {
  ...modern,
  plan: 'legacy',
  currency: 'EUR',
  currencyLocale: 'fr-FR',
  budget: null,
};
const meter: MeterUsageRow = {
  meterId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  meterName: 'LRS Data Stored',
  category: 'Storage',
  subcategory: 'Tables',
  unit: '1 GB/Month',
  quantity: '3.000001',
  billingTotal: '-0.5',
  usdTotal: '-0.61',
  lastModified: '2026-11-30T06:00:00+01:00',
};
const json = (value: unknown) => JSON.parse(stringifyExact(value)) as Record<string, unknown>;

describe('record mappers: CustomerMonthlyUsageRecord', () => {
  it('writes an Azure plan customer as Partner Center does: currencyCode, USD total, budget, percentUsed', () => {
    const record = customerMonthlyUsageRecord(modern, '2026-11');
    assert.equal(
      stringifyExact(record),
      '{"budget":{"amount":20,"attributes":{"objectType":"SpendingBudget"}},"percentUsed":602.84,"isUpgraded":true,' +
        '"resourceId":"c1111111-2222-4333-8444-555555555555","id":"c1111111-2222-4333-8444-555555555555",' +
        '"resourceName":"Contoso UK","name":"Contoso UK","totalCost":120.5682999999995904716,"currencyCode":"GBP",' +
        '"usdTotalCost":152.1,"lastModifiedDate":"2026-11-30T06:00:00.000+00:00","attributes":{"objectType":"CustomerMonthlyUsageRecord"}}',
    );
  });

  it('writes a legacy customer with its locale, usdTotalCost 0, customerSpendingBudget and no currencyCode', () => {
    const record = json(customerMonthlyUsageRecord(legacyRow, '2026-11'));
    assert.equal(record.isUpgraded, false);
    assert.equal(record.currencyLocale, 'fr-FR');
    assert.equal(record.usdTotalCost, 0);
    assert.equal('currencyCode' in record, false);
    assert.deepEqual(record.budget, { attributes: { objectType: 'SpendingBudget' } }, 'no amount without a budget');
    assert.deepEqual(record.customerSpendingBudget, record.budget);
    assert.equal(record.percentUsed, 0);
    assert.equal(
      json(customerMonthlyUsageRecord({ ...legacyRow, currencyLocale: null }, '2026-11')).currencyLocale,
      'en-US',
    );
    assert.equal('customerSpendingBudget' in json(customerMonthlyUsageRecord(modern, '2026-11')), false);
  });

  it('dates a customer without usage at the start of the period', () => {
    const record = customerMonthlyUsageRecord({ ...modern, lastModified: null, billingTotal: '0' }, '2026-02');
    assert.equal(record.lastModifiedDate, '2026-02-01T00:00:00+00:00');
    assert.equal(periodStart('2025-12'), '2025-12-01T00:00:00+00:00');
  });
});

describe('record mappers: MeterUsageRecord', () => {
  it("writes an Azure plan meter with its owner's currency and the USD total, credits negative", () => {
    const record = meterUsageRecord(meter, {
      subscriptionId: 's-1',
      plan: 'azure-plan',
      currency: 'GBP',
      currencyLocale: null,
    });
    assert.equal(
      stringifyExact(record),
      '{"subscriptionId":"s-1","meterId":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","meterName":"LRS Data Stored",' +
        '"category":"Storage","subcategory":"Tables","quantityUsed":3.000001,"unit":"1 GB/Month","totalCost":-0.5,' +
        '"currencyCode":"GBP","usdTotalCost":-0.61,"lastModifiedDate":"2026-11-30T06:00:00+01:00",' +
        '"attributes":{"objectType":"MeterUsageRecord"}}',
    );
  });

  it('writes a legacy meter without the Azure plan fields: locale, usdTotalCost 0, no currencyCode', () => {
    const record = json(
      meterUsageRecord(meter, { subscriptionId: 's-2', plan: 'legacy', currency: 'EUR', currencyLocale: 'fr-FR' }),
    );
    assert.equal(record.currencyLocale, 'fr-FR');
    assert.equal(record.usdTotalCost, 0);
    assert.equal('currencyCode' in record, false);
    assert.equal(record.totalCost, -0.5);
  });
});

describe('record mappers: dates and collections', () => {
  it('writes UTC dates with +00:00 and keeps other offsets', () => {
    assert.equal(wireDate('2026-11-30T06:00:00Z'), '2026-11-30T06:00:00+00:00');
    assert.equal(wireDate('2026-11-30T06:00:00-05:00'), '2026-11-30T06:00:00-05:00');
  });

  it('counts the items of a collection and links it to itself, and to its next page when there is one', () => {
    const items = [1, 2, 3].map((n) => ({ n: new JsonDecimal(String(n)) }));
    const page = collection(items, '/customers/usagerecords');
    assert.deepEqual(json(page), {
      totalCount: 3,
      items: [{ n: 1 }, { n: 2 }, { n: 3 }],
      links: { self: { uri: '/customers/usagerecords', method: 'GET', headers: [] } },
      attributes: { objectType: 'Collection' },
    });
    const next = {
      uri: '/customers/usagerecords?seek_operation=Next',
      method: 'GET' as const,
      headers: [{ key: 'MS-ContinuationToken', value: 't' }],
    };
    assert.deepEqual(json(collection([], '/x', next)).links, {
      self: { uri: '/x', method: 'GET', headers: [] },
      next,
    });
  });
});
