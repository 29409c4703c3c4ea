/**
 * Writes the bad-input corpus (test/corpus/bad-input/): each file is a clean base plus one bad
 * record (or a bad header, encoding or container), and cases.json says what the importer must
 * answer — written here by hand, case by case, never taken from the importer's own output.
 * Run it again after changing a case: `npm run corpus:bad-input`.
 *
 * With --skip-invalid each skippable file must reject exactly `rejectedLines` and store exactly
 * what its base stores (test/bad-input.test.ts).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import Papa from 'papaparse';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'bad-input');
const GENERATOR = path.resolve(HERE, '../../../shared/tools/gen-lineitems.mjs');

export interface CorpusCase {
  readonly name: string;
  readonly category: 'structure' | 'encoding' | 'numbers' | 'dates' | 'ids' | 'sizes' | 'gzip';
  readonly file: string;
  /** The clean file a skip-invalid import of this one must store exactly as (its good lines). */
  readonly base: Reference;
  /** The strict import's error: its message (a regular expression), line and column. */
  readonly error: { readonly message: string; readonly line?: number; readonly column?: string };
  /** With --skip-invalid: the physical lines rejected; null when the file is refused whole. */
  readonly rejectedLines: readonly number[] | null;
}

type Row = string[];
/** The good lines of a case: a base whole, or without its spoiled record. */
export type Reference = 'daily-rated' | 'daily-rated-less-one' | 'daily-rated-less-last' | 'legacy-less-one';
const BAD = 12; // the index of the record a case spoils (after a few good ones)

function dailyRatedBase(): { header: Row; rows: Row[] } {
  const file = path.join(OUT, '.base.csv');
  execFileSync(
    process.execPath,
    [
      GENERATOR,
      ...['--out', file, '--rows', '24', '--customers', '3', '--meters', '8', '--period', '2026-10', '--days', '4'],
      ...['--seed', '101'],
    ],
    { stdio: 'ignore' },
  );
  const parsed = Papa.parse<Row>(fs.readFileSync(file, 'utf8'), { skipEmptyLines: true });
  fs.rmSync(file);
  const [header, ...rows] = parsed.data;
  return { header: header!, rows };
}

const LEGACY_HEADER = [
  'PartnerId',
  'PartnerName',
  'CustomerId',
  'CustomerCompanyName',
  'DomainName',
  'SubscriptionId',
  'SubscriptionName',
  'SubscriptionDescription',
  'ServiceName',
  'ServiceType',
  'ResourceGuid',
  'ResourceName',
  'Region',
  'Unit',
  'ConsumedQuantity',
  'PretaxCharges',
  'Currency',
  'UsageDate',
  'ChargeType',
];

function legacyBase(): { header: Row; rows: Row[] } {
  const rows: Row[] = [];
  for (let i = 0; i < 16; i++) {
    const customer = i % 2;
    rows.push([
      '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
      'Fabrikam Partner',
      customer === 0 ? '11111111-2222-4333-8444-555555555555' : '66666666-7777-4888-9999-aaaaaaaaaaaa',
      customer === 0 ? 'Alpine Ski House' : 'Tailspin, "Toys"',
      customer === 0 ? 'alpine.onmicrosoft.com' : 'tailspin.onmicrosoft.com',
      customer === 0 ? 'usCBMgAAAAAAAAIA' : 'f0e1d2c3-b4a5-4697-8877-665544332211',
      'Microsoft Azure',
      'Pay-As-You-Go',
      ['Storage', 'Virtual Machines', 'Networking'][i % 3]!,
      'Standard',
      [`a1a1a1a1-0000-4000-8000-00000000000${i % 4}`][0]!,
      `Meter ${i % 4}`,
      'EU West',
      '1 GB',
      (1.25 + i).toFixed(4),
      (0.0815 * (i + 1)).toFixed(6),
      customer === 0 ? 'EUR' : 'GBP',
      `2/${(i % 5) + 1}/2019 0:00`,
      'Usage',
    ]);
  }
  return { header: LEGACY_HEADER, rows };
}

