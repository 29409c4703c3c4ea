import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonDecimal, stringifyExact } from '../src/contract/exact-json.js';
import {
  azureResourceMonthlyUsageRecord,
  azureUtilizationRecord,
  billingDates,
  collection,
  customerMonthlyUsageRecord,
  customerUsageSummary,
  dayStart,
  meterUsageRecord,
  partnerUsageSummary,
  periodStart,
  resourceUsageRecord,
  subscriptionDailyUsageRecord,
  subscriptionMonthlyUsageRecord,
  subscriptionUsageSummary,
  usageBudget,
  wireDate,
} from '../src/domain/usage-records.js';
import type { CustomerUsageRow, MeterUsageRow, UsageLines } from '../src/storage/store.js';

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
    const paged = json(collection([], '/x', next));
    assert.deepEqual(paged.links, { self: { uri: '/x', method: 'GET', headers: [] }, next });
    assert.equal(paged.continuationToken, 't', 'the token at the top level too, for seek-based clients');
    assert.equal('continuationToken' in json(page), false);
    const otherHeader = { ...next, headers: [{ key: 'X-Other', value: 'v' }] };
    assert.equal('continuationToken' in json(collection([], '/x', otherHeader)), false);
  });
});

const planOwner = {
  subscriptionId: 'a0000000-0000-4000-8000-000000000001',
  offerId: 'DZH318Z0BPS6:0001:DZH318Z0BML6',
  description: '',
  currency: 'GBP',
  currencyLocale: null,
  plan: 'azure-plan' as const,
};
const legacyOwner = {
  ...planOwner,
  offerId: 'MS-AZR-0145P',
  currency: 'EUR',
  currencyLocale: 'fr-FR',
  plan: 'legacy' as const,
};
const exact = (value: unknown) => stringifyExact(value);

