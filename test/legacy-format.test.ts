import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Papa from 'papaparse';
import { stringifyExact } from '../src/contract/exact-json.js';
import { customerMonthlyUsageRecord, meterUsageRecord } from '../src/domain/usage-records.js';
import { LEGACY_COLUMNS } from '../src/domain/line-schema.js';
import { importFile } from '../src/ingest/importer.js';
import { legacySubscriptionId } from '../src/ingest/line-decoder.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { stopPostgres } from './helpers/postgres.js';
import { tempDir } from './helpers/fixtures.js';

const PARTNER = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
const CUSTOMER = 'a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1';

/** A legacy usage-based line (§12.2 of the API notes), with the doc's sample values. */
function legacyLine(overrides: Partial<Record<(typeof LEGACY_COLUMNS)[number], string>>): Record<string, string> {
  return {
    PartnerId: PARTNER,
    PartnerName: 'Contoso Partner',
    PartnerBillableAccountId: '1010578050',
    CustomerCompanyName: 'LEGACY AZURE CUSTOMER SE',
    MpnId: '1234567',
    ResellerMpnId: '',
    InvoiceNumber: 'D020001IVK',
    ChargeStartDate: '2/1/2019 0:00',
    ChargeEndDate: '2/28/2019 23:59',
    SubscriptionId: 'usCBMgAAAAAAAAIA',
    SubscriptionName: 'Microsoft Azure',
    SubscriptionDescription: 'Microsoft Azure',
    OrderId: '566890604832738111',
    ServiceName: 'VIRTUAL MACHINES',
    ServiceType: 'Standard_D1 VM',
    ResourceGuid: '2a2419c0-1a1b-4f5d-8e5a-7d8e1e3b2c1a',
    ResourceName: 'Compute Hours',
    Region: 'EU West',
    Sku: '7UD-00001',
    DetailLineItemId: '1',
    ConsumedQuantity: '11',
    IncludedQuantity: '0',
    OverageQuantity: '11',
    ListPrice: '0.0808',
    PretaxCharges: '0.8888',
    TaxAmount: '0',
    PostTaxTotal: '0.8888',
    Currency: 'EUR',
    PretaxEffectiveRate: '0.0808',
    PostTaxEffectiveRate: '0.0808',
    ChargeType: 'Usage',
    CustomerId: CUSTOMER,
    DomainName: 'legacy.onmicrosoft.com',
    BillingCycleType: 'Monthly',
    Unit: 'Hours',
    CustomerBillableAccount: '1280018095',
    UsageDate: '2/3/2019',
    MeteredRegion: 'EU West',
    MeteredService: 'Compute',
    MeteredServiceType: '',
    Project: 'proj-1',
    ServiceInfo: '',
    ...overrides,
  };
}

after(stopPostgres);

for (const backend of BACKENDS) {
  describe(`${backend}: the legacy usage-based file (MS-AZR-0145P)`, () => {
    it('is recognised from its header and imported for a legacy customer', async () => {
      const dir = tempDir();
      const file = path.join(dir, 'legacy.csv');
      const lines = [
        legacyLine({}),
        legacyLine({ UsageDate: '2/4/2019', ConsumedQuantity: '2.5', PretaxCharges: '0.202' }),
        legacyLine({
          ResourceGuid: '9b3c7e1d-2f4a-4c8b-a1d2-3e4f5a6b7c8d',
          ResourceName: 'Data Transfer Out (GB)',
          ServiceName: 'Networking',
          ServiceType: 'Bandwidth',
          Unit: 'GB',
          ConsumedQuantity: '0.000224',
          PretaxCharges: '21.770372',
        }),
      ];
      fs.writeFileSync(file, Papa.unparse(lines, { columns: [...LEGACY_COLUMNS], newline: '\r\n' }));
      const store = await (await testDatabase(backend, dir, 'legacy')).open();
      try {
        const summary = await importFile(store, file);
        assert.equal(summary.format, 'legacy');
        assert.deepEqual(summary.periods, ['2019-02']);

        const [row] = await store.customerUsage(PARTNER, '2019-02');
        const record = JSON.parse(stringifyExact(customerMonthlyUsageRecord(row!, '2019-02'))) as Record<
          string,
          unknown
        >;
        assert.equal(record.isUpgraded, false);
        assert.equal(record.currencyLocale, 'fr-FR');
        assert.equal('currencyCode' in record, false);
        assert.equal(record.usdTotalCost, 0);
        assert.equal(stringifyExact(customerMonthlyUsageRecord(row!, '2019-02').totalCost), '22.861172');
        assert.deepEqual(record.customerSpendingBudget, { attributes: { objectType: 'SpendingBudget' } });

        // The commerce subscription id is not a GUID; the routes get a stable GUID made from it.
        const subscriptionId = legacySubscriptionId('usCBMgAAAAAAAAIA');
        assert.match(subscriptionId, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
        const meters = await store.meterUsage({
          partnerTenantId: PARTNER,
          customerTenantId: CUSTOMER,
          subscriptionId,
          period: '2019-02',
        });
        assert.equal(meters.found, 'ok');
        assert.equal(meters.found === 'ok' && meters.meters.length, 2);
      } finally {
        await store.close();
      }
    });

    it("lists a legacy subscription's meters with currencyLocale", async () => {
      const dir = tempDir();
      const file = path.join(dir, 'legacy.csv');
      const sub = 'd3d3d3d3-eeee-ffff-aaaa-b4b4b4b4b4b4';
      fs.writeFileSync(
        file,
        Papa.unparse(
          [legacyLine({ SubscriptionId: sub }), legacyLine({ SubscriptionId: sub, UsageDate: '2019-02-05' })],
          { columns: [...LEGACY_COLUMNS] },
        ),
      );
      const store = await (await testDatabase(backend, dir, 'legacy')).open();
      try {
        await importFile(store, file);
        const result = await store.meterUsage({
          partnerTenantId: PARTNER,
          customerTenantId: CUSTOMER,
          subscriptionId: sub,
          period: '2019-02',
        });
        assert.equal(result.found, 'ok');
        if (result.found !== 'ok') return;
        const [meter] = result.meters.map(
          (m) => JSON.parse(stringifyExact(meterUsageRecord(m, result))) as Record<string, unknown>,
        );
        assert.equal(meter!.currencyLocale, 'fr-FR');
        assert.equal(meter!.quantityUsed, 22);
        assert.equal(meter!.totalCost, 1.7776);
        assert.equal(meter!.subscriptionId, sub);
        assert.equal(meter!.meterName, 'Compute Hours');
      } finally {
        await store.close();
      }
    });
  });
}