/** A file's records as text, and the physical line each starts on. */
function serialise(header: Row, rows: Row[], eol = '\n'): { text: string; lines: number[] } {
  const records = [header, ...rows].map((r) => Papa.unparse([r], { newline: eol }));
  const lines: number[] = [];
  let line = 1;
  for (const r of records) {
    lines.push(line);
    line += r.split('\n').length;
  }
  return { text: records.join(eol) + eol, lines: lines.slice(1) };
}

const cases: CorpusCase[] = [];

function write(name: string, content: string | Buffer, c: Omit<CorpusCase, 'name' | 'file'>, ext = '.csv'): void {
  const file = `${name}${ext}`;
  fs.writeFileSync(path.join(OUT, file), content);
  cases.push({ name, file, ...c });
}

function main(): void {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const daily = dailyRatedBase();
  const legacy = legacyBase();
  const col = (header: Row, name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`no column ${name}`);
    return i;
  };
  const dailyBad = serialise(daily.header, daily.rows).lines[BAD]!;

  /** The base with record BAD's fields changed; a skippable bad value of `column`. */
  const field = (
    name: string,
    category: CorpusCase['category'],
    set: Record<string, string>,
    message: string,
    column: string | undefined = Object.keys(set)[0],
    base: 'daily-rated' | 'legacy' = 'daily-rated',
  ) => {
    const b = base === 'daily-rated' ? daily : legacy;
    const reference: Reference = base === 'daily-rated' ? 'daily-rated-less-one' : 'legacy-less-one';
    const rows = b.rows.map((r) => [...r]);
    for (const [k, v] of Object.entries(set)) rows[BAD]![col(b.header, k)] = v;
    const { text, lines } = serialise(b.header, rows);
    write(name, text, {
      category,
      base: reference,
      error: { message, line: lines[BAD]!, ...(column ? { column } : {}) },
      rejectedLines: [lines[BAD]!],
    });
  };

  /** The base with record BAD's text transformed; a malformed record found by the scanner. */
  const raw = (
    name: string,
    edit: (record: string) => string,
    message: string,
    column?: string,
    category: CorpusCase['category'] = 'structure',
  ) => {
    const records = [daily.header, ...daily.rows].map((r) => Papa.unparse([r], { newline: '\n' }));
    records[BAD + 1] = edit(records[BAD + 1]!);
    write(name, records.join('\n') + '\n', {
      category,
      base: 'daily-rated-less-one',
      error: { message, line: dailyBad, ...(column ? { column } : {}) },
      rejectedLines: [dailyBad],
    });
  };
  const setRaw = (record: string, header: Row, name: string, value: string) => {
    const fields = Papa.parse<Row>(record).data[0]!;
    fields[col(header, name)] = '\u0000PLACEHOLDER\u0000';
    return Papa.unparse([fields]).replace('\u0000PLACEHOLDER\u0000', value);
  };
  const refused = (
    name: string,
    category: CorpusCase['category'],
    content: string | Buffer,
    message: string,
    line?: number,
    ext?: string,
  ) =>
    write(
      name,
      content,
      { category, base: 'daily-rated', error: { message, ...(line ? { line } : {}) }, rejectedLines: null },
      ext,
    );

  // Structure.
  raw(
    'stray-quote-after-closing',
    (r) => setRaw(r, daily.header, 'CustomerDomainName', '"contoso"x'),
    'unexpected character after a closing quote',
  );
  raw(
    'stray-opening-quote',
    (r) => setRaw(r, daily.header, 'CustomerDomainName', '"contoso.onmicrosoft.com'),
    'unexpected character after a closing quote|runs over several lines',
  );
  raw('extra-fields', (r) => `${r},extra,extra`, 'has 57 fields; the header has 55', '(record)');
  raw(
    'missing-fields',
    (r) => r.slice(0, r.lastIndexOf(',', r.lastIndexOf(',', r.lastIndexOf(',') - 1) - 1)),
    'has 52 fields; the header has 55',
    '(record)',
  );
  raw('fields-past-256', (r) => r + ',x'.repeat(245), 'has 300 fields; the header has 55', '(record)');
  raw('one-field', () => 'just some text', 'has 1 fields; the header has 55', '(record)');
  raw('control-characters-line', () => '\u0001\u0002\u0003,\u001b[2J', 'has 2 fields; the header has 55', '(record)');
  {
    const rows = daily.rows.map((r) => [...r]);
    const records = [daily.header, ...rows].map((r) => Papa.unparse([r], { newline: '\n' }));
    const last = records.length - 1;
    records[last] = setRaw(records[last]!, daily.header, 'CustomerName', '"Never closed');
    const line = serialise(daily.header, rows).lines[rows.length - 1]!;
    write('unclosed-quote-at-end', records.join('\n') + '\n', {
      category: 'structure',
      base: 'daily-rated-less-last',
      error: { message: 'a quoted field is not closed before the end of the file', line },
      rejectedLines: [line],
    });
  }
  {
    const { text } = serialise(
      daily.header.filter((h) => h !== 'Quantity'),
      daily.rows.map((r) => r.filter((_, i) => i !== col(daily.header, 'Quantity'))),
    );
    refused('header-missing-column', 'structure', text, 'lacks required daily rated usage column: Quantity', 1);
  }
  refused(
    'header-wider-than-256',
    'structure',
    `${Array.from({ length: 300 }, (_, i) => `C${i}`).join(',')}\n`,
    'the header has more than 256 fields',
    1,
  );
  refused('empty-file', 'structure', '', 'the file is empty');
  refused('bom-only', 'encoding', Buffer.from([0xef, 0xbb, 0xbf]), 'the file is empty');
  refused(
    'header-not-csv-of-usage',
    'structure',
    'hello world\nthis is not a reconciliation file\n',
    'lacks required daily rated usage columns',
    1,
  );

  // Encoding.
  {
    const { text } = serialise(daily.header, daily.rows);
    refused(
      'utf16-le',
      'encoding',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      'the file is UTF-16',
      1,
    );
  }
  const newCustomer = { CustomerId: '99999999-8888-4777-8666-555555555555' };
  const bytesField = (name: string, column: string, bytes: number[], extra: Record<string, string> = {}) => {
    const rows = daily.rows.map((r) => [...r]);
    for (const [k, v] of Object.entries(extra)) rows[BAD]![col(daily.header, k)] = v;
    rows[BAD]![col(daily.header, column)] = '\u0000MARK\u0000';
    const { text, lines } = serialise(daily.header, rows);
    const [before, after] = text.split('\u0000MARK\u0000') as [string, string];
    write(name, Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]), {
      category: 'encoding',
      base: 'daily-rated-less-one',
      error: { message: 'is not valid UTF-8', line: lines[BAD]!, column },
      rejectedLines: [lines[BAD]!],
    });
  };
  bytesField(
    'latin1-customer-name',
    'CustomerName',
    [...Buffer.from('Caf'), 0xe9, ...Buffer.from(' SARL')],
    newCustomer,
  );
  bytesField('overlong-utf8-name', 'CustomerName', [0x41, 0xc0, 0xaf, 0x42], newCustomer);
  bytesField('surrogate-utf8-name', 'CustomerName', [0xed, 0xa0, 0x80], newCustomer);
  bytesField(
    'truncated-utf8-uri',
    'ResourceURI',
    [...Buffer.from('/subscriptions/x/resourceGroups/r/providers/p/caf'), 0xc3],
    {},
  );
  bytesField('invalid-utf8-meter-name', 'MeterName', [0xff, 0xfe, 0x41], {
    MeterId: 'e9999999-0000-4000-8000-000000000001',
  });
  {
    const rows = daily.rows.map((r) => [...r]);
    const records = [daily.header, ...rows].map((r) => Papa.unparse([r], { newline: '\n' }));
    records[BAD + 1] = `\ufeff${records[BAD + 1]}`;
    write('bom-inside-the-file', records.join('\n') + '\n', {
      category: 'encoding',
      base: 'daily-rated-less-one',
      error: { message: 'is not a GUID', line: dailyBad, column: 'PartnerId' },
      rejectedLines: [dailyBad],
    });
  }
  bytesField('nul-in-customer-id', 'CustomerId', [...Buffer.from('bb26c77b-a7f9-4154-829b-96a4524d233'), 0x00], {});
  cases[cases.length - 1] = { ...cases.at(-1)!, error: { ...cases.at(-1)!.error, message: 'is not a GUID' } };

  // Numbers.
  const numbers: [string, string, string, string?][] = [
    ['quantity-word', 'Quantity', 'twelve'],
    ['quantity-empty', 'Quantity', ''],
    ['quantity-tiny-exponent', 'Quantity', '1E-9999', 'outside the accepted range'],
    ['quantity-huge-exponent', 'Quantity', '1e400', 'outside the accepted range'],
    ['quantity-exponent-four-digits', 'Quantity', '1E1000', 'outside the accepted range'],
    ['quantity-70-digits', 'Quantity', `0.${'1'.repeat(68)}`, 'outside the accepted range'],
    ['billing-nineteen-digit-whole', 'BillingPreTaxTotal', '1234567890123456789', 'outside the accepted range'],
    ['billing-thirty-one-decimals', 'BillingPreTaxTotal', `0.${'0'.repeat(30)}1`, 'outside the accepted range'],
    ['billing-nan', 'BillingPreTaxTotal', 'NaN'],
    ['billing-infinity', 'BillingPreTaxTotal', 'Infinity'],
    ['billing-hex', 'BillingPreTaxTotal', '0x1A'],
    ['billing-two-points', 'BillingPreTaxTotal', '1.2.3'],
    ['billing-inner-space', 'BillingPreTaxTotal', '1 2'],
    ['billing-two-signs', 'BillingPreTaxTotal', '+-1'],
    ['billing-decimal-comma', 'BillingPreTaxTotal', '1,5'],
    ['billing-fraction-exponent', 'BillingPreTaxTotal', '1E5.5'],
    ['pricing-word', 'PricingPreTaxTotal', 'abc'],
    ['pricing-only-sign', 'PricingPreTaxTotal', '-'],
  ];
  for (const [name, column, value, message] of numbers) {
    field(name, 'numbers', { [column]: value }, message ?? 'is not a decimal number');
  }
  field('billing-currency-not-a-code', 'numbers', { BillingCurrency: 'EURO' }, 'is not a three-letter currency code');
  field(
    'pricing-currency-without-rate',
    'numbers',
    { PricingCurrency: 'XYZ', BillingCurrency: 'EUR', CustomerId: '99999999-8888-4777-8666-555555555555' },
    'has no USD rate',
    'PricingCurrency',
  );

  // Dates (the test imports as of 2026-10-20: accepted 2010-01-01 to 2026-11-30).
  const dates: [string, string, string?][] = [
    ['date-month-13', '2026-13-01T00:00:00Z'],
    ['date-february-30', '2026-02-30T00:00:00Z'],
    ['date-two-digit-year', '26-10-03'],
    ['date-empty', ''],
    ['date-hour-25', '2026-10-03T25:00:00Z'],
    ['date-offset-25-hours', '2026-10-03T10:00:00+25:00'],
    ['date-words', 'yesterday'],
    ['date-before-2010', '2009-12-31T00:00:00Z', 'outside the accepted usage dates, 2010-01-01 to 2026-11-30'],
    ['date-year-1900', '1900-01-01', 'outside the accepted usage dates'],
    ['date-year-9999', '9999-12-31T00:00:00Z', 'outside the accepted usage dates'],
    ['date-after-next-month', '2026-12-01T00:00:00Z', 'outside the accepted usage dates'],
  ];
  for (const [name, value, message] of dates) field(name, 'dates', { UsageDate: value }, message ?? 'is not a date');

  // Identifiers.
  const other = { CustomerId: '99999999-8888-4777-8666-555555555555' };
  field('partner-not-a-guid', 'ids', { PartnerId: 'not-a-guid' }, 'is not a GUID');
  field(
    'partner-another-tenant',
    'ids',
    { PartnerId: '7a7a7a7a-7a7a-4a7a-8a7a-7a7a7a7a7a7a' },
    "is not the file's partner 2c8a6b9f-316c-46e7-8060-3c40a0906d6b",
  );
  field('customer-not-a-guid', 'ids', { CustomerId: 'contoso' }, 'is not a GUID');
  field('customer-bad-hex-digit', 'ids', { CustomerId: 'bb26c77b-a7f9-4154-829b-96a4524d233g' }, 'is not a GUID');
  field('customer-in-braces', 'ids', { CustomerId: '{bb26c77b-a7f9-4154-829b-96a4524d2330}' }, 'is not a GUID');
  field('customer-35-characters', 'ids', { CustomerId: 'bb26c77b-a7f9-4154-829b-96a4524d233' }, 'is not a GUID');
  field('subscription-empty', 'ids', { SubscriptionId: '' }, 'is not a GUID');
  field('subscription-not-a-guid', 'ids', { SubscriptionId: 'sub-1' }, 'is not a GUID');
  field('entitlement-not-a-guid', 'ids', { EntitlementId: 'azure-sub' }, 'is not a GUID');
  field('meter-empty', 'ids', { MeterId: '' }, 'is empty');
  field('meter-blank', 'ids', { MeterId: '   ' }, 'is empty');
  field(
    'mixed-currency',
    'ids',
    { BillingCurrency: 'JPY' },
    "differs from the customer's billing currency USD",
    'BillingCurrency',
  );
  field(
    'mixed-currency-upper-case-id',
    'ids',
    { BillingCurrency: 'JPY', CustomerId: 'BB26C77B-A7F9-4154-829B-96A4524D2330' },
    "differs from the customer's billing currency USD",
    'BillingCurrency',
  );
  field(
    'mixed-currency-spaced-id',
    'ids',
    { BillingCurrency: 'JPY', CustomerId: ' bb26c77b-a7f9-4154-829b-96a4524d2330 ' },
    "differs from the customer's billing currency USD",
    'BillingCurrency',
  );
  field(
    'new-customer-bad-subscription',
    'ids',
    { ...other, SubscriptionId: 'nope' },
    'is not a GUID',
    'SubscriptionId',
  );
  field('new-customer-empty-meter', 'ids', { ...other, MeterId: '' }, 'is empty', 'MeterId');

  // Legacy.
  field('legacy-resource-guid-empty', 'ids', { ResourceGuid: '' }, 'is empty', 'ResourceGuid', 'legacy');
  field('legacy-subscription-empty', 'ids', { SubscriptionId: '' }, 'is empty', 'SubscriptionId', 'legacy');
  field('legacy-date-february-30', 'dates', { UsageDate: '2/30/2019 0:00' }, 'is not a date', 'UsageDate', 'legacy');
  field(
    'legacy-charges-word',
    'numbers',
    { PretaxCharges: 'free' },
    'is not a decimal number',
    'PretaxCharges',
    'legacy',
  );
  field(
    'legacy-mixed-currency',
    'ids',
    { Currency: 'USD' },
    "differs from the customer's billing currency",
    'Currency',
    'legacy',
  );

  // Sizes.
  raw(
    'record-over-1-mib',
    (r) => setRaw(r, daily.header, 'Tags', 'x'.repeat((1 << 20) + 10)),
    'a record is longer than 1048576 bytes',
    undefined,
    'sizes',
  );
  {
    const { text, lines } = serialise(daily.header, daily.rows);
    const line = lines.at(-1)! + 1;
    write('last-line-over-1-mib-without-newline', text + 'y'.repeat((1 << 20) + 100), {
      category: 'sizes',
      base: 'daily-rated',
      error: { message: 'a record is longer than 1048576 bytes', line },
      rejectedLines: [line],
    });
  }

  // gzip.
  const gz = (
    name: string,
    text: string | Buffer,
    error: CorpusCase['error'],
    rejectedLines: number[],
    base: Reference,
  ) => write(name, zlib.gzipSync(text), { category: 'gzip', base, error, rejectedLines }, '.csv.gz');
  {
    const { text } = serialise(daily.header, daily.rows);
    const whole = zlib.gzipSync(text);
    write(
      'gzip-truncated',
      whole.subarray(0, Math.floor(whole.length / 2)),
      { category: 'gzip', base: 'daily-rated', error: { message: 'unexpected end of file' }, rejectedLines: null },
      '.csv.gz',
    );
    write(
      'gzip-corrupt-body',
      Buffer.concat([whole.subarray(0, 20), Buffer.alloc(64, 0x5a), whole.subarray(84)]),
      { category: 'gzip', base: 'daily-rated', error: { message: 'invalid|incorrect|unknown' }, rejectedLines: null },
      '.csv.gz',
    );
    const rows = daily.rows.map((r) => [...r]);
    rows[BAD]![col(daily.header, 'Quantity')] = 'lots';
    const bad = serialise(daily.header, rows);
    gz(
      'gzip-bad-quantity',
      bad.text,
      { message: 'is not a decimal number', line: bad.lines[BAD]!, column: 'Quantity' },
      [bad.lines[BAD]!],
      'daily-rated-less-one',
    );
    gz(
      'gzip-bom-bad-date',
      `\ufeff${
        serialise(
          daily.header,
          rows.map((r, i) =>
            i === BAD
              ? r.map((v, k) =>
                  k === col(daily.header, 'Quantity') ? '1' : k === col(daily.header, 'UsageDate') ? '2026-10-32' : v,
                )
              : r,
          ),
        ).text
      }`,
      { message: 'is not a date', line: bad.lines[BAD]!, column: 'UsageDate' },
      [bad.lines[BAD]!],
      'daily-rated-less-one',
    );
    const records = [daily.header, ...daily.rows].map((r) => Papa.unparse([r], { newline: '\n' }));
    records.splice(BAD + 1, 0, 'z'.repeat(20 << 20));
    gz(
      'gzip-inflates-to-a-20-mib-line',
      records.join('\n') + '\n',
      { message: 'a record is longer than 1048576 bytes', line: dailyBad },
      [dailyBad],
      'daily-rated',
    );
    const crlf = serialise(daily.header, rows, '\r\n');
    gz(
      'gzip-crlf-bad-quantity',
      crlf.text,
      { message: 'is not a decimal number', line: crlf.lines[BAD]!, column: 'Quantity' },
      [crlf.lines[BAD]!],
      'daily-rated-less-one',
    );
  }
  {
    const rows = daily.rows.map((r) => [...r]);
    rows[BAD]![col(daily.header, 'UsageDate')] = '2026-10-03T00:00:00+25:00';
    const crlf = serialise(daily.header, rows, '\r\n');
    write('crlf-bad-date', `\ufeff${crlf.text}`, {
      category: 'dates',
      base: 'daily-rated-less-one',
      error: { message: 'is not a date', line: crlf.lines[BAD]!, column: 'UsageDate' },
      rejectedLines: [crlf.lines[BAD]!],
    });
  }

  // The clean references, for the skip-invalid comparison; `base-*` are what the refusals run on.
  const less = (rows: Row[], i: number) => rows.filter((_, k) => k !== i);
  const references: Record<Reference | 'legacy', string> = {
    'daily-rated': serialise(daily.header, daily.rows).text,
    'daily-rated-less-one': serialise(daily.header, less(daily.rows, BAD)).text,
    'daily-rated-less-last': serialise(daily.header, less(daily.rows, daily.rows.length - 1)).text,
    'legacy-less-one': serialise(legacy.header, less(legacy.rows, BAD)).text,
    legacy: serialise(legacy.header, legacy.rows).text,
  };
  for (const [name, text] of Object.entries(references)) fs.writeFileSync(path.join(OUT, `base-${name}.csv`), text);
  fs.writeFileSync(path.join(OUT, 'cases.json'), JSON.stringify(cases, null, 2) + '\n');
  console.log(`${cases.length} cases in ${path.relative(process.cwd(), OUT)}`);
}

main();
