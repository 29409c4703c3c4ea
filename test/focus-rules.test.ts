import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { importFile } from '../src/ingest/importer.js';
import { writeExport } from '../src/export/write-export.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { generate, tempDir } from './helpers/fixtures.js';
import { SERVICE_CATEGORIES } from './helpers/focus.js';
import { stopPostgres } from './helpers/postgres.js';
import { scaled } from './helpers/reference-totals.js';

after(stopPostgres);

const PERIOD = currentBillingPeriod();
const PARTNER = '97da2849-d73e-4b43-aa90-7d090402c802';
const INVOICE = 'G000123456';

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
const USAGE = `ChargeCategory IN ('Usage', 'Purchase') AND ChargeClass IS DISTINCT FROM 'Correction'`;

/**
 * FOCUS 1.2's MUST rules (specification/columns/*.md of FinOps-Open-Cost-and-Usage-Spec at v1.2),
 * each as the condition a row that breaks it meets. The FinOps Foundation's validator cannot be
 * installed here (PyPI is out of reach): these are its rules, checked with DuckDB column by column.
 */
const MUST: Record<string, string> = {
  'BilledCost: not null': 'BilledCost IS NULL',
  'EffectiveCost: not null': 'EffectiveCost IS NULL',
  'ListCost: not null': 'ListCost IS NULL',
  'ContractedCost: not null': 'ContractedCost IS NULL',
  'BillingAccountId: not null': 'BillingAccountId IS NULL',
  'BillingAccountType: not null when BillingAccountId is not':
    'BillingAccountId IS NOT NULL AND BillingAccountType IS NULL',
  'BillingCurrency: ISO 4217': `NOT regexp_full_match(BillingCurrency, '[A-Z]{3}')`,
  'BillingPeriodStart/End: not null, start before end':
    'BillingPeriodStart IS NULL OR BillingPeriodEnd IS NULL OR BillingPeriodStart >= BillingPeriodEnd',
  'ChargePeriodStart/End: not null, start before end, within the billing period':
    'ChargePeriodStart IS NULL OR ChargePeriodEnd IS NULL OR ChargePeriodStart >= ChargePeriodEnd OR ChargePeriodStart < BillingPeriodStart OR ChargePeriodEnd > BillingPeriodEnd',
  'ChargeCategory: an allowed value': `ChargeCategory IS NULL OR ChargeCategory NOT IN ('Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment')`,
  'ChargeClass: null or Correction': `ChargeClass IS NOT NULL AND ChargeClass <> 'Correction'`,
  'ChargeFrequency: an allowed value': `ChargeFrequency NOT IN ('One-Time', 'Recurring', 'Usage-Based')`,
  'CommitmentDiscountCategory: null exactly when CommitmentDiscountId is':
    '(CommitmentDiscountId IS NULL) <> (CommitmentDiscountCategory IS NULL)',
  'CommitmentDiscountCategory: an allowed value': `CommitmentDiscountCategory NOT IN ('Spend', 'Usage')`,
  'CommitmentDiscountType: null exactly when CommitmentDiscountId is':
    '(CommitmentDiscountId IS NULL) <> (CommitmentDiscountType IS NULL)',
  'CommitmentDiscountStatus: null when CommitmentDiscountId is, not null on usage': `(CommitmentDiscountId IS NULL AND CommitmentDiscountStatus IS NOT NULL) OR (CommitmentDiscountId IS NOT NULL AND ChargeCategory = 'Usage' AND CommitmentDiscountStatus IS NULL)`,
  'CommitmentDiscountStatus: an allowed value': `CommitmentDiscountStatus NOT IN ('Used', 'Unused')`,
  'CommitmentDiscountName: null when CommitmentDiscountId is':
    'CommitmentDiscountId IS NULL AND CommitmentDiscountName IS NOT NULL',
  'CommitmentDiscountQuantity: not null on committed usage, null otherwise': `(CommitmentDiscountId IS NOT NULL AND ${USAGE}) <> (CommitmentDiscountQuantity IS NOT NULL)`,
  'CommitmentDiscountUnit: null exactly when CommitmentDiscountQuantity is':
    '(CommitmentDiscountQuantity IS NULL) <> (CommitmentDiscountUnit IS NULL)',
  'ConsumedQuantity: not null on usage': `ChargeCategory = 'Usage' AND CommitmentDiscountStatus IS DISTINCT FROM 'Unused' AND ConsumedQuantity IS NULL`,
  'ConsumedUnit: null exactly when ConsumedQuantity is': '(ConsumedQuantity IS NULL) <> (ConsumedUnit IS NULL)',
  'ContractedUnitPrice: not null on usage, not negative': `(${USAGE} AND ContractedUnitPrice IS NULL) OR ContractedUnitPrice < 0`,
  'ContractedCost: ContractedUnitPrice × PricingQuantity': `ContractedUnitPrice IS NOT NULL AND PricingQuantity IS NOT NULL AND ChargeClass IS DISTINCT FROM 'Correction' AND ContractedUnitPrice * PricingQuantity <> ContractedCost`,
  'InvoiceIssuerName: not null': 'InvoiceIssuerName IS NULL',
  'ListUnitPrice: not null on usage, not negative': `(${USAGE} AND ListUnitPrice IS NULL) OR ListUnitPrice < 0`,
  'ListCost: ListUnitPrice × PricingQuantity': `ListUnitPrice IS NOT NULL AND PricingQuantity IS NOT NULL AND ChargeClass IS DISTINCT FROM 'Correction' AND ListUnitPrice * PricingQuantity <> ListCost`,
  'PricingCategory: not null on usage, an allowed value': `(${USAGE} AND PricingCategory IS NULL) OR PricingCategory NOT IN ('Standard', 'Dynamic', 'Committed', 'Other')`,
  'PricingCategory: Committed where a commitment discount applies': `CommitmentDiscountId IS NOT NULL AND PricingCategory <> 'Committed'`,
  'PricingCurrency: not null, ISO 4217': `PricingCurrency IS NULL OR NOT regexp_full_match(PricingCurrency, '[A-Z]{3}')`,
  'PricingCurrencyEffectiveCost: not null': 'PricingCurrencyEffectiveCost IS NULL',
  'PricingCurrencyContractedUnitPrice: not null on usage, not negative': `(${USAGE} AND PricingCurrencyContractedUnitPrice IS NULL) OR PricingCurrencyContractedUnitPrice < 0`,
  'PricingCurrencyListUnitPrice: not null on usage, not negative': `(${USAGE} AND PricingCurrencyListUnitPrice IS NULL) OR PricingCurrencyListUnitPrice < 0`,
  'PricingQuantity: not null on usage': `${USAGE} AND PricingQuantity IS NULL`,
  'PricingUnit: null exactly when PricingQuantity is': '(PricingQuantity IS NULL) <> (PricingUnit IS NULL)',
  'ProviderName: not null': 'ProviderName IS NULL',
  'PublisherName: not null': 'PublisherName IS NULL',
  'RegionName: null exactly when RegionId is': '(RegionId IS NULL) <> (RegionName IS NULL)',
  'ServiceCategory: an allowed value': `ServiceCategory IS NULL OR ServiceCategory NOT IN (${list(SERVICE_CATEGORIES)})`,
  'ServiceName: not null': 'ServiceName IS NULL',
  "ServiceSubcategory: not null, its category's": `ServiceSubcategory IS NULL OR ServiceSubcategory <> 'Other (' || ServiceCategory || ')'`,
  'SkuId: not null on usage': `${USAGE} AND SkuId IS NULL`,
  'SkuMeter: null when SkuId is': 'SkuId IS NULL AND SkuMeter IS NOT NULL',
  'SkuPriceId: not null on usage': `${USAGE} AND SkuPriceId IS NULL`,
  'SkuPriceDetails: null when SkuPriceId is': 'SkuPriceId IS NULL AND SkuPriceDetails IS NOT NULL',
  'SubAccountName: null when SubAccountId is': 'SubAccountId IS NULL AND SubAccountName IS NOT NULL',
  'SubAccountType: null exactly when SubAccountId is': '(SubAccountId IS NULL) <> (SubAccountType IS NULL)',
  'Tags: a JSON object (KeyValueFormat)': `Tags IS NOT NULL AND json_type(Tags) <> 'OBJECT'`,
};

