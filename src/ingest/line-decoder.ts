import { v5 as uuidv5 } from 'uuid';
import { convertToUsd, localeForCurrency } from '../domain/currency.js';
import type { PlanKind } from '../domain/usage-model.js';
import type { ScannedRecord } from './csv-scanner.js';
import { ByteDictionary } from './byte-dictionary.js';
import { DecimalRead, readDecimal } from '../money/decimal-bytes.js';
import { SumTable } from '../money/sum-table.js';
import { isCurrencyCode, isGuid, parseUsageDay, periodOfDay } from './field-parsers.js';
import type { ColumnIndex, DailyRatedColumn, LegacyColumn, RecognisedHeader } from './file-formats.js';
import { AMOUNTS, appendAmount, growLineBatch, newLineBatch, type LineBatch } from './line-batch.js';
import { DAILY_RATED_LINE_COLUMNS, LEGACY_LINE_COLUMNS, LineIdentity } from './line-identity.js';

/** A line the importer cannot read: names the line, the column and the value. */
export class LineError extends Error {
  constructor(
    readonly line: number,
    readonly column: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}${value === '' ? '' : ` (value: ${JSON.stringify(value)})`}`);
    this.name = 'LineError';
  }
}

// Legacy subscription ids are commerce ids ("usCBMgAAAAAAAAIA"), not GUIDs; a stable GUID is made
// from them so the routes, which take GUIDs, can name them.
const LEGACY_SUBSCRIPTION_NAMESPACE = '6f1c7a52-3c8e-4c1e-9a55-0c1d1ac7e0b5';

/** The subscription id the routes know a legacy subscription by. */
export function legacySubscriptionId(commerceId: string): string {
  return isGuid(commerceId) ? commerceId.toLowerCase() : uuidv5(commerceId, LEGACY_SUBSCRIPTION_NAMESPACE);
}

type Latin1 = Buffer & { latin1Slice(start: number, end: number): string };

/** An amount of a line: the column holding its decimal text, or text computed from others. */
type Amount = number | string;

/**
 * Turns scanned records into line batches: validates each field it uses, gives each dimension
 * entry an import-local index (looked up from the bytes: see byte-dictionary.ts) and computes
 * the line identity. One instance per file.
 */
export abstract class LineDecoder {
  #batch: LineBatch = newLineBatch();
  readonly #recycled: (readonly ArrayBufferLike[])[] = [];
  /** The lines' exact sums per (resource, meter, period), handed to the importer at the end. */
  readonly sums = new SumTable(AMOUNTS);
  readonly #parts = new Float64Array(2);
  #start = 0;
  #end = 0;
  protected readonly partners = new ByteDictionary();
  protected readonly customers = new ByteDictionary();
  protected readonly subscriptions = new ByteDictionary();
  protected readonly entitlements = new ByteDictionary();
  protected readonly resources = new ByteDictionary();
  protected readonly meters = new ByteDictionary();
  readonly #customerCurrency: string[] = [];
  readonly #periodIndex = new Map<string, number>();
  readonly #currencies = new Map<number, string>();
  readonly #width: number;
  readonly #identity: LineIdentity;
  #identityWords: Int32Array = new Int32Array(0); // the current batch's identities as [lo, hi] words
  readonly #prevDay = Buffer.alloc(64);
  #prevDayLength = -1;
  #day = 0;
  #period = 0;

  protected constructor(width: number, identityColumns: readonly number[]) {
    this.#width = width;
    this.#identity = new LineIdentity(identityColumns);
  }

  /** Decodes one record into the current batch, or throws a LineError. */
  abstract decode(rec: ScannedRecord): void;

  get pending(): number {
    return this.#batch.count;
  }

  /** Hands over the batch built so far and starts a new one. */
  take(): LineBatch {
    const batch = this.#batch;
    this.#batch = newLineBatch(this.#recycled.pop());
    return batch;
  }

  /** Takes back the buffers of a batch the importer has written, for a later batch. */
  recycle(buffers: readonly ArrayBufferLike[]): void {
    this.#recycled.push(buffers);
  }

  protected get batch(): LineBatch {
    return this.#batch;
  }

  protected checkWidth(rec: ScannedRecord): void {
    if (rec.count !== this.#width) {
      throw new LineError(rec.line, '(record)', '', `has ${rec.count} fields; the header has ${this.#width}`);
    }
  }

  /** A field's text (UTF-8, doubled quotes undone); '' for a column the file lacks. */
  protected text(rec: ScannedRecord, col: number): string {
    if (col < 0) return '';
    const s = rec.buf.toString('utf8', rec.starts[col], rec.ends[col]);
    return rec.escaped[col] ? s.replaceAll('""', '"') : s;
  }

  /** A field that is ASCII when valid (ids, numbers, dates, codes), without UTF-8 decoding. */
  protected ascii(rec: ScannedRecord, col: number): string {
    return col < 0 ? '' : (rec.buf as Latin1).latin1Slice(rec.starts[col]!, rec.ends[col]!).trim();
  }

  /** The dictionary index of a column's bytes under `parent`, or -1 when not seen yet. */
  protected find(dict: ByteDictionary, rec: ScannedRecord, col: number, parent: number): number {
    return col < 0 ? dict.find(rec.buf, 0, 0, parent) : dict.find(rec.buf, rec.starts[col]!, rec.ends[col]!, parent);
  }

  /** Adds the column's bytes under `parent`, an entry of `parents` (whose identity seeds the new entry's). */
  protected add(
    dict: ByteDictionary,
    rec: ScannedRecord,
    col: number,
    parent: number,
    parents?: ByteDictionary,
  ): number {
    return col < 0
      ? dict.add(rec.buf, 0, 0, parent, parents)
      : dict.add(rec.buf, rec.starts[col]!, rec.ends[col]!, parent, parents);
  }

  protected guid(rec: ScannedRecord, col: number, name: string): string {
    const value = this.ascii(rec, col);
    if (!isGuid(value)) throw new LineError(rec.line, name, value, 'is not a GUID');
    return value.toLowerCase();
  }

  /** Checks that a column holds a decimal; returns the column, which push() copies as bytes. */
  protected decimal(rec: ScannedRecord, col: number, name: string): Amount {
    this.#trim(rec, col);
    if (readDecimal(rec.buf, this.#start, this.#end, this.#parts, 0) === DecimalRead.Invalid)
      throw new LineError(rec.line, name, this.ascii(rec, col), 'is not a decimal number');
    return col;
  }

  // Sets #start and #end to a column's byte range without surrounding spaces (0, 0 for an absent
  // column); fields rather than a returned pair, which was garbage made several times a line.
  #trim(rec: ScannedRecord, col: number): void {
    let s = 0;
    let e = 0;
    if (col >= 0) {
      s = rec.starts[col]!;
      e = rec.ends[col]!;
      while (s < e && rec.buf[s] === 0x20) s++;
      while (e > s && rec.buf[e - 1] === 0x20) e--;
    }
    this.#start = s;
    this.#end = e;
  }

  // Sums amount k of the line into its group, and appends its bytes to the batch.
  #addAmount(rec: ScannedRecord, group: number, k: number, amount: Amount): void {
    let bytes: Uint8Array = rec.buf;
    if (typeof amount === 'string') {
      bytes = Buffer.from(amount, 'latin1');
      this.#start = 0;
      this.#end = bytes.length;
    } else {
      this.#trim(rec, amount);
    }
    const s = this.#start;
    const e = this.#end;
    const parts = this.#parts;
    if (readDecimal(bytes, s, e, parts, 0) === DecimalRead.Fast) this.sums.add(group, k, parts, 0);
    else this.sums.addText(group, k, Buffer.from(bytes.buffer, bytes.byteOffset + s, e - s).toString('latin1'));
    appendAmount(this.#batch, bytes, s, e);
  }

  protected currency(rec: ScannedRecord, col: number, name: string): string {
    const { buf, starts, ends } = rec;
    if (col >= 0 && ends[col]! - starts[col]! === 3) {
      const s = starts[col]!;
      const known = this.#currencies.get((buf[s]! << 16) | (buf[s + 1]! << 8) | buf[s + 2]!);
      if (known !== undefined) return known;
    }
    const value = this.ascii(rec, col);
    if (!isCurrencyCode(value)) throw new LineError(rec.line, name, value, 'is not a three-letter currency code');
    const code = value.toUpperCase();
    if (col >= 0 && ends[col]! - starts[col]! === 3) {
      const s = starts[col]!;
      this.#currencies.set((buf[s]! << 16) | (buf[s + 1]! << 8) | buf[s + 2]!, code);
    }
    return code;
  }

  protected customerCurrency(customer: number, currency: string, rec: ScannedRecord, name: string): void {
    const known = this.#customerCurrency[customer];
    if (known === undefined) this.#customerCurrency[customer] = currency;
    else if (known !== currency) {
      throw new LineError(rec.line, name, currency, `differs from the customer's billing currency ${known}`);
    }
  }

  /** Reads the line's usage day and billing period (the previous line's, when the bytes match). */
  protected usageDay(rec: ScannedRecord, col: number, name: string): void {
    const s = col < 0 ? 0 : rec.starts[col]!;
    const e = col < 0 ? 0 : rec.ends[col]!;
    const len = e - s;
    if (
      len !== this.#prevDayLength ||
      len > this.#prevDay.length ||
      rec.buf.compare(this.#prevDay, 0, len, s, e) !== 0
    ) {
      const text = this.ascii(rec, col);
      const day = parseUsageDay(text);
      if (day === undefined) throw new LineError(rec.line, name, text, 'is not a date');
      const period = periodOfDay(day);
      let p = this.#periodIndex.get(period);
      if (p === undefined) {
        p = this.#periodIndex.size;
        this.#periodIndex.set(period, p);
        this.#batch.periods.push(period);
      }
      this.#day = day;
      this.#period = p;
      if (len <= this.#prevDay.length) {
        rec.buf.copy(this.#prevDay, 0, s, e);
        this.#prevDayLength = len;
      }
    }
  }

  /** Completes the line. */
  protected push(
    rec: ScannedRecord,
    resource: number,
    meter: number,
    quantity: Amount,
    billing: Amount,
    usd: Amount,
  ): void {
    if (this.#batch.count === this.#batch.line.length) this.#batch = growLineBatch(this.#batch);
    const b = this.#batch;
    const i = b.count;
    b.line[i] = rec.line;
    b.resource[i] = resource;
    b.meter[i] = meter;
    b.day[i] = this.#day;
    b.period[i] = this.#period;
    if (this.#identityWords.buffer !== b.identity.buffer) this.#identityWords = new Int32Array(b.identity.buffer);
    this.#identity.of(
      rec,
      this.resources.identities,
      resource,
      this.meters.identities,
      meter,
      this.#day,
      this.#identityWords,
      2 * i,
    );
    const group = this.sums.row(resource, meter, this.#period);
    this.#addAmount(rec, group, 0, quantity);
    this.#addAmount(rec, group, 1, billing);
    this.#addAmount(rec, group, 2, usd);
    b.amountEnds[i] = b.amountsLength;
    b.count = i + 1;
  }
}

export class DailyRatedDecoder extends LineDecoder {
  readonly #c: ColumnIndex<DailyRatedColumn>;

  constructor(columns: ColumnIndex<DailyRatedColumn>, width: number) {
    super(
      width,
      DAILY_RATED_LINE_COLUMNS.map((c) => columns[c]),
    );
    this.#c = columns;
  }

  decode(rec: ScannedRecord): void {
    this.checkWidth(rec);
    const c = this.#c;
    // Values first: a line rejected for a bad value must not leave a new customer behind.
    this.usageDay(rec, c.UsageDate, 'UsageDate');
    const quantity = this.decimal(rec, c.Quantity, 'Quantity');
    const billing = this.decimal(rec, c.BillingPreTaxTotal, 'BillingPreTaxTotal');
    const pricing = this.decimal(rec, c.PricingPreTaxTotal, 'PricingPreTaxTotal');
    const billingCurrency = this.currency(rec, c.BillingCurrency, 'BillingCurrency');
    const pricingCurrency = this.currency(rec, c.PricingCurrency, 'PricingCurrency');
    let usd = pricing;
    if (pricingCurrency !== 'USD') {
      const converted =
        billingCurrency === 'USD' ? billing : convertToUsd(this.ascii(rec, c.PricingPreTaxTotal), pricingCurrency);
      if (converted === undefined) {
        throw new LineError(
          rec.line,
          'PricingCurrency',
          pricingCurrency,
          'has no USD rate to convert PricingPreTaxTotal with',
        );
      }
      usd = converted;
    }
    let partner = this.find(this.partners, rec, c.PartnerId, 0);
    if (partner < 0) partner = this.#newPartner(rec);
    let customer = this.find(this.customers, rec, c.CustomerId, partner);
    if (customer < 0) customer = this.#newCustomer(rec, partner, billingCurrency);
    this.customerCurrency(customer, billingCurrency, rec, 'BillingCurrency');
    let subscription = this.find(this.subscriptions, rec, c.SubscriptionId, customer);
    if (subscription < 0) subscription = this.#newSubscription(rec, customer);
    let entitlement = this.find(this.entitlements, rec, c.EntitlementId, subscription);
    if (entitlement < 0) entitlement = this.#newEntitlement(rec, subscription);
    let resource = this.find(this.resources, rec, c.ResourceURI, entitlement);
    if (resource < 0) resource = this.#newResource(rec, entitlement);
    let meter = this.find(this.meters, rec, c.MeterId, 0);
    if (meter < 0) meter = this.#newMeter(rec);
    this.push(rec, resource, meter, quantity, billing, usd);
  }

  #newPartner(rec: ScannedRecord): number {
    const c = this.#c;
    this.batch.partners.push({
      tenantId: this.guid(rec, c.PartnerId, 'PartnerId'),
      name: this.text(rec, c.PartnerName),
    });
    return this.add(this.partners, rec, c.PartnerId, 0);
  }

  #newCustomer(rec: ScannedRecord, partner: number, currency: string): number {
    const c = this.#c;
    this.batch.customers.push({
      partner,
      tenantId: this.guid(rec, c.CustomerId, 'CustomerId'),
      name: this.text(rec, c.CustomerName),
      domain: this.text(rec, c.CustomerDomainName),
      country: this.ascii(rec, c.CustomerCountry),
      currency,
      currencyLocale: null,
      plan: 'azure-plan' satisfies PlanKind,
    });
    return this.add(this.customers, rec, c.CustomerId, partner, this.partners);
  }

  #newSubscription(rec: ScannedRecord, customer: number): number {
    const c = this.#c;
    const offer = [c.ProductId, c.SkuId, c.AvailabilityId].map((col) => this.ascii(rec, col));
    this.batch.subscriptions.push({
      customer,
      subscriptionId: this.guid(rec, c.SubscriptionId, 'SubscriptionId'),
      offerId: offer.every((o) => o !== '') ? offer.join(':') : 'Azure plan',
      description: this.text(rec, c.SkuName) || 'Azure plan',
    });
    return this.add(this.subscriptions, rec, c.SubscriptionId, customer, this.customers);
  }

  #newEntitlement(rec: ScannedRecord, subscription: number): number {
    const c = this.#c;
    const id = this.ascii(rec, c.EntitlementId);
    this.batch.entitlements.push({
      subscription,
      entitlementId: id === '' ? '' : this.guid(rec, c.EntitlementId, 'EntitlementId'),
      description: this.text(rec, c.EntitlementDescription),
    });
    return this.add(this.entitlements, rec, c.EntitlementId, subscription, this.subscriptions);
  }

  #newResource(rec: ScannedRecord, entitlement: number): number {
    const c = this.#c;
    this.batch.resources.push({
      entitlement,
      uri: this.text(rec, c.ResourceURI),
      group: this.text(rec, c.ResourceGroup),
      location: this.text(rec, c.ResourceLocation),
      service: this.text(rec, c.ConsumedService),
      tags: this.text(rec, c.Tags),
    });
    return this.add(this.resources, rec, c.ResourceURI, entitlement, this.entitlements);
  }

  #newMeter(rec: ScannedRecord): number {
    const c = this.#c;
    const meterId = this.ascii(rec, c.MeterId);
    if (meterId === '') throw new LineError(rec.line, 'MeterId', '', 'is empty');
    this.batch.meters.push({
      meterId,
      name: this.text(rec, c.MeterName),
      category: this.text(rec, c.MeterCategory),
      subcategory: this.text(rec, c.MeterSubCategory),
      region: this.text(rec, c.MeterRegion),
      unit: this.text(rec, c.Unit),
    });
    return this.add(this.meters, rec, c.MeterId, 0);
  }
}

