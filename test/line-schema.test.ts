import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  columnsOf,
  DAILY_RATED_COLUMNS,
  DAILY_RATED_REQUIRED,
  hashedIdentityColumns,
  LEGACY_COLUMNS,
  LEGACY_REQUIRED,
  LINE_COLUMNS,
  nameIn,
  type LineColumn,
} from '../src/domain/line-schema.js';
import { lineItemRow } from '../src/ingest/json-line-items.js';
import { DOCS, documented } from '../scripts/line-schema-docs.js';

const all: readonly LineColumn[] = LINE_COLUMNS;

// Partner Center's published layouts (shared/docs/partner-center-api.md §12.1 and §12.2), in order.
const DAILY_RATED = `PartnerId PartnerName CustomerId CustomerName CustomerDomainName CustomerCountry MpnId Tier2MpnId
  InvoiceNumber ProductId SkuId AvailabilityId SkuName ProductName PublisherName PublisherId SubscriptionDescription
  SubscriptionId ChargeStartDate ChargeEndDate UsageDate MeterType MeterCategory MeterId MeterSubCategory MeterName
  MeterRegion Unit ResourceLocation ConsumedService ResourceGroup ResourceURI ChargeType UnitPrice Quantity UnitType
  BillingPreTaxTotal BillingCurrency PricingPreTaxTotal PricingCurrency ServiceInfo1 ServiceInfo2 Tags AdditionalInfo
  EffectiveUnitPrice PCToBCExchangeRate PCToBCExchangeRateDate EntitlementId EntitlementDescription
  PartnerEarnedCreditPercentage CreditPercentage CreditType BenefitOrderId BenefitId BenefitType`.split(/\s+/);
const LEGACY =
  `PartnerId, PartnerName, PartnerBillableAccountId, CustomerCompanyName, MpnId, ResellerMpnId, InvoiceNumber,
  ChargeStartDate, ChargeEndDate, SubscriptionId, SubscriptionName, SubscriptionDescription, OrderId, ServiceName,
  ServiceType, ResourceGuid, ResourceName, Region, Sku, DetailLineItemId, ConsumedQuantity, IncludedQuantity,
  OverageQuantity, ListPrice, PretaxCharges, TaxAmount, PostTaxTotal, Currency, PretaxEffectiveRate,
  PostTaxEffectiveRate, ChargeType, CustomerId, DomainName, BillingCycleType, Unit, CustomerBillableAccount, UsageDate,
  MeteredRegion, MeteredService, MeteredServiceType, Project, ServiceInfo`.split(/,\s*/);
// Graph's `basic` attribute set (billing-export-api.md §6.2).
const BASIC = `PartnerId PartnerName CustomerId CustomerName InvoiceNumber ProductId SkuId SkuName PublisherName
  SubscriptionId ChargeStartDate ChargeEndDate UsageDate ResourceURI ChargeType UnitPrice Quantity UnitType
  BillingPreTaxTotal BillingCurrency PricingPreTaxTotal PricingCurrency AdditionalInfo EffectiveUnitPrice
  PCToBCExchangeRate EntitlementId CreditPercentage CreditType BenefitOrderId BenefitType`.split(/\s+/);