describe('FOCUS 1.2 exports meet every MUST rule', () => {
  let duck: DuckDBConnection;
  before(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  const rows = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjectsJS();

  for (const backend of BACKENDS) {
    describe(`on ${backend}`, () => {
      const dir = tempDir();
      let focus: string;
      let rich: string;

      before(async () => {
        rich = generate(dir, 'rich.csv', {
          rows: 3000,
          customers: 14,
          period: PERIOD,
          seed: 41,
          rich: true,
          invoice: INVOICE,
          partner: PARTNER,
        }).file;
        const legacy = generate(dir, 'legacy.csv', {
          rows: 1200,
          customers: 6,
          period: PERIOD,
          seed: 42,
          format: 'legacy',
          partner: PARTNER,
        });
        const store = await (await testDatabase(backend, dir, 'focus')).open();
        try {
          await importFile(store, rich);
          await importFile(store, legacy.file);
          focus = path.join(dir, 'focus.parquet');
          await writeExport(
            store,
            { partnerTenantId: PARTNER, periods: [PERIOD], format: 'focus', encoding: 'parquet' },
            fs.createWriteStream(focus),
          );
        } finally {
          await store.close();
        }
      });

      it('for every row of billed --rich data and of legacy data', async () => {
        const counts = await rows(
          `SELECT count(*) AS rows, ${Object.values(MUST)
            .map((broken, i) => `count(*) FILTER (WHERE ${broken}) AS r${i}`)
            .join(', ')} FROM read_parquet('${focus}')`,
        );
        assert.equal(Number(counts[0]!.rows), 4200);
        const broken = Object.keys(MUST).filter((_, i) => Number(counts[0]![`r${i}`]) !== 0);
        assert.deepEqual(broken, []);
      });

      it('fills the columns from the lines themselves: invoice, prices, credit, benefits, publishers, units, original case', async () => {
        const [r] = await rows(`SELECT
          count(*) FILTER (WHERE x_PricingUnitDescription IS NOT NULL AND InvoiceId = '${INVOICE}') AS billed,
          count(*) FILTER (WHERE InvoiceId IS NULL) AS unbilled,
          count(*) FILTER (WHERE PublisherName <> 'Microsoft') AS marketplace,
          count(*) FILTER (WHERE CommitmentDiscountType = 'Reservation' AND CommitmentDiscountCategory = 'Usage') AS reservations,
          count(*) FILTER (WHERE CommitmentDiscountType = 'Savings Plan' AND CommitmentDiscountCategory = 'Spend') AS plans,
          count(*) FILTER (WHERE x_PartnerCreditApplied = 'true' AND x_PartnerCreditRate = 0.15 AND ContractedUnitPrice < ListUnitPrice) AS pec,
          count(*) FILTER (WHERE PricingUnit = 'Hours' AND x_PricingUnitDescription = '1 Hour') AS hours,
          count(*) FILTER (WHERE PricingUnit = 'GB-Months' AND x_PricingUnitDescription = '1 GB/Month') AS gbMonths,
          count(*) FILTER (WHERE ResourceId LIKE '%/resourceGroups/%') AS originalCase,
          count(*) FILTER (WHERE x_ResellerId IS NOT NULL) AS resold
          FROM read_parquet('${focus}')`);
        const n = Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, Number(v)]));
        assert.equal(n.billed, 3000, 'InvoiceId from InvoiceNumber on every billed line');
        assert.equal(n.unbilled, 1200, 'none on the unbilled legacy lines');
        for (const k of [
          'marketplace',
          'reservations',
          'plans',
          'pec',
          'hours',
          'gbMonths',
          'originalCase',
          'resold',
        ]) {
          assert.ok(n[k]! > 0, k);
        }
        // The partner is invoiced for every line, marketplace included: BilledCost per invoice is the file's.
        const [sum] = await rows(
          `SELECT CAST(sum(CAST(BilledCost AS DECIMAL(38, 12))) AS VARCHAR) AS s FROM read_parquet('${focus}') WHERE InvoiceId = '${INVOICE}'`,
        );
        const [fileSum] = await rows(
          `SELECT CAST(sum(CAST(BillingPreTaxTotal AS DECIMAL(38, 12))) AS VARCHAR) AS s FROM read_csv('${rich}', header = true, all_varchar = true)`,
        );
        assert.equal(scaled(String(sum!.s)), scaled(String(fileSum!.s)));
      });

      it('gives legacy lines their subscription, SKU, pricing currency and region, and no invented USD figure', async () => {
        const [r] = await rows(`SELECT
          count(*) AS n,
          count(*) FILTER (WHERE SubAccountId IS NOT NULL AND SubAccountId = x_SubscriptionId) AS subAccount,
          count(*) FILTER (WHERE SkuId IS NOT NULL AND SkuMeter IS NOT NULL) AS sku,
          count(*) FILTER (WHERE PricingCurrency = BillingCurrency) AS pricingCurrency,
          count(*) FILTER (WHERE RegionId IS NOT NULL AND RegionId = lower(replace(RegionName, ' ', ''))) AS region,
          count(*) FILTER (WHERE x_BilledCostInUsd = 0 AND BilledCost <> 0) AS zeroUsd,
          count(*) FILTER (WHERE BillingCurrency <> 'USD' AND x_BilledCostInUsd IS NOT NULL) AS inventedUsd
          FROM read_parquet('${focus}') WHERE InvoiceId IS NULL`);
        const n = Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, Number(v)]));
        assert.equal(n.n, 1200);
        for (const k of ['subAccount', 'sku', 'pricingCurrency', 'region']) assert.equal(n[k], 1200, k);
        assert.equal(n.zeroUsd, 0);
        assert.equal(n.inventedUsd, 0);
      });
    });
  }
});
