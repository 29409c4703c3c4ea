import { isUtf8 } from 'node:buffer';
import { v5 as uuidv5 } from 'uuid';
import { convertToUsd, localeForCurrency } from '../domain/currency.js';
import { trimAsciiSpace } from '../domain/identifiers.js';
import type {
  CustomerInfo,
  EntitlementInfo,
  MeterInfo,
  PartnerInfo,
  PlanKind,
  ResourceInfo,
  SubscriptionInfo,
} from '../domain/usage-model.js';
import type { ScannedRecord } from './csv-scanner.js';
import { ByteDictionary } from './byte-dictionary.js';
import { dataViewOf } from './data-view-of.js';
import { DecimalRead, decimalProblem, readDecimal } from '../money/decimal-bytes.js';
import { addFastParts } from '../money/exact-sum.js';
import { SumTable } from '../money/sum-table.js';
import { isCurrencyCode, isGuid, parseUsageDay, periodOfDay } from '../domain/field-syntax.js';
import type { ColumnIndex, RecognisedHeader } from './file-formats.js';
import { hashedIdentityColumns, type DailyRatedColumn, type LegacyColumn } from '../domain/line-schema.js';
import {
  AMOUNTS,
  appendAmount,
  DAY_AMOUNTS,
  growLineBatch,
  newLineBatch,
  type LineBatch,
} from '../domain/line-batch.js';
import { LineIdentity } from './line-identity.js';
import { LineFieldsEncoder } from '../domain/line-fields.js';
import { columnsOf, nameIn, type LineFormat } from '../domain/line-schema.js';

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

/** What a file's lines are checked against besides their own fields (docs/ingest.md). */
export interface DecoderRules {
  /** The file's partner tenant (lower case), when the importer found it; else the first line's. */
  readonly partner: string | undefined;
  /** `partner|customer` tenant ids (lower case) → the billing currency earlier imports stored. */
  readonly storedCurrencies: ReadonlyMap<string, string>;
  /** The usage days accepted, as yyyymmdd. */
  readonly firstDay: number;
  readonly lastDay: number;
  /** Which of the import's parsers this is (each has its own dictionary of line fields: line-fields.ts). */
  readonly parser?: number;
}

/** How a key column is normalised before it is looked up (docs/ingest.md, "Identifiers"). */
const Fold = {
  /** Trimmed, exact bytes. */
  None: 0,
  /** Trimmed, ASCII letters in lower case: GUIDs, meter ids, resource URIs. */
  Always: 1,
  /** Trimmed, lower case only when it has a GUID's shape (a legacy commerce id is case-sensitive). */
  GuidShaped: 2,
} as const;
type Fold = (typeof Fold)[keyof typeof Fold];

// The key slots of a line: each dictionary's key, normalised into one scratch buffer.
const PARTNER = 0;
const CUSTOMER = 1;
const SUBSCRIPTION = 2;
const ENTITLEMENT = 3;
const RESOURCE = 4;
const METER = 5;
const SLOTS = 6;

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const guidShaped = (buf: Uint8Array, s: number, e: number) =>
  e - s === 36 && buf[s + 8] === 0x2d && buf[s + 13] === 0x2d && buf[s + 18] === 0x2d && buf[s + 23] === 0x2d;
const dayText = (day: number) =>
  `${Math.floor(day / 10000)}-${String(Math.floor(day / 100) % 100).padStart(2, '0')}-${String(day % 100).padStart(2, '0')}`;

/**
 * Turns scanned records into line batches: validates each field it uses, gives each dimension
 * entry an import-local index (looked up from the bytes: see byte-dictionary.ts) and computes
 * the line identity. One instance per file part.
 *
 * Every new dimension entry a line brings is validated before any is added, so a rejected line
 * (`--skip-invalid`) leaves no partner, customer, subscription, resource or meter behind.
 */
