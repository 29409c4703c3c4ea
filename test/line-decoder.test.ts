import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { convertToUsd } from '../src/domain/currency.js';
import { CsvScanner, type ScannedRecord } from '../src/ingest/csv-scanner.js';
import { recogniseHeader } from '../src/ingest/file-formats.js';
import { DAILY_RATED_COLUMNS, LEGACY_COLUMNS } from '../src/domain/line-schema.js';
import type { LineBatch } from '../src/domain/line-batch.js';
import { LineDictionary, LineFields } from '../src/domain/line-fields.js';
import { decoderFor, legacySubscriptionId, LineError, type DecoderRules } from '../src/ingest/line-decoder.js';
import { loadIdentityHasher } from '../src/ingest/line-identity.js';

/**
 * The decoder's rules, in process: the importer runs this code in parse workers, whose coverage a
 * mutation run cannot see; the importer's own tests check the same rules end to end.
 */
const PARTNER = '3a6b8f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER_PARTNER = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const CUSTOMER = 'c1111111-2222-4333-8444-555555555555';
const CUSTOMER_2 = 'c2222222-3333-4444-8555-666666666666';
const SUBSCRIPTION = '5b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const METER = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const MPN = '4567890';

type Line = Record<string, string>;

/** The columns both formats name alike. */
const OWNERS: Line = { PartnerId: PARTNER, PartnerName: 'Partner', CustomerId: CUSTOMER };