describe('the line schema: every column of a line, described once', () => {
  it("lists the daily-rated and legacy files' columns in Partner Center's order", () => {
    assert.deepEqual([...DAILY_RATED_COLUMNS], DAILY_RATED);
    assert.deepEqual([...LEGACY_COLUMNS], LEGACY);
    assert.equal(new Set(all.map((c) => c.csv ?? c.legacy!.name)).size, all.length, 'one entry a column');
  });

  it('requires the columns an import cannot do without, in each layout', () => {
    assert.deepEqual(
      [...DAILY_RATED_REQUIRED],
      'PartnerId CustomerId CustomerName SubscriptionId UsageDate MeterId Quantity BillingPreTaxTotal BillingCurrency PricingPreTaxTotal PricingCurrency'.split(
        ' ',
      ),
    );
    assert.deepEqual(
      [...LEGACY_REQUIRED],
      'PartnerId CustomerId CustomerCompanyName SubscriptionId UsageDate ResourceGuid ConsumedQuantity PretaxCharges Currency'.split(
        ' ',
      ),
    );
  });

  it('hashes the identity columns stored lines were hashed with, in that order', () => {
    // Changing these would make every stored line look new (docs/ingest.md, "Line identity").
    assert.deepEqual(hashedIdentityColumns('daily-rated'), [
      'ProductId',
      'SkuId',
      'AvailabilityId',
      'ChargeType',
      'BenefitOrderId',
      'BenefitId',
      'BenefitType',
      'CreditType',
    ]);
    assert.deepEqual(hashedIdentityColumns('legacy'), [
      'ChargeType',
      'MeteredRegion',
      'MeteredService',
      'MeteredServiceType',
      'Project',
      'ServiceInfo',
      'Sku',
    ]);
    const entries = all.filter((c) => typeof c.identity === 'string').map((c) => `${c.csv}:${c.identity}`);
    assert.deepEqual(entries, [
      'PartnerId:partner',
      'CustomerId:customer',
      'SubscriptionId:subscription',
      'UsageDate:day',
      'MeterId:meter',
      'ResourceURI:resource',
      'EntitlementId:entitlement',
    ]);
  });

  it("names each column as Graph's blobs and the v1 line-item API do", () => {
    assert.deepEqual(
      all.filter((c) => c.basic).map((c) => c.graph),
      BASIC,
    );
    assert.equal(columnsOf('daily-rated').filter((c) => c.graph !== null).length, 55);
    const v1 = Object.fromEntries(all.filter((c) => c.v1 !== null).map((c) => [c.csv, c.v1]));
    assert.equal(v1.Tier2MpnId, 'resellerMpnId');
    assert.equal(v1.Unit, 'unitOfMeasure');
    assert.equal(v1.ResourceURI, 'resourceUri');
    assert.equal(v1.PCToBCExchangeRate, 'pcToBCExchangeRate');
    assert.equal(v1.PartnerEarnedCreditPercentage, 'rateOfPartnerEarnedCredit');
    assert.equal(v1.CreditPercentage, 'rateOfCredit');
    assert.equal(v1.CustomerName, 'customerName');
    assert.ok(!('BenefitId' in v1), 'the v1 API has no benefit columns');
    // Every name reads back as its column, in any case: JSON line items go through the same schema.
    const partner = '97da2849-d73e-4b43-aa90-7d090402c802';
    const row = lineItemRow(
      { resellerMpnId: '1234567', RATEOFPARTNEREARNEDCREDIT: 15, BenefitID: 'b', unitOfMeasure: '1 Hour' },
      1,
      partner,
    ).split(',');
    const at = (name: string) => row[DAILY_RATED_COLUMNS.indexOf(name as (typeof DAILY_RATED_COLUMNS)[number])];
    assert.deepEqual(['Tier2MpnId', 'PartnerEarnedCreditPercentage', 'BenefitId', 'Unit', 'PartnerId'].map(at), [
      '1234567',
      '15',
      'b',
      '1 Hour',
      partner,
    ]);
  });

  it('types every column, and names where each is kept', () => {
    const typed = Object.fromEntries(all.map((c) => [c.csv ?? c.legacy!.name, c.type]));
    for (const name of [
      'UnitPrice',
      'Quantity',
      'BillingPreTaxTotal',
      'PricingPreTaxTotal',
      'EffectiveUnitPrice',
      'PCToBCExchangeRate',
    ])
      assert.equal(typed[name], 'decimal', name);
    for (const name of ['ChargeStartDate', 'ChargeEndDate', 'UsageDate', 'PCToBCExchangeRateDate'])
      assert.equal(typed[name], 'datetime', name);
    assert.equal(typed.PartnerEarnedCreditPercentage, 'percent');
    assert.equal(typed.AdditionalInfo, 'json');
    assert.equal(typed.EntitlementId, 'guid');
    assert.equal(typed.ListPrice, 'text', 'Microsoft writes it with a currency sign');
    assert.deepEqual(
      all.filter((c) => c.amount !== null).map((c) => [nameIn(c, 'daily-rated'), nameIn(c, 'legacy'), c.amount]),
      [
        ['Quantity', 'ConsumedQuantity', 0],
        ['BillingPreTaxTotal', 'PretaxCharges', 1],
        ['PricingPreTaxTotal', null, 2],
      ],
    );
  });

  it('is the column table of docs/ingest.md (npm run docs:columns writes it)', () => {
    const text = fs.readFileSync(DOCS, 'utf8');
    assert.equal(text, documented(text), 'docs/ingest.md is not current: run npm run docs:columns');
    assert.equal(text.split('\n').filter((l) => l.startsWith('| `') || l.startsWith('| —')).length >= all.length, true);
  });
});