describe('record mappers: the rest of the usage family', () => {
  it('billing dates are the calendar month, across a year end; days start at UTC midnight', () => {
    assert.deepEqual(billingDates('2026-12'), {
      billingStartDate: '2026-12-01T00:00:00+00:00',
      billingEndDate: '2027-01-01T00:00:00+00:00',
    });
    assert.deepEqual(billingDates('2026-08'), {
      billingStartDate: '2026-08-01T00:00:00+00:00',
      billingEndDate: '2026-09-01T00:00:00+00:00',
    });
    assert.equal(dayStart(20261105), '2026-11-05T00:00:00+00:00');
  });

  it('usageBudget: amount twice when set, none when cleared, the method in its link', () => {
    assert.equal(
      exact(usageBudget('97.5', '/v1/customers/c/usagebudget', 'PATCH')),
      '{"amount":97.5,"usageSpendingBudget":97.5,"links":{"self":{"uri":"/v1/customers/c/usagebudget","method":"PATCH","headers":[]}},"attributes":{"objectType":"SpendingBudget"}}',
    );
    assert.equal(
      exact(usageBudget(null, '/u', 'GET')),
      '{"links":{"self":{"uri":"/u","method":"GET","headers":[]}},"attributes":{"objectType":"SpendingBudget"}}',
    );
  });

  it('customerUsageSummary: an Azure plan without id/name aliases or links; a legacy one with them and no USD', () => {
    const extension = { trendingOver: true, daysWithUsage: 3, anomalies: 1, forecastTotalCost: new JsonDecimal('300') };
    assert.equal(
      exact(customerUsageSummary(modern, '2026-11', '/customers/c/usagesummary', extension)),
      '{"budget":{"amount":20,"attributes":{"objectType":"SpendingBudget"}},"resourceId":"c1111111-2222-4333-8444-555555555555",' +
        '"resourceName":"Contoso UK","billingStartDate":"2026-11-01T00:00:00+00:00","billingEndDate":"2026-12-01T00:00:00+00:00",' +
        '"totalCost":120.5682999999995904716,"currencyCode":"GBP","usdTotalCost":152.1,"lastModifiedDate":"2026-11-30T06:00:00.000+00:00",' +
        '"partnerUsage":{"trendingOver":true,"daysWithUsage":3,"anomalies":1,"forecastTotalCost":300},"attributes":{"objectType":"CustomerUsageSummary"}}',
    );
    const legacy = json(customerUsageSummary({ ...legacyRow, lastModified: null }, '2026-11', '/s', extension));
    assert.equal(legacy.id, legacyRow.tenantId);
    assert.equal(legacy.name, 'Contoso UK');
    assert.equal(legacy.currencyLocale, 'fr-FR');
    assert.equal('usdTotalCost' in legacy, false);
    assert.equal('currencyCode' in legacy, false);
    assert.deepEqual(legacy.links, { self: { uri: '/s', method: 'GET', headers: [] } });
    assert.equal(legacy.lastModifiedDate, '2026-11-01T00:00:00+00:00');
    assert.equal(
      json(customerUsageSummary({ ...legacyRow, currencyLocale: null }, '2026-11', '/s', extension)).currencyLocale,
      'en-US',
    );
  });

  it('subscriptionMonthlyUsageRecord: partnerOnRecord on Azure plans only, the plan named when undescribed', () => {
    const row = {
      subscriptionId: planOwner.subscriptionId,
      offerId: planOwner.offerId,
      description: ' ',
      partnerOnRecord: '1234567',
      billingTotal: '10.25',
      usdTotal: '13',
      lastModified: null,
    };
    assert.equal(
      exact(subscriptionMonthlyUsageRecord(row, modern, '2026-11')),
      '{"status":"active","partnerOnRecord":"1234567","offerId":"DZH318Z0BPS6:0001:DZH318Z0BML6",' +
        '"resourceId":"a0000000-0000-4000-8000-000000000001","id":"a0000000-0000-4000-8000-000000000001",' +
        '"resourceName":"Azure plan","name":"Azure plan","totalCost":10.25,"currencyCode":"GBP","usdTotalCost":13,' +
        '"lastModifiedDate":"2026-11-01T00:00:00+00:00","attributes":{"objectType":"SubscriptionMonthlyUsageRecord"}}',
    );
    const none = json(subscriptionMonthlyUsageRecord({ ...row, partnerOnRecord: '' }, modern, '2026-11'));
    assert.equal('partnerOnRecord' in none, false, 'a file without MpnId names none');
    const legacy = json(subscriptionMonthlyUsageRecord({ ...row, description: 'Pay-As-You-Go' }, legacyRow, '2026-11'));
    assert.equal('partnerOnRecord' in legacy, false, 'never on legacy rows');
    assert.equal(legacy.name, 'Pay-As-You-Go');
    assert.equal(legacy.usdTotalCost, 0);
    assert.equal(
      json(subscriptionMonthlyUsageRecord({ ...row, description: '' }, legacyRow, '2026-11')).name,
      'Microsoft Azure',
    );
  });

  it('subscriptionUsageSummary and subscriptionDailyUsageRecord', () => {
    const figures = { billingTotal: '5', usdTotal: '6', lastModified: '2026-11-02T00:00:00Z' };
    assert.equal(
      exact(subscriptionUsageSummary({ ...planOwner, ...figures }, '2026-11', '/x/usagesummary')),
      '{"resourceId":"a0000000-0000-4000-8000-000000000001","resourceName":"Azure plan","billingStartDate":"2026-11-01T00:00:00+00:00",' +
        '"billingEndDate":"2026-12-01T00:00:00+00:00","totalCost":5,"currencyCode":"GBP","usdTotalCost":6,' +
        '"lastModifiedDate":"2026-11-02T00:00:00+00:00","links":{"self":{"uri":"/x/usagesummary","method":"GET","headers":[]}},' +
        '"attributes":{"objectType":"SubscriptionUsageSummary"}}',
    );
    const day = { day: 20261102, billingTotal: '1.5', usdTotal: '2', lastModified: '2026-11-03T00:00:00Z' };
    assert.equal(
      exact(subscriptionDailyUsageRecord(day, legacyOwner)),
      '{"dateUsed":"2026-11-02T00:00:00+00:00","resourceId":"a0000000-0000-4000-8000-000000000001",' +
        '"id":"a0000000-0000-4000-8000-000000000001","resourceName":"Microsoft Azure","name":"Microsoft Azure","totalCost":1.5,' +
        '"currencyLocale":"fr-FR","usdTotalCost":0,"lastModifiedDate":"2026-11-03T00:00:00+00:00",' +
        '"attributes":{"objectType":"SubscriptionDailyUsageRecord"}}',
    );
  });

  it('partnerUsageSummary: the currency with most customers is the summary own; every currency listed; none → USD', () => {
    const figures = {
      tenantId: 'p',
      name: 'Partner',
      customersOverBudget: 1,
      customersTrendingOver: 2,
      customersWithUsageBasedSubscription: 3,
      lastModified: null,
      totals: [
        { currency: 'EUR', locale: 'fr-FR', plan: 'legacy' as const, billing: '7', usd: '0', customers: 2 },
        { currency: 'GBP', locale: null, plan: 'azure-plan' as const, billing: '3', usd: '4', customers: 1 },
      ],
      usdTotal: '4',
    };
    assert.equal(
      exact(partnerUsageSummary(figures, '2026-11')),
      '{"resourceId":"p","resourceName":"Partner","id":"p","name":"Partner","billingStartDate":"2026-11-01T00:00:00+00:00",' +
        '"billingEndDate":"2026-12-01T00:00:00+00:00","totalCost":7,"currencyLocale":"fr-FR","usdTotalCost":4,' +
        '"lastModifiedDate":"2026-11-01T00:00:00+00:00","links":{"self":{"uri":"/usagesummary","method":"GET","headers":[]}},' +
        '"customersOverBudget":1,"customersTrendingOver":2,"customersWithUsageBasedSubscription":3,' +
        '"totalsByCurrency":[{"currency":"EUR","totalCost":7,"usdTotalCost":0,"customers":2},' +
        '{"currency":"GBP","totalCost":3,"usdTotalCost":4,"customers":1}],"attributes":{"objectType":"PartnerUsageSummary"}}',
    );
    const gbp = json(partnerUsageSummary({ ...figures, totals: [figures.totals[1]!] }, '2026-11'));
    assert.equal(gbp.currencyCode, 'GBP');
    assert.equal('currencyLocale' in gbp, false);
    const empty = json(partnerUsageSummary({ ...figures, totals: [], usdTotal: '0' }, '2026-11'));
    assert.equal(empty.currencyCode, 'USD');
    assert.equal(empty.totalCost, 0);
    const noLocale = { ...figures.totals[0]!, locale: null };
    assert.equal(json(partnerUsageSummary({ ...figures, totals: [noLocale] }, '2026-11')).currencyLocale, 'en-US');
  });

  it('resource records: the ARM type and name from the URI; legacy resources per meter without USD', () => {
    const row = {
      key: 'k',
      uri: '/subscriptions/s/resourceGroups/rg/providers/microsoft.compute/virtualMachines/vm1',
      group: 'rg',
      location: 'uksouth',
      entitlementId: 'e',
      entitlementName: 'Sub 1',
      billingTotal: '2',
      usdTotal: '3',
      lastModified: '2026-11-02T00:00:00Z',
    };
    assert.equal(
      exact(resourceUsageRecord(row, planOwner)),
      '{"subscriptionId":"a0000000-0000-4000-8000-000000000001","resourceUri":"/subscriptions/s/resourceGroups/rg/providers/microsoft.compute/virtualMachines/vm1",' +
        '"resourceType":"microsoft.compute","entitlementId":"e","entitlementName":"Sub 1","resourceGroupName":"rg","name":"vm1",' +
        '"resourceName":"vm1","totalCost":2,"currencyCode":"GBP","usdTotalCost":3,"lastModifiedDate":"2026-11-02T00:00:00+00:00",' +
        '"attributes":{"objectType":"ResourceUsageRecord"}}',
    );
    const noProvider = json(resourceUsageRecord({ ...row, uri: '/subscriptions/s/resourceGroups/rg/' }, planOwner));
    assert.equal(noProvider.resourceType, '');
    assert.equal(noProvider.name, 'rg');
    assert.equal(json(resourceUsageRecord({ ...row, uri: '' }, planOwner)).name, '');
    assert.equal(json(resourceUsageRecord({ ...row, uri: '/x/Providers' }, planOwner)).resourceType, '');
    const tenantLevel = json(
      resourceUsageRecord({ ...row, uri: '/providers/Microsoft.Capacity/reservations/r1' }, planOwner),
    );
    assert.equal(tenantLevel.resourceType, 'Microsoft.Capacity', 'a resource outside any subscription');
    assert.equal(
      exact(azureResourceMonthlyUsageRecord({ ...meter, lastModified: '2026-11-02T00:00:00Z' }, legacyOwner)),
      '{"category":"Storage","subcategory":"Tables","quantityUsed":3.000001,"unit":"1 GB/Month",' +
        '"resourceId":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","id":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","resourceName":"LRS Data Stored",' +
        '"name":"LRS Data Stored","totalCost":-0.5,"currencyLocale":"fr-FR","lastModifiedDate":"2026-11-02T00:00:00+00:00",' +
        '"attributes":{"objectType":"AzureResourceMonthlyUsageRecord"}}',
    );
  });

  it('azureUtilizationRecord: the meter as the resource, a day long, instanceData and tags only when asked and known', () => {
    const lines: UsageLines = {
      count: 2,
      resource: Int32Array.from([1, 2]),
      meter: Int32Array.from([7, 8]),
      day: Int32Array.from([20261130, 20261101]),
      amount: (i, k) => ['4.5', '1', '2'][k]! + (i === 1 ? '0' : ''),
      resources: new Map([
        [1, { uri: '/subscriptions/s/x', location: 'uksouth', tags: '{"env":"prod","n":3}' }],
        [2, { uri: '', location: '', tags: 'not json' }],
      ]),
      meters: new Map([
        [7, { meterId: 'm7', name: 'Meter 7', category: 'C', subcategory: 'S', region: 'R', unit: 'GB' }],
      ]),
      bytes: 0,
    };
    assert.equal(
      exact(azureUtilizationRecord(lines, 0, true)),
      '{"usageStartTime":"2026-11-30T00:00:00+00:00","usageEndTime":"2026-12-01T00:00:00+00:00",' +
        '"resource":{"id":"m7","name":"Meter 7","category":"C","subcategory":"S","region":"R"},"quantity":4.5,"unit":"GB",' +
        '"infoFields":{},"instanceData":{"resourceUri":"/subscriptions/s/x","location":"uksouth","partNumber":"","orderNumber":"",' +
        '"tags":{"env":"prod","n":"3"}},"attributes":{"objectType":"AzureUtilizationRecord"}}',
    );
    assert.equal('instanceData' in json(azureUtilizationRecord(lines, 0, false)), false, 'show_details=false');
    const unknown = json(azureUtilizationRecord(lines, 1, true));
    assert.equal('instanceData' in unknown, false, 'a legacy line names no resource');
    assert.deepEqual(unknown.resource, { id: '', name: '', category: '', subcategory: '', region: '' });
    assert.equal(unknown.unit, '');
    assert.equal(unknown.quantity, 4.5);
    for (const [tags, expected] of [
      ['[1,2]', undefined],
      ['null', undefined],
      ['{"a":', undefined],
      ['{}', {}],
    ] as const) {
      const one = { ...lines, resources: new Map([[1, { uri: '/u', location: 'l', tags }]]) };
      const data = json(azureUtilizationRecord(one, 0, true)).instanceData as Record<string, unknown>;
      assert.deepEqual(data.tags, expected, tags);
    }
  });
});