function dailyRated(line: Line): Line {
  return {
    ...OWNERS,
    CustomerName: 'Customer',
    CustomerDomainName: 'customer.example',
    CustomerCountry: 'GB',
    MpnId: MPN,
    ProductId: 'DZH318Z0BPS6',
    SkuId: '0001',
    AvailabilityId: 'DZH318Z0BML6',
    SkuName: 'Tables',
    EntitlementId: SUBSCRIPTION,
    EntitlementDescription: 'Azure subscription 1',
    SubscriptionId: 'e7a9c1d3-2b4f-4a6c-9e8d-7f6a5b4c3d2e',
    UsageDate: '2026-11-03',
    MeterId: METER,
    MeterName: 'LRS Data Stored',
    MeterCategory: 'Storage',
    MeterSubCategory: 'Tables',
    MeterRegion: 'UK South',
    Unit: '1 GB/Month',
    ResourceURI: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`,
    ResourceGroup: 'rg',
    ResourceLocation: 'uksouth',
    ConsumedService: 'Microsoft.Storage',
    ChargeType: 'new',
    Quantity: '1.5',
    BillingPreTaxTotal: '0.75',
    BillingCurrency: 'GBP',
    PricingPreTaxTotal: '1',
    PricingCurrency: 'USD',
    ...line,
  };
}

function legacy(line: Line): Line {
  return {
    ...OWNERS,
    CustomerCompanyName: 'Legacy Customer',
    DomainName: 'legacy.example',
    SubscriptionId: 'AbC-123',
    SubscriptionName: 'Pay-As-You-Go',
    SubscriptionDescription: '',
    UsageDate: '2026-11-03',
    ResourceGuid: METER,
    ResourceName: 'Compute Hours',
    ServiceName: 'Virtual Machines',
    ServiceType: 'Standard',
    Region: '',
    MeteredRegion: 'EU West',
    Unit: 'Hours',
    ConsumedQuantity: '2',
    PretaxCharges: '0.20',
    Currency: 'EUR',
    ...line,
  };
}

/** The identities of `dailyRated({})` and `legacy({})`, as this release stores them. */
const GOLDEN = { daily: '16b2f2bec66c5d1e', legacy: '6785e0ea79240de4' };

const RULES: DecoderRules = { partner: undefined, storedCurrencies: new Map(), firstDay: 20100101, lastDay: 20261231 };

interface Decoded {
  readonly batch: LineBatch;
  /** Per group (resource, meter, period) of the lines decoded: quantity, billing and USD sums. */
  readonly sums: string[][];
  /** Per line: its amounts as the batch carries them to the writer. */
  readonly amounts: string[][];
  /** Line → the error the decoder gave it (a rejected line adds nothing). */
  readonly errors: Map<number, LineError>;
  /** "customer index|yyyymmdd" → [billing, USD] summed over the day's lines. */
  readonly days: Map<string, [string, string]>;
}

/** Decodes `lines` (as a file of `columns` with a header) as a parse worker does. */
function decode(
  columns: readonly string[],
  lines: Line[],
  rules: Partial<DecoderRules> = {},
  bytes: (file: Buffer) => Buffer = (b) => b,
): Decoded {
  const text = Papa.unparse(lines, { columns: [...columns], newline: '\n' }) + '\n';
  const header = text.slice(0, text.indexOf('\n')).split(',');
  const decoder = decoderFor(recogniseHeader(header), { ...RULES, ...rules });
  const errors = new Map<number, LineError>();
  let first = true;
  const scanner = new CsvScanner((rec: ScannedRecord) => {
    if (first) {
      first = false;
      return;
    }
    try {
      decoder.decode(rec);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      errors.set(rec.line, error);
    }
  });
  scanner.push(bytes(Buffer.from(text)));
  scanner.end();
  const sums = Array.from({ length: decoder.sums.rows }, (_, row) => [0, 1, 2].map((k) => decoder.sums.text(row, k)));
  const daySums = decoder.daySums;
  const days = new Map<string, [string, string]>();
  for (let row = 0; row < daySums.rows; row++) {
    days.set(`${daySums.key(row, 0)}|${daySums.key(row, 1)}`, [daySums.text(row, 0), daySums.text(row, 1)]);
  }
  const batch = decoder.take();
  const amountText = Buffer.from(batch.amounts.subarray(0, batch.amountsLength)).toString('latin1');
  const amounts = amountText === '' ? [] : amountText.slice(0, -1).split(',');
  return {
    batch,
    errors,
    sums,
    days,
    amounts: Array.from({ length: batch.count }, (_, i) => amounts.slice(3 * i, 3 * i + 3)),
  };
}

const daily = (lines: Line[], rules?: Partial<DecoderRules>, bytes?: (file: Buffer) => Buffer) =>
  decode(DAILY_RATED_COLUMNS, lines.map(dailyRated), rules, bytes);
const legacyFile = (lines: Line[], rules?: Partial<DecoderRules>, bytes?: (file: Buffer) => Buffer) =>
  decode(LEGACY_COLUMNS, lines.map(legacy), rules, bytes);
/** The file with every `marker` replaced by raw bytes (which Papa would not write). */
const replacing = (marker: string, bytes: number[]) => (file: Buffer) =>
  Buffer.from(file.toString('latin1').replaceAll(marker, Buffer.from(bytes).toString('latin1')), 'latin1');

describe('the line decoder: the currency rule', () => {
  before(() => loadIdentityHasher());

  it("refuses a known customer's line in another currency on any line, not only its second", () => {
    const { batch, errors } = daily([
      {},
      { UsageDate: '2026-11-04' },
      { UsageDate: '2026-11-05', BillingCurrency: 'EUR' },
      { UsageDate: '2026-11-06', BillingCurrency: 'gbp' },
    ]);
    assert.deepEqual([...errors.keys()], [4]);
    assert.equal(errors.get(4)!.column, 'BillingCurrency');
    assert.match(
      errors.get(4)!.message,
      /^line 4, column BillingCurrency: differs from the customer's billing currency GBP/,
    );
    assert.equal(batch.count, 3, 'the lower-case gbp line is the same currency');
    assert.equal(batch.customers.length, 1);
    assert.equal(batch.customers[0]!.currency, 'GBP');
  });

  it('holds each customer to its own currency: a second customer may bill in another', () => {
    const { batch, errors } = daily([
      {},
      { CustomerId: CUSTOMER_2, BillingCurrency: 'EUR', PricingCurrency: 'EUR', PricingPreTaxTotal: '0.9' },
      { CustomerId: CUSTOMER_2, BillingCurrency: 'GBP', UsageDate: '2026-11-04' },
      { CustomerId: CUSTOMER_2, BillingCurrency: 'EUR', PricingCurrency: 'EUR', UsageDate: '2026-11-05' },
    ]);
    assert.deepEqual([...errors.keys()], [4]);
    assert.match(errors.get(4)!.message, /billing currency EUR/);
    assert.deepEqual(
      batch.customers.map((c) => [c.tenantId, c.currency]),
      [
        [CUSTOMER, 'GBP'],
        [CUSTOMER_2, 'EUR'],
      ],
    );
  });

  it('refuses a new customer whose currency differs from the one an earlier import stored', () => {
    const stored = new Map([[`${PARTNER}|${CUSTOMER}`, 'EUR']]);
    const { batch, errors } = daily([{}, { CustomerId: CUSTOMER_2 }], { storedCurrencies: stored });
    assert.deepEqual([...errors.keys()], [2]);
    assert.match(errors.get(2)!.message, /billing currency EUR, stored by an earlier import/);
    assert.equal(errors.get(2)!.column, 'BillingCurrency');
    assert.deepEqual(
      batch.customers.map((c) => c.tenantId),
      [CUSTOMER_2],
    );
    // The stored currency is the one used for the check: the same currency passes.
    assert.equal(daily([{ BillingCurrency: 'EUR' }], { storedCurrencies: stored }).errors.size, 0);
  });

  it('applies the same rule to legacy lines, with their Currency column and a locale', () => {
    const { batch, errors } = legacyFile([
      {},
      { UsageDate: '2026-11-04', Currency: 'USD' },
      { UsageDate: '2026-11-05', Currency: 'eur' },
    ]);
    assert.deepEqual([...errors.keys()], [3]);
    assert.equal(errors.get(3)!.column, 'Currency');
    assert.equal(batch.customers[0]!.currency, 'EUR');
    assert.equal(batch.customers[0]!.currencyLocale, 'fr-FR');
    assert.equal(batch.customers[0]!.plan, 'legacy');
    const stored = legacyFile([{}], { storedCurrencies: new Map([[`${PARTNER}|${CUSTOMER}`, 'GBP']]) });
    assert.match(stored.errors.get(2)!.message, /column Currency: differs .* GBP, stored by an earlier import/);
  });

  it('refuses a currency that is not three letters, naming the column', () => {
    const { errors } = daily([{ BillingCurrency: 'GB' }, { PricingCurrency: 'US$' }]);
    assert.match(errors.get(2)!.message, /column BillingCurrency: is not a three-letter currency code/);
    assert.match(errors.get(3)!.message, /column PricingCurrency: is not a three-letter currency code/);
  });
});

describe('the line decoder: one partner a file', () => {
  before(() => loadIdentityHasher());

  it("refuses another partner's line, naming the first partner's line, and keeps nothing of it", () => {
    const { batch, errors } = daily([
      {},
      { PartnerId: OTHER_PARTNER, CustomerId: CUSTOMER_2 },
      { UsageDate: '2026-11-04' },
    ]);
    assert.deepEqual([...errors.keys()], [3]);
    assert.equal(errors.get(3)!.column, 'PartnerId');
    assert.match(errors.get(3)!.message, new RegExp(`is not the file's partner ${PARTNER} \\(line 2\\)`));
    assert.deepEqual(
      batch.partners.map((p) => [p.tenantId, p.line]),
      [[PARTNER, 2]],
    );
    assert.equal(batch.customers.length, 1, "the refused line's customer is not added");
    assert.equal(batch.count, 2);
  });

  it("holds a part of a split file to the file's partner the importer found", () => {
    const { batch, errors } = legacyFile([{ PartnerId: PARTNER.toUpperCase() }, { PartnerId: OTHER_PARTNER }], {
      partner: PARTNER,
    });
    assert.deepEqual([...errors.keys()], [3]);
    assert.equal(batch.partners[0]!.tenantId, PARTNER, 'stored in lower case');
    const other = daily([{}], { partner: OTHER_PARTNER });
    assert.match(
      other.errors.get(2)!.message,
      new RegExp(`is not the file's partner ${OTHER_PARTNER}: a reconciliation`),
    );
  });

  it('refuses a partner or customer id that is not a GUID', () => {
    const { errors } = daily([{ PartnerId: 'partner-1' }, { CustomerId: `${CUSTOMER}x` }]);
    assert.match(errors.get(2)!.message, /column PartnerId: is not a GUID/);
    assert.match(errors.get(3)!.message, /column CustomerId: is not a GUID/);
  });
});