export abstract class LineDecoder<C extends string = string> {
  /** Each known column's position in the file. */
  protected readonly c: ColumnIndex<C>;
  #batch: LineBatch = newLineBatch();
  readonly #recycled: (readonly ArrayBufferLike[])[] = [];
  /** The lines' exact sums per (resource, meter, period), handed to the importer at the end. */
  readonly sums = new SumTable(AMOUNTS);
  /**
   * The lines' billing and USD sums per (customer, usage day): the forecast and the daily
   * figures read them. Small (customers × days), unlike a per-resource-meter-day table.
   */
  readonly #daySums = new SumTable(DAY_AMOUNTS);
  // Lines of one customer and day mostly follow each other: their sums gather here, and go to
  // #daySums when the run ends (a table row per line was measured at 15% of the import's speed).
  readonly #run = new Float64Array(2 * DAY_AMOUNTS);
  #runCustomer = -1;
  #runDay = 0;
  #lastResource = -1;
  #lastCustomer = -1;
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
  readonly #rules: DecoderRules;
  /** The header's names, for messages about a column by its position. */
  readonly #names: readonly string[];
  #partner: { tenantId: string; line: number } | undefined;
  #identityWords: Int32Array = new Int32Array(0); // the current batch's identities as [lo, hi] words
  readonly #prevDay = Buffer.alloc(64);
  #prevDayLength = -1;
  #day = 0;
  #period = 0;
  #keys = Buffer.alloc(4096);
  #keysView = new DataView(this.#keys.buffer, this.#keys.byteOffset, this.#keys.length);
  readonly #keyStart = new Int32Array(SLOTS);
  readonly #keyEnd = new Int32Array(SLOTS);
  readonly #keyEscaped = new Uint8Array(SLOTS);
  #keysUsed = 0;

  readonly #fields: LineFieldsEncoder;
  #entryBytes = 0;
  /** Per column of the layout (line-schema.ts), its position in the file (-1: absent) and its name. */
  readonly #fieldColumns: Int32Array;
  readonly #fieldNames: readonly string[];

  protected constructor(format: LineFormat, columns: ColumnIndex<C>, names: readonly string[], rules: DecoderRules) {
    this.c = columns;
    this.#fields = new LineFieldsEncoder(format, rules.parser ?? 0);
    this.#fieldNames = columnsOf(format).map((c) => nameIn(c, format)!);
    this.#fieldColumns = Int32Array.from(this.#fieldNames, (name) => columns[name as C] ?? -1);
    this.#names = names;
    this.#width = names.length;
    this.#identity = new LineIdentity(hashedIdentityColumns(format).map((name) => columns[name as C]));
    this.#rules = rules;
  }

  /** Decodes one record into the current batch, or throws a LineError. */
  abstract decode(rec: ScannedRecord): void;

  get pending(): number {
    return this.#batch.count;
  }

  /**
   * The bytes of the batch's records that brought new entries: their text is held as strings
   * until the batch is taken, so the parser takes it early when they are many (parse-task.ts).
   */
  get pendingEntryBytes(): number {
    return this.#entryBytes;
  }

  /** Groups whose sums left the fast form so far (they are objects on the heap: importer.ts). */
  get slowGroups(): number {
    return this.sums.slowRows + this.#daySums.slowRows;
  }

  /** A record brings new entries (its rows are in the batch). */
  protected noteEntries(rec: ScannedRecord): void {
    this.#entryBytes += rec.end - rec.start;
  }