export class LegacyDecoder extends LineDecoder {
  readonly #c: ColumnIndex<LegacyColumn>;

  constructor(columns: ColumnIndex<LegacyColumn>, width: number) {
    super(
      width,
      LEGACY_LINE_COLUMNS.map((c) => columns[c]),
    );
    this.#c = columns;
  }

  decode(rec: ScannedRecord): void {
    this.checkWidth(rec);
    const c = this.#c;
    this.usageDay(rec, c.UsageDate, 'UsageDate');
    const quantity = this.decimal(rec, c.ConsumedQuantity, 'ConsumedQuantity');
    const charges = this.decimal(rec, c.PretaxCharges, 'PretaxCharges');
    const currency = this.currency(rec, c.Currency, 'Currency');
    const batch = this.batch;
    let partner = this.find(this.partners, rec, c.PartnerId, 0);
    if (partner < 0) {
      batch.partners.push({ tenantId: this.guid(rec, c.PartnerId, 'PartnerId'), name: this.text(rec, c.PartnerName) });
      partner = this.add(this.partners, rec, c.PartnerId, 0);
    }
    let customer = this.find(this.customers, rec, c.CustomerId, partner);
    if (customer < 0) {
      batch.customers.push({
        partner,
        tenantId: this.guid(rec, c.CustomerId, 'CustomerId'),
        name: this.text(rec, c.CustomerCompanyName),
        domain: this.text(rec, c.DomainName),
        country: '',
        currency,
        currencyLocale: localeForCurrency(currency),
        plan: 'legacy',
      });
      customer = this.add(this.customers, rec, c.CustomerId, partner, this.partners);
    }
    this.customerCurrency(customer, currency, rec, 'Currency');
    let subscription = this.find(this.subscriptions, rec, c.SubscriptionId, customer);
    if (subscription < 0) {
      const raw = this.ascii(rec, c.SubscriptionId);
      if (raw === '') throw new LineError(rec.line, 'SubscriptionId', '', 'is empty');
      batch.subscriptions.push({
        customer,
        subscriptionId: legacySubscriptionId(raw),
        offerId: 'MS-AZR-0145P',
        description:
          this.text(rec, c.SubscriptionDescription) || this.text(rec, c.SubscriptionName) || 'Microsoft Azure',
      });
      subscription = this.add(this.subscriptions, rec, c.SubscriptionId, customer, this.customers);
      // A legacy subscription is its own Azure subscription, and its lines name no resource.
      batch.entitlements.push({ subscription, entitlementId: '', description: this.text(rec, c.SubscriptionName) });
      const entitlement = this.add(this.entitlements, rec, -1, subscription, this.subscriptions);
      batch.resources.push({ entitlement, uri: '', group: '', location: '', service: '', tags: '' });
      this.add(this.resources, rec, -1, entitlement, this.entitlements);
    }
    const resource = this.find(this.resources, rec, -1, this.find(this.entitlements, rec, -1, subscription));
    let meter = this.find(this.meters, rec, c.ResourceGuid, 0);
    if (meter < 0) {
      const meterId = this.ascii(rec, c.ResourceGuid);
      if (meterId === '') throw new LineError(rec.line, 'ResourceGuid', '', 'is empty');
      batch.meters.push({
        meterId: isGuid(meterId) ? meterId.toLowerCase() : meterId,
        name: this.text(rec, c.ResourceName),
        category: this.text(rec, c.ServiceName),
        subcategory: this.text(rec, c.ServiceType),
        region: this.text(rec, c.Region) || this.text(rec, c.MeteredRegion),
        unit: this.text(rec, c.Unit),
      });
      meter = this.add(this.meters, rec, c.ResourceGuid, 0);
    }
    // Partner Center reports no USD figure for legacy customers (usdTotalCost 0); neither do we.
    this.push(rec, resource, meter, quantity, charges, '0');
  }
}

export function decoderFor(header: RecognisedHeader): LineDecoder {
  return header.format === 'daily-rated'
    ? new DailyRatedDecoder(header.columns, header.width)
    : new LegacyDecoder(header.columns, header.width);
}