describe('the line decoder: what each line brings', () => {
  before(() => loadIdentityHasher());

  it('reads one subscription, entitlement, resource and meter for lines that differ only in case', () => {
    const { batch, errors } = daily([
      {},
      {
        CustomerId: CUSTOMER.toUpperCase(),
        MeterId: METER.toUpperCase(),
        ResourceURI: dailyRated({}).ResourceURI!.toUpperCase(),
        UsageDate: '2026-11-04',
      },
    ]);
    assert.equal(errors.size, 0);
    assert.equal(batch.count, 2);
    for (const kind of ['customers', 'subscriptions', 'entitlements', 'resources', 'meters'] as const) {
      assert.equal(batch[kind].length, 1, kind);
    }
    assert.equal(batch.resource[0], batch.resource[1]);
    assert.equal(batch.meter[0], batch.meter[1]);
    assert.deepEqual([...batch.day.subarray(0, 2)], [20261103, 20261104]);
  });

  it("records an Azure plan's offer, entitlement, resource and meter fields", () => {
    const { batch } = daily([{}]);
    assert.deepEqual(batch.subscriptions[0], {
      subscriptionId: 'e7a9c1d3-2b4f-4a6c-9e8d-7f6a5b4c3d2e',
      offerId: 'DZH318Z0BPS6:0001:DZH318Z0BML6',
      description: 'Tables',
      partnerOnRecord: MPN,
      customer: 0,
    });
    assert.deepEqual(batch.entitlements[0], {
      entitlementId: SUBSCRIPTION,
      description: 'Azure subscription 1',
      subscription: 0,
    });
    assert.equal(batch.resources[0]!.uri, dailyRated({}).ResourceURI!.toLowerCase());
    assert.equal(batch.resources[0]!.group, 'rg');
    assert.deepEqual(batch.meters[0], {
      meterId: METER,
      name: 'LRS Data Stored',
      category: 'Storage',
      subcategory: 'Tables',
      region: 'UK South',
      unit: '1 GB/Month',
    });
    assert.deepEqual(batch.customers[0], {
      tenantId: CUSTOMER,
      name: 'Customer',
      domain: 'customer.example',
      country: 'GB',
      currency: 'GBP',
      currencyLocale: null,
      plan: 'azure-plan',
      partner: 0,
    });
    const planless = daily([{ ProductId: '', SkuName: '' }]).batch.subscriptions[0]!;
    assert.deepEqual([planless.offerId, planless.description], ['Azure plan', 'Azure plan']);
  });

  it('gives a legacy subscription one entitlement and one resource without URI, and its meter a region', () => {
    const { batch, errors } = legacyFile([
      {},
      { ResourceGuid: 'bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee', Region: 'US East' },
    ]);
    assert.equal(errors.size, 0);
    assert.deepEqual(batch.subscriptions[0], {
      subscriptionId: legacySubscriptionId('AbC-123'),
      offerId: 'MS-AZR-0145P',
      description: 'Pay-As-You-Go',
      partnerOnRecord: '',
      customer: 0,
    });
    assert.deepEqual(batch.entitlements, [{ subscription: 0, entitlementId: '', description: 'Pay-As-You-Go' }]);
    assert.deepEqual(batch.resources, [
      { entitlement: 0, uri: '', displayUri: '', group: '', location: '', service: '', tags: '' },
    ]);
    assert.deepEqual(
      batch.meters.map((m) => [m.category, m.subcategory, m.region, m.unit]),
      [
        ['Virtual Machines', 'Standard', 'EU West', 'Hours'],
        ['Virtual Machines', 'Standard', 'US East', 'Hours'],
      ],
    );
    assert.equal(batch.resource[0], batch.resource[1], 'both lines on the one resource');
  });

  it('tells legacy commerce ids apart by case unless they have the shape of a GUID', () => {
    const { batch } = legacyFile([
      {},
      { SubscriptionId: 'abc-123', UsageDate: '2026-11-04' },
      { SubscriptionId: SUBSCRIPTION.toUpperCase(), UsageDate: '2026-11-05' },
    ]);
    assert.deepEqual(
      batch.subscriptions.map((s) => s.subscriptionId),
      [legacySubscriptionId('AbC-123'), legacySubscriptionId('abc-123'), SUBSCRIPTION],
    );
  });

  it('takes only the exact shape of a GUID as one: 36 characters, dashes at 9, 14, 19 and 24', () => {
    const guid = 'aabbccdd-eeff-4a1b-8c2d-aabbccddeeff';
    const near = [
      ...[8, 13, 18, 23].map((p) => `${guid.slice(0, p)}x${guid.slice(p + 1)}`),
      `${guid}a`,
      guid.slice(0, -1),
    ];
    for (const id of near) {
      const { batch } = legacyFile([
        { SubscriptionId: id.toUpperCase() },
        { SubscriptionId: id, UsageDate: '2026-11-04' },
      ]);
      assert.equal(batch.subscriptions.length, 2, `${id}: two spellings, two commerce ids`);
    }
    const { batch } = legacyFile([
      { SubscriptionId: guid.toUpperCase() },
      { SubscriptionId: guid, UsageDate: '2026-11-04' },
    ]);
    assert.equal(batch.subscriptions.length, 1, 'a GUID in either case is one');
  });

  it('reads a key with white space around it (space, tab, line breaks, VT, FF) as the key itself', () => {
    const uri = dailyRated({}).ResourceURI!;
    const around = [' ', '\t', '\n', '\v', '\f', '\r'];
    const { batch, errors } = daily([
      {},
      ...around.map((space, i) => ({ ResourceURI: `${space}${uri}${space}`, UsageDate: `2026-11-0${i + 4}` })),
    ]);
    assert.equal(errors.size, 0);
    assert.equal(batch.resources.length, 1, 'one resource');
    // Other control bytes are part of the key.
    const other = daily([{}, { ResourceURI: `\u0008${uri}`, UsageDate: '2026-11-04' }]);
    assert.equal(other.batch.resources.length, 2, 'a backspace is no white space');
  });

  it('refuses an empty meter id, an empty legacy subscription and a currency without a USD rate', () => {
    const { errors, batch } = daily([{ MeterId: '' }, { PricingCurrency: 'XYZ', BillingCurrency: 'XYZ' }]);
    assert.equal(errors.get(2)!.message, 'line 2, column MeterId: is empty');
    assert.match(errors.get(3)!.message, /column PricingCurrency: has no USD rate/);
    assert.equal(batch.count, 0);
    assert.equal(batch.meters.length + batch.customers.length + batch.partners.length, 0, 'nothing left behind');
    const legacyErrors = legacyFile([{ SubscriptionId: '' }, { ResourceGuid: '', SubscriptionId: 'x' }]).errors;
    assert.equal(legacyErrors.get(2)!.message, 'line 2, column SubscriptionId: is empty');
    assert.equal(legacyErrors.get(3)!.message, 'line 3, column ResourceGuid: is empty');
  });
});