  /** Hands over the batch built so far and starts a new one. */
  take(): LineBatch {
    const batch = this.#batch;
    ({ fields: batch.fields, delta: batch.fieldsDelta } = this.#fields.take(batch.fieldsSpace));
    batch.fieldsSpace = new Uint8Array(batch.fields.buffer); // grown, when it was too small
    this.#batch = newLineBatch(this.#recycled.pop());
    this.#entryBytes = 0;
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

  /**
   * Keeps every column of the line as written (line-fields.ts), each checked against its type in
   * the line schema; the line's fields are kept when push() completes it, taken back otherwise.
   * `resource`: the line's resource entry, -1 when it is new; `usdIsPricing`: the line's USD amount
   * is its PricingPreTaxTotal.
   */
  protected keepFields(rec: ScannedRecord, resource: number, usdIsPricing: boolean): void {
    const fields = this.#fields;
    fields.line(resource, usdIsPricing);
    const k = fields.encodeLine(rec.buf, dataViewOf(rec.buf), rec.starts, rec.ends, rec.escaped, this.#fieldColumns);
    if (k >= 0) {
      const utf8 = fields.problem.includes('UTF-8');
      const value = utf8 ? '' : this.ascii(rec, this.#fieldColumns[k]!).slice(0, 80);
      throw new LineError(rec.line, this.#fieldNames[k]!, value, fields.problem);
    }
  }

  /** A field's text (UTF-8, doubled quotes undone); '' for a column the file lacks. */
  protected text(rec: ScannedRecord, col: number): string {
    if (col < 0) return '';
    const start = rec.starts[col]!;
    const end = rec.ends[col]!;
    if (!isUtf8(rec.buf.subarray(start, end))) {
      throw new LineError(
        rec.line,
        this.#names[col] ?? `${col + 1}`,
        '',
        'is not valid UTF-8 (the file must be UTF-8)',
      );
    }
    const s = rec.buf.toString('utf8', start, end);
    return rec.escaped[col] ? s.replaceAll('""', '"') : s;
  }

  /** A field that is ASCII when valid (ids, numbers, dates, codes), without UTF-8 decoding. */
  protected ascii(rec: ScannedRecord, col: number): string {
    return col < 0 ? '' : trimAsciiSpace((rec.buf as Latin1).latin1Slice(rec.starts[col]!, rec.ends[col]!));
  }

  /** Starts a line's keys. */
  protected clearKeys(): void {
    this.#keysUsed = 0;
  }

  /**
   * Copies a key column into its slot, normalised: surrounding white space dropped and, per
   * `fold`, ASCII letters in lower case. Every dictionary look-up and identity hash reads the
   * slot, never the raw field, so two spellings of one id are one entry (docs/ingest.md).
   */
  protected key(rec: ScannedRecord, col: number, slot: number, fold: Fold): void {
    const buf = rec.buf;
    let s = 0;
    let e = 0;
    if (col >= 0) {
      s = rec.starts[col]!;
      e = rec.ends[col]!;
      while (s < e && isSpace(buf[s]!)) s++;
      while (e > s && isSpace(buf[e - 1]!)) e--;
    }
    let at = this.#keysUsed;
    if (at + e - s > this.#keys.length) {
      const next = Buffer.alloc(Math.max(2 * this.#keys.length, at + e - s));
      this.#keys.copy(next, 0, 0, at);
      this.#keys = next;
      this.#keysView = new DataView(next.buffer, next.byteOffset, next.length);
    }
    const out = this.#keys;
    this.#keyStart[slot] = at;
    this.#keyEscaped[slot] = col >= 0 ? rec.escaped[col]! : 0;
    if (fold === Fold.Always || (fold === Fold.GuidShaped && guidShaped(buf, s, e))) {
      // Four bytes at a time: a byte of 'A'–'Z' gets 0x20 added, found without a branch (its
      // low 7 bits + 0x3f pass 0x80 and + 0x25 do not; bytes ≥ 0x80 are left alone). Measured:
      // a byte loop over the ~330 key bytes of a line was a tenth of a parse worker's time.
      const from = dataViewOf(buf);
      const to = this.#keysView;
      let i = s;
      for (; i + 4 <= e; i += 4, at += 4) {
        const w = from.getInt32(i, true);
        const low = w & 0x7f7f7f7f;
        const upper = ((low + 0x3f3f3f3f) ^ (low + 0x25252525)) & ~w & 0x80808080;
        to.setInt32(at, w | (upper >>> 2), true);
      }
      for (; i < e; i++) {
        const c = buf[i]!;
        out[at++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
      }
    } else {
      buf.copy(out, at, s, e);
      at += e - s;
    }
    this.#keyEnd[slot] = at;
    this.#keysUsed = at;
  }

  /** A slot's key as text (UTF-8). */
  protected keyText(rec: ScannedRecord, slot: number, name: string): string {
    const key = this.#keys.subarray(this.#keyStart[slot], this.#keyEnd[slot]);
    if (!isUtf8(key)) throw new LineError(rec.line, name, '', 'is not valid UTF-8 (the file must be UTF-8)');
    const s = key.toString('utf8');
    return this.#keyEscaped[slot] ? s.replaceAll('""', '"') : s;
  }

  /** The dictionary index of a slot's key under `parent`, or -1 (also when the parent is -1: new). */
  protected find(dict: ByteDictionary, slot: number, parent: number): number {
    return parent < 0 ? -1 : dict.find(this.#keys, this.#keyStart[slot]!, this.#keyEnd[slot]!, parent);
  }

  /** Adds a slot's key under `parent`, an entry of `parents` (whose identity seeds the new entry's). */
  protected add(dict: ByteDictionary, slot: number, parent: number, parents?: ByteDictionary): number {
    return dict.add(this.#keys, this.#keyStart[slot]!, this.#keyEnd[slot]!, parent, parents);
  }

  protected guid(rec: ScannedRecord, col: number, name: string): string {
    const value = this.ascii(rec, col);
    if (!isGuid(value)) throw new LineError(rec.line, name, value, 'is not a GUID');
    return value.toLowerCase();
  }

  /** A new partner's row: its id must be a GUID and the file's partner (one partner a file). */
  protected partnerRow(rec: ScannedRecord, col: number, name: string): PartnerInfo & { line: number } {
    const tenantId = this.guid(rec, col, 'PartnerId');
    const expected = this.#rules.partner ?? this.#partner?.tenantId;
    if (expected !== undefined && tenantId !== expected) {
      throw new LineError(
        rec.line,
        'PartnerId',
        this.ascii(rec, col),
        `is not the file's partner ${expected}${this.#partner ? ` (line ${this.#partner.line})` : ''}: a reconciliation file holds one partner's usage`,
      );
    }
    this.#partner ??= { tenantId, line: rec.line };
    return { tenantId, name, line: rec.line };
  }

  /** Checks a new customer's currency against the one an earlier import stored for it. */
  protected storedCurrency(
    rec: ScannedRecord,
    partner: string,
    customer: string,
    currency: string,
    name: string,
  ): void {
    const stored = this.#rules.storedCurrencies.get(`${partner}|${customer}`);
    if (stored !== undefined && stored !== currency) {
      throw new LineError(
        rec.line,
        name,
        currency,
        `differs from the customer's billing currency ${stored}, stored by an earlier import`,
      );
    }
  }

  /** Checks that a column holds a decimal; returns the column, which push() copies as bytes. */
  protected decimal(rec: ScannedRecord, col: number, name: string): Amount {
    this.#trim(rec, col);
    const read = readDecimal(rec.buf, this.#start, this.#end, this.#parts, 0);
    if (read === DecimalRead.Invalid || read === DecimalRead.OutOfRange)
      throw new LineError(rec.line, name, this.ascii(rec, col).slice(0, 80), decimalProblem(read));
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
    if (readDecimal(bytes, s, e, parts, 0) === DecimalRead.Fast) {
      this.sums.add(group, k, parts, 0);
      if (k > 0 && !addFastParts(this.#run, 2 * (k - 1), parts[0]!, parts[1]!)) this.#flushRun();
    } else {
      const text = Buffer.from(bytes.buffer, bytes.byteOffset + s, e - s).toString('latin1');
      this.sums.addText(group, k, text);
      if (k > 0) this.#daySums.addText(this.#daySums.row(this.#runCustomer, this.#runDay), k - 1, text);
    }
    appendAmount(this.#batch, bytes, s, e);
  }

  /** The lines' billing and USD sums per (customer, usage day), for the importer at the end. */
  get daySums(): SumTable {
    this.#flushRun();
    return this.#daySums;
  }

  // Adds the run's sums to its (customer, day) row; a sum leaving the fast range is added again exactly.
  #flushRun(): void {
    const run = this.#run;
    if (this.#runCustomer >= 0 && (run[0] !== 0 || run[1] !== 0 || run[2] !== 0 || run[3] !== 0)) {
      const row = this.#daySums.row(this.#runCustomer, this.#runDay);
      this.#daySums.add(row, 0, run, 0);
      this.#daySums.add(row, 1, run, 2);
    }
    run.fill(0);
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

  /** A known customer's lines must all be in its billing currency. */
  protected customerCurrency(customer: number, currency: string, rec: ScannedRecord, name: string): void {
    const known = this.#customerCurrency[customer];
    if (known !== currency) {
      throw new LineError(rec.line, name, currency, `differs from the customer's billing currency ${known}`);
    }
  }

  /**
   * Adds a line's new partner and customer entries, their rows validated already (with every other
   * new row of the line); returns the line's partner and customer indexes.
   */
  protected addOwners(
    partnerRow: (PartnerInfo & { line: number }) | undefined,
    customerRow: Omit<CustomerInfo, 'partner'> | undefined,
    partner: number,
    customer: number,
    currency: string,
  ): { partner: number; customer: number } {
    if (partnerRow) {
      this.#batch.partners.push(partnerRow);
      partner = this.add(this.partners, PARTNER, 0);
    }
    if (customerRow) {
      this.#batch.customers.push({ ...customerRow, partner });
      customer = this.add(this.customers, CUSTOMER, partner, this.partners);
      this.#customerCurrency[customer] = currency;
    }
    return { partner, customer };
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
      if (day === undefined) throw new LineError(rec.line, name, text.slice(0, 80), 'is not a date');
      const { firstDay, lastDay } = this.#rules;
      if (day < firstDay || day > lastDay) {
        throw new LineError(
          rec.line,
          name,
          text,
          `is outside the accepted usage dates, ${dayText(firstDay)} to ${dayText(lastDay)}`,
        );
      }
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
    if (resource !== this.#lastResource) {
      this.#lastResource = resource;
      this.#lastCustomer = this.subscriptions.parentOf(this.entitlements.parentOf(this.resources.parentOf(resource)));
    }
    if (this.#lastCustomer !== this.#runCustomer || this.#day !== this.#runDay) {
      this.#flushRun();
      this.#runCustomer = this.#lastCustomer;
      this.#runDay = this.#day;
    }
    this.#addAmount(rec, group, 0, quantity);
    this.#addAmount(rec, group, 1, billing);
    this.#addAmount(rec, group, 2, usd);
    b.amountEnds[i] = b.amountsLength;
    b.count = i + 1;
    this.#fields.commit(resource);
  }
}

export class DailyRatedDecoder extends LineDecoder<DailyRatedColumn> {
  constructor(columns: ColumnIndex<DailyRatedColumn>, names: readonly string[], rules: DecoderRules) {
    super('daily-rated', columns, names, rules);
  }

  decode(rec: ScannedRecord): void {
    this.checkWidth(rec);
    const c = this.c;
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
    this.clearKeys();
    this.key(rec, c.PartnerId, PARTNER, Fold.Always);
    this.key(rec, c.CustomerId, CUSTOMER, Fold.Always);
    this.key(rec, c.SubscriptionId, SUBSCRIPTION, Fold.Always);
    this.key(rec, c.EntitlementId, ENTITLEMENT, Fold.Always);
    this.key(rec, c.ResourceURI, RESOURCE, Fold.Always);
    this.key(rec, c.MeterId, METER, Fold.Always);
    let partner = this.find(this.partners, PARTNER, 0);
    let customer = this.find(this.customers, CUSTOMER, partner);
    let subscription = this.find(this.subscriptions, SUBSCRIPTION, customer);
    let entitlement = this.find(this.entitlements, ENTITLEMENT, subscription);
    let resource = this.find(this.resources, RESOURCE, entitlement);
    let meter = this.find(this.meters, METER, 0);
    this.keepFields(rec, resource, usd === pricing);
    if (customer >= 0) this.customerCurrency(customer, billingCurrency, rec, 'BillingCurrency');
    if (resource < 0 || meter < 0) {
      this.noteEntries(rec);
      // Every new entry's row first (each validates its fields), then the entries: all or none.
      const partnerRow = partner < 0 ? this.partnerRow(rec, c.PartnerId, this.text(rec, c.PartnerName)) : undefined;
      const customerRow = customer < 0 ? this.#customerRow(rec, billingCurrency) : undefined;
      const subscriptionRow = subscription < 0 ? this.#subscriptionRow(rec) : undefined;
      const entitlementRow = entitlement < 0 ? this.#entitlementRow(rec) : undefined;
      const resourceRow = resource < 0 ? this.#resourceRow(rec) : undefined;
      const meterRow = meter < 0 ? this.#meterRow(rec) : undefined;
      const b = this.batch;
      ({ partner, customer } = this.addOwners(partnerRow, customerRow, partner, customer, billingCurrency));
      if (subscriptionRow) {
        b.subscriptions.push({ ...subscriptionRow, customer });
        subscription = this.add(this.subscriptions, SUBSCRIPTION, customer, this.customers);
      }
      if (entitlementRow) {
        b.entitlements.push({ ...entitlementRow, subscription });
        entitlement = this.add(this.entitlements, ENTITLEMENT, subscription, this.subscriptions);
      }
      if (resourceRow) {
        b.resources.push({ ...resourceRow, entitlement });
        resource = this.add(this.resources, RESOURCE, entitlement, this.entitlements);
      }
      if (meterRow) {
        b.meters.push(meterRow);
        meter = this.add(this.meters, METER, 0);
      }
    }
    this.push(rec, resource, meter, quantity, billing, usd);
  }

  #customerRow(rec: ScannedRecord, currency: string): Omit<CustomerInfo, 'partner'> {
    const c = this.c;
    const tenantId = this.guid(rec, c.CustomerId, 'CustomerId');
    this.storedCurrency(rec, this.guid(rec, c.PartnerId, 'PartnerId'), tenantId, currency, 'BillingCurrency');
    return {
      tenantId,
      name: this.text(rec, c.CustomerName),
      domain: this.text(rec, c.CustomerDomainName),
      country: this.ascii(rec, c.CustomerCountry),
      currency,
      currencyLocale: null,
      plan: 'azure-plan' satisfies PlanKind,
    };
  }

  #subscriptionRow(rec: ScannedRecord): Omit<SubscriptionInfo, 'customer'> {
    const c = this.c;
    const offer = [c.ProductId, c.SkuId, c.AvailabilityId].map((col) => this.ascii(rec, col));
    return {
      subscriptionId: this.guid(rec, c.SubscriptionId, 'SubscriptionId'),
      offerId: offer.every((o) => o !== '') ? offer.join(':') : 'Azure plan',
      description: this.text(rec, c.SkuName) || 'Azure plan',
      partnerOnRecord: this.ascii(rec, c.MpnId),
    };
  }

  #entitlementRow(rec: ScannedRecord): Omit<EntitlementInfo, 'subscription'> {
    const c = this.c;
    const id = this.ascii(rec, c.EntitlementId);
    return {
      entitlementId: id === '' ? '' : this.guid(rec, c.EntitlementId, 'EntitlementId'),
      description: this.text(rec, c.EntitlementDescription),
    };
  }

  #resourceRow(rec: ScannedRecord): Omit<ResourceInfo, 'entitlement'> {
    const c = this.c;
    return {
      uri: this.keyText(rec, RESOURCE, 'ResourceURI'),
      displayUri: trimAsciiSpace(this.text(rec, c.ResourceURI)),
      group: this.text(rec, c.ResourceGroup),
      location: this.text(rec, c.ResourceLocation),
      service: this.text(rec, c.ConsumedService),
      tags: this.text(rec, c.Tags),
    };
  }

  #meterRow(rec: ScannedRecord): MeterInfo {
    const c = this.c;
    const meterId = this.keyText(rec, METER, 'MeterId');
    if (meterId === '') throw new LineError(rec.line, 'MeterId', '', 'is empty');
    return {
      meterId,
      name: this.text(rec, c.MeterName),
      category: this.text(rec, c.MeterCategory),
      subcategory: this.text(rec, c.MeterSubCategory),
      region: this.text(rec, c.MeterRegion),
      unit: this.text(rec, c.Unit),
    };
  }
}

export class LegacyDecoder extends LineDecoder<LegacyColumn> {
  constructor(columns: ColumnIndex<LegacyColumn>, names: readonly string[], rules: DecoderRules) {
    super('legacy', columns, names, rules);
  }

  decode(rec: ScannedRecord): void {
    this.checkWidth(rec);
    const c = this.c;
    this.usageDay(rec, c.UsageDate, 'UsageDate');
    const quantity = this.decimal(rec, c.ConsumedQuantity, 'ConsumedQuantity');
    const charges = this.decimal(rec, c.PretaxCharges, 'PretaxCharges');
    const currency = this.currency(rec, c.Currency, 'Currency');
    this.clearKeys();
    this.key(rec, c.PartnerId, PARTNER, Fold.Always);
    this.key(rec, c.CustomerId, CUSTOMER, Fold.Always);
    this.key(rec, c.SubscriptionId, SUBSCRIPTION, Fold.GuidShaped);
    // A legacy subscription is its own Azure subscription, and its lines name no resource.
    this.key(rec, -1, ENTITLEMENT, Fold.None);
    this.key(rec, -1, RESOURCE, Fold.None);
    this.key(rec, c.ResourceGuid, METER, Fold.Always);
    let partner = this.find(this.partners, PARTNER, 0);
    let customer = this.find(this.customers, CUSTOMER, partner);
    let subscription = this.find(this.subscriptions, SUBSCRIPTION, customer);
    let meter = this.find(this.meters, METER, 0);
    // A legacy line names no resource: its subscription's one stands for it.
    this.keepFields(
      rec,
      subscription < 0
        ? -1
        : this.find(this.resources, RESOURCE, this.find(this.entitlements, ENTITLEMENT, subscription)),
      false,
    );
    if (customer >= 0) this.customerCurrency(customer, currency, rec, 'Currency');
    if (subscription < 0 || meter < 0) {
      this.noteEntries(rec);
      const partnerRow = partner < 0 ? this.partnerRow(rec, c.PartnerId, this.text(rec, c.PartnerName)) : undefined;
      const customerRow = customer < 0 ? this.#customerRow(rec, currency) : undefined;
      const subscriptionRow = subscription < 0 ? this.#subscriptionRow(rec) : undefined;
      const meterRow = meter < 0 ? this.#meterRow(rec) : undefined;
      const b = this.batch;
      ({ partner, customer } = this.addOwners(partnerRow, customerRow, partner, customer, currency));
      if (subscriptionRow) {
        const { subscriptionId, offerId, description, partnerOnRecord } = subscriptionRow;
        b.subscriptions.push({ subscriptionId, offerId, description, partnerOnRecord, customer });
        subscription = this.add(this.subscriptions, SUBSCRIPTION, customer, this.customers);
        b.entitlements.push({ subscription, entitlementId: '', description: subscriptionRow.name });
        const entitlement = this.add(this.entitlements, ENTITLEMENT, subscription, this.subscriptions);
        b.resources.push({ entitlement, uri: '', displayUri: '', group: '', location: '', service: '', tags: '' });
        this.add(this.resources, RESOURCE, entitlement, this.entitlements);
      }
      if (meterRow) {
        b.meters.push(meterRow);
        meter = this.add(this.meters, METER, 0);
      }
    }
    const resource = this.find(this.resources, RESOURCE, this.find(this.entitlements, ENTITLEMENT, subscription));
    // Partner Center reports no USD figure for legacy customers (usdTotalCost 0); neither do we.
    this.push(rec, resource, meter, quantity, charges, '0');
  }

  #customerRow(rec: ScannedRecord, currency: string): Omit<CustomerInfo, 'partner'> {
    const c = this.c;
    const tenantId = this.guid(rec, c.CustomerId, 'CustomerId');
    this.storedCurrency(rec, this.guid(rec, c.PartnerId, 'PartnerId'), tenantId, currency, 'Currency');
    return {
      tenantId,
      name: this.text(rec, c.CustomerCompanyName),
      domain: this.text(rec, c.DomainName),
      country: '',
      currency,
      currencyLocale: localeForCurrency(currency),
      plan: 'legacy',
    };
  }

  #subscriptionRow(rec: ScannedRecord): Omit<SubscriptionInfo, 'customer'> & { name: string } {
    const c = this.c;
    const raw = this.ascii(rec, c.SubscriptionId);
    if (raw === '') throw new LineError(rec.line, 'SubscriptionId', '', 'is empty');
    const name = this.text(rec, c.SubscriptionName);
    return {
      subscriptionId: legacySubscriptionId(raw),
      offerId: 'MS-AZR-0145P',
      description: this.text(rec, c.SubscriptionDescription) || name || 'Microsoft Azure',
      // Partner Center names no partner of record on a legacy subscription's records.
      partnerOnRecord: '',
      name,
    };
  }

  #meterRow(rec: ScannedRecord): MeterInfo {
    const c = this.c;
    const meterId = this.keyText(rec, METER, 'ResourceGuid');
    if (meterId === '') throw new LineError(rec.line, 'ResourceGuid', '', 'is empty');
    return {
      meterId,
      name: this.text(rec, c.ResourceName),
      category: this.text(rec, c.ServiceName),
      subcategory: this.text(rec, c.ServiceType),
      region: this.text(rec, c.Region) || this.text(rec, c.MeteredRegion),
      unit: this.text(rec, c.Unit),
    };
  }
}

export function decoderFor(header: RecognisedHeader, rules: DecoderRules): LineDecoder {
  return header.format === 'daily-rated'
    ? new DailyRatedDecoder(header.columns, header.names, rules)
    : new LegacyDecoder(header.columns, header.names, rules);
}