describe('the line decoder: amounts', () => {
  before(() => loadIdentityHasher());

  it("sums each group's quantity, billing and USD totals exactly and hands the trimmed amounts on", () => {
    const { sums, amounts, errors } = daily([
      { Quantity: ' 1.5 ', BillingPreTaxTotal: '0.999999999999999', PricingPreTaxTotal: '1.25' },
      {
        Quantity: '2',
        BillingPreTaxTotal: '0.000000000000001',
        PricingPreTaxTotal: '1.5E-05',
        UsageDate: '2026-11-04',
      },
      { Quantity: '1', BillingPreTaxTotal: '-3', PricingPreTaxTotal: '0.1', MeterId: METER.replace('a', 'b') },
    ]);
    assert.equal(errors.size, 0);
    assert.deepEqual(sums, [
      ['3.5', '1', '1.250015'],
      ['1', '-3', '0.1'],
    ]);
    assert.deepEqual(amounts, [
      ['1.5', '0.999999999999999', '1.25'],
      ['2', '0.000000000000001', '1.5E-05'],
      ['1', '-3', '0.1'],
    ]);
  });

  it('takes the USD figure from PricingPreTaxTotal in USD, from the billing total billed in USD, else converts', () => {
    const { sums, amounts } = daily([
      { BillingCurrency: 'USD', PricingCurrency: 'EUR', BillingPreTaxTotal: '2.5', PricingPreTaxTotal: '2.3' },
      {
        CustomerId: CUSTOMER_2,
        BillingCurrency: 'GBP',
        PricingCurrency: 'usd',
        BillingPreTaxTotal: '7',
        PricingPreTaxTotal: '9.125',
      },
    ]);
    assert.deepEqual(
      amounts.map((a) => a[2]),
      ['2.5', '9.125'],
    );
    assert.deepEqual(
      sums.map((r) => r[2]),
      ['2.5', '9.125'],
    );
    const bothUsd = daily([
      { BillingCurrency: 'USD', PricingCurrency: 'USD', BillingPreTaxTotal: '2.5', PricingPreTaxTotal: '2.4' },
    ]);
    assert.equal(bothUsd.amounts[0]![2], '2.4', 'priced in USD: PricingPreTaxTotal is the USD figure');
    const converted = daily([{ BillingCurrency: 'EUR', PricingCurrency: 'EUR', PricingPreTaxTotal: '0.92' }]);
    assert.equal(converted.errors.size, 0);
    assert.equal(converted.amounts[0]![2], convertToUsd('0.92', 'EUR'));
    assert.notEqual(converted.amounts[0]![2], '0.92', 'EUR is converted to USD');
  });

  it('keeps PricingPreTaxTotal as the file wrote it, whichever currency prices the line', () => {
    // Stored once where it is the USD figure (priced in USD); as its own text where the USD figure
    // was taken from the billing total or converted — never the USD figure in its place.
    const lines = [
      { BillingCurrency: 'USD', PricingCurrency: 'EUR', BillingPreTaxTotal: '2.5', PricingPreTaxTotal: '2.3' },
      { BillingCurrency: 'USD', PricingCurrency: 'USD', BillingPreTaxTotal: '2.5', PricingPreTaxTotal: '2.4' },
      { CustomerId: CUSTOMER_2, BillingCurrency: 'EUR', PricingCurrency: 'EUR', PricingPreTaxTotal: '0.92' },
      { CustomerId: CUSTOMER_2, BillingCurrency: 'EUR', PricingCurrency: 'USD', PricingPreTaxTotal: '1.0100' },
    ];
    const { batch, amounts, errors } = daily(lines);
    assert.equal(errors.size, 0);
    const dictionary = new LineDictionary();
    dictionary.apply(batch.fieldsDelta);
    const fields = new LineFields(batch.fields, amounts.flat(), dictionary);
    const pricing = fields.columns.findIndex((c) => c.csv === 'PricingPreTaxTotal');
    assert.deepEqual(
      lines.map((_, i) => fields.at(i, pricing)),
      ['2.3', '2.4', '0.92', '1.0100'],
    );
    assert.deepEqual(
      amounts.map((a) => a[2]),
      ['2.5', '2.4', convertToUsd('0.92', 'EUR'), '1.0100'],
      'the USD figures beside them',
    );
  });

  it('gives legacy lines a USD total of 0, and sums their charges', () => {
    const { sums, amounts } = legacyFile([{}, { PretaxCharges: '0.05', UsageDate: '2026-11-04' }]);
    assert.deepEqual(amounts, [
      ['2', '0.20', '0'],
      ['2', '0.05', '0'],
    ]);
    assert.deepEqual(sums, [['4', '0.25', '0']]);
  });

  it('refuses an amount that is not a decimal or is out of range, naming its column', () => {
    const cases: [Line, RegExp][] = [
      [{ Quantity: 'abc' }, /column Quantity: is not a decimal number \(value: "abc"\)/],
      [
        { Quantity: 'x'.repeat(100) },
        new RegExp(`column Quantity: is outside the accepted range .* \\(value: "${'x'.repeat(80)}"\\)$`),
      ],
      [{ Quantity: '   ' }, /column Quantity: is not a decimal number/],
      [{ BillingPreTaxTotal: '1e999' }, /column BillingPreTaxTotal: is outside the accepted range/],
      [{ PricingPreTaxTotal: '1,5' }, /column PricingPreTaxTotal: is not a decimal number/],
      [{ UsageDate: 'yesterday' }, /column UsageDate: /],
    ];
    const { errors, batch } = daily(cases.map(([line]) => line));
    cases.forEach(([, reason], i) => assert.match(errors.get(i + 2)?.message ?? 'accepted', reason));
    assert.equal(batch.count, 0);
    const legacyCases: [Line, RegExp][] = [
      [{ ConsumedQuantity: 'x' }, /column ConsumedQuantity: is not a decimal/],
      [{ PretaxCharges: '' }, /column PretaxCharges: is not a decimal/],
      [{ Currency: 'EURO' }, /column Currency: is not a three-letter currency code/],
      [{ UsageDate: '13/45/2026' }, /column UsageDate: /],
    ];
    const legacyErrors = legacyFile(legacyCases.map(([line]) => line)).errors;
    legacyCases.forEach(([, reason], i) => assert.match(legacyErrors.get(i + 2)?.message ?? 'accepted', reason));
  });

  it('reads each currency code of its own bytes, however many share their first letters', () => {
    const { batch, errors } = daily([
      { BillingCurrency: 'GBP' },
      { CustomerId: CUSTOMER_2, BillingCurrency: 'GBQ', PricingCurrency: 'USD' },
      { CustomerId: CUSTOMER_2.replace('c2', 'c3'), BillingCurrency: 'XBP', PricingCurrency: 'USD' },
      { CustomerId: CUSTOMER_2.replace('c2', 'c4'), BillingCurrency: 'gbq', PricingCurrency: 'USD' },
    ]);
    assert.equal(errors.size, 0);
    assert.deepEqual(
      batch.customers.map((c) => c.currency),
      ['GBP', 'GBQ', 'XBP', 'GBQ'],
    );
  });
});

describe('the line decoder: entries and their columns', () => {
  before(() => loadIdentityHasher());

  it('sums billing and USD per (customer, usage day), exactly, whatever order the lines come in', () => {
    const other = { CustomerId: CUSTOMER_2 };
    const { days, errors } = daily([
      { UsageDate: '2026-11-03', BillingPreTaxTotal: ' 1.5 ', PricingPreTaxTotal: '2' },
      { UsageDate: '2026-11-03', BillingPreTaxTotal: '0.25', PricingPreTaxTotal: '-0.5' },
      { UsageDate: '2026-11-04', BillingPreTaxTotal: '10', PricingPreTaxTotal: '0' },
      { ...other, UsageDate: '2026-11-03', BillingPreTaxTotal: '7', PricingPreTaxTotal: '8' },
      // Back to the first customer's first day: its row grows again.
      {
        UsageDate: '2026-11-03',
        Quantity: '0.12345678901234567890123',
        BillingPreTaxTotal: '0.1234567890123456789012',
        PricingPreTaxTotal: '1e2',
      },
      { UsageDate: '2026-11-04', BillingPreTaxTotal: '999999999999999999', PricingPreTaxTotal: '999999999999999999' },
      { UsageDate: '2026-11-04', BillingPreTaxTotal: '999999999999999999', PricingPreTaxTotal: '-0.000001' },
      { ...other, UsageDate: '2026-11-05', BillingPreTaxTotal: '0', PricingPreTaxTotal: '0' },
      // Runs of one line whose only non-zero part is a billing fraction, or a USD whole number.
      { ...other, UsageDate: '2026-11-06', BillingPreTaxTotal: '0.5', PricingPreTaxTotal: '0' },
      { ...other, UsageDate: '2026-11-07', BillingPreTaxTotal: '0', PricingPreTaxTotal: '3' },
      { ...other, UsageDate: '2026-11-08', BillingPreTaxTotal: '0', PricingPreTaxTotal: '0.25' },
    ]);
    assert.equal(errors.size, 0);
    assert.deepEqual(
      [...days].sort(),
      [
        ['0|20261103', ['1.8734567890123456789012', '101.5']],
        ['0|20261104', ['2000000000000000008', '999999999999999998.999999']],
        ['1|20261103', ['7', '8']],
        ['1|20261106', ['0.5', '0']],
        ['1|20261107', ['0', '3']],
        ['1|20261108', ['0', '0.25']],
      ],
      'a day of zeros adds no row',
    );
    const legacyDays = legacyFile([{ PretaxCharges: '4.5' }, { PretaxCharges: '0.5', DetailLineItemId: '2' }]).days;
    assert.deepEqual([...legacyDays], [['0|20261103', ['5', '0']]], 'legacy lines carry no USD');
  });

  it('adds only the new entries of a line whose meter or resource is new', () => {
    const second = { MeterId: 'bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee' };
    const { batch } = daily([
      {},
      second,
      { ...second, ResourceURI: '/subscriptions/x/resourceGroups/rg2' },
      { ResourceURI: '/subscriptions/x/resourceGroups/rg3' },
    ]);
    assert.equal(batch.count, 4);
    assert.deepEqual(
      (['partners', 'customers', 'subscriptions', 'entitlements', 'resources', 'meters'] as const).map(
        (kind) => batch[kind].length,
      ),
      [1, 1, 1, 1, 3, 2],
    );
    assert.deepEqual([...batch.meter.subarray(0, 4)], [0, 1, 1, 0]);
    assert.deepEqual([...batch.resource.subarray(0, 4)], [0, 0, 1, 2]);
    assert.deepEqual(
      batch.resources.map((r) => r.entitlement),
      [0, 0, 0],
    );
    const legacyBatch = legacyFile([
      {},
      { ResourceGuid: second.MeterId },
      { SubscriptionId: 'other', UsageDate: '2026-11-05' },
    ]).batch;
    assert.deepEqual(
      (['partners', 'customers', 'subscriptions', 'entitlements', 'resources', 'meters'] as const).map(
        (kind) => legacyBatch[kind].length,
      ),
      [1, 1, 2, 2, 2, 2],
    );
    assert.deepEqual([...legacyBatch.resource.subarray(0, 3)], [0, 0, 1]);
  });

  it('names the column of a bad id: SubscriptionId, EntitlementId, CustomerId, ResourceURI', () => {
    const { errors, batch } = daily(
      [
        { SubscriptionId: 'sub-1' },
        { EntitlementId: 'ent-1' },
        { CustomerId: 'cust-1' },
        { ResourceURI: '/subscriptions/\u0001' },
        { EntitlementId: '', EntitlementDescription: '' },
      ],
      {},
      replacing('\u0001', [0xff, 0xfe]),
    );
    assert.match(errors.get(2)!.message, /column SubscriptionId: is not a GUID/);
    assert.match(errors.get(3)!.message, /column EntitlementId: is not a GUID/);
    assert.match(errors.get(4)!.message, /column CustomerId: is not a GUID/);
    assert.match(errors.get(5)!.message, /column ResourceURI: is not valid UTF-8/);
    assert.equal(errors.has(6), false, 'a line may name no entitlement');
    assert.deepEqual(
      batch.entitlements.map((e) => e.entitlementId),
      [''],
    );
    const legacyErrors = legacyFile(
      [{ CustomerId: 'cust-1' }, { ResourceGuid: '\u0001' }],
      {},
      replacing('\u0001', [0xc3]),
    ).errors;
    assert.match(legacyErrors.get(2)!.message, /column CustomerId: is not a GUID/);
    assert.match(legacyErrors.get(3)!.message, /column ResourceGuid: is not valid UTF-8/);
    assert.equal(daily([{ MeterId: '\u0001' }], {}, replacing('\u0001', [0xc3])).errors.get(2)!.column, 'MeterId');
  });

  it('gives a legacy customer no country, and a subscription its description, name or "Microsoft Azure"', () => {
    const { batch } = legacyFile([
      { SubscriptionDescription: 'Dev/Test' },
      { SubscriptionId: 'b', SubscriptionName: '', SubscriptionDescription: '' },
    ]);
    assert.equal(batch.customers[0]!.country, '');
    assert.deepEqual(
      batch.subscriptions.map((x) => x.description),
      ['Dev/Test', 'Microsoft Azure'],
    );
    assert.deepEqual(
      batch.entitlements.map((x) => x.description),
      ['Pay-As-You-Go', ''],
    );
  });

  it('gives a line the same identity in every release (stored identities must match the next import)', () => {
    const hex = (ids: BigInt64Array) => BigInt.asUintN(64, ids[0]!).toString(16);
    assert.equal(hex(daily([{}]).batch.identity), GOLDEN.daily);
    assert.equal(hex(legacyFile([{}]).batch.identity), GOLDEN.legacy);
  });

  it('tells legacy lines apart by their own identity columns, and repeats of one line not', () => {
    const { batch } = legacyFile([{}, { Sku: 'A1' }, { ChargeType: 'Refund' }, { MeteredService: 'x' }, {}]);
    const ids = [...batch.identity.subarray(0, 5)];
    assert.equal(new Set(ids.slice(0, 4)).size, 4);
    assert.equal(ids[4], ids[0]);
    const daily2 = daily([{}, { BenefitId: 'b' }, { ChargeType: 'refund' }, {}]).batch;
    const dailyIds = [...daily2.identity.subarray(0, 4)];
    assert.equal(new Set(dailyIds.slice(0, 3)).size, 3);
    assert.equal(dailyIds[3], dailyIds[0]);
  });
});
