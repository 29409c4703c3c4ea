import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import Papa from 'papaparse';
import { CsvFormatError, CsvScanner } from '../src/ingest/csv-scanner.js';
import { importFile } from '../src/ingest/importer.js';
import { DecimalRead, readDecimal } from '../src/money/decimal-bytes.js';
import { ExactSum } from '../src/money/exact-sum.js';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { openStore } from '../src/storage/open-store.js';
import { generate, tempDir } from './helpers/fixtures.js';
import { scaled } from './helpers/reference-totals.js';

/**
 * Property-based fuzzing (fast-check) of the scanner, the decimal reader and the importer.
 * PARTNER_USAGE_FUZZ_RUNS multiplies the runs for a longer manual session (docs/reliability.md).
 */
const RUNS = Number(process.env.PARTNER_USAGE_FUZZ_RUNS ?? 1);
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * RUNS)) });
const dir = tempDir();

/** What the scanner gives for `bytes` fed in the given chunk sizes: records, and refusals. */
function scanAll(bytes: Buffer, sizes: number[], width?: number) {
  const records: { line: number; fields: string[] }[] = [];
  const refused: { line: number; text: string }[] = [];
  const scanner = new CsvScanner(
    (rec) => {
      const fields: string[] = [];
      for (let i = 0; i < Math.min(rec.count, rec.starts.length); i++) {
        const s = rec.buf.toString('utf8', rec.starts[i], rec.ends[i]);
        fields.push(rec.escaped[i] ? s.replaceAll('""', '"') : s);
      }
      records.push({ line: rec.line, fields });
    },
    {
      maxRecordBytes: 512,
      ...(width === undefined ? {} : { width }),
      onInvalid: (error, text) => refused.push({ line: error.line, text }),
    },
  );
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length]!;
    scanner.push(bytes.subarray(at, at + size));
    at += size;
  }
  scanner.end();
  return { records, refused };
}

describe('fuzzing the scanner', () => {
  const field = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('', '"', '""', ',', '\n', '\r\n', 'a,b', 'say "hi"', 'é', '\u0000'),
  );
  const record = fc.array(field, { minLength: 2, maxLength: 6 });
  const sizes = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 });

  it('reads back any records written by RFC 4180, whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), sizes, fc.boolean(), (records, chunks, crlf) => {
        const text = Papa.unparse(records, { newline: crlf ? '\r\n' : '\n', quotes: false }) + (crlf ? '\r\n' : '\n');
        const { records: read, refused } = scanAll(Buffer.from(text), chunks);
        assert.deepEqual(refused, []);
        assert.deepEqual(
          read.map((r) => r.fields),
          records,
        );
      }),
      runs(300),
    );
  });

  it('never throws, never loops, and accounts for every line of arbitrary bytes', { timeout: 120_000 }, () => {
    const bytes = fc.uint8Array({ maxLength: 2000, size: 'large' }).map((a) => Buffer.from(a));
    const csvish = fc
      .array(fc.constantFrom(...'ab,"\n\r \u00e9'.split('')), { maxLength: 600, size: 'large' })
      .map((cs) => Buffer.from(cs.join('')));
    fc.assert(
      fc.property(fc.oneof(bytes, csvish), sizes, fc.integer({ min: 1, max: 5 }), (input, chunks, width) => {
        const { records, refused } = scanAll(input, chunks, width);
        const lines = [...records.map((r) => r.line), ...refused.map((r) => r.line)];
        // Records and refusals come in line order, each on a line the input has.
        const total = input.toString('latin1').split(/\r\n|\n|\r/).length;
        for (const line of lines) assert.ok(line >= 1 && line <= total, `line ${line} of ${total}`);
        for (const r of refused) assert.ok(Buffer.byteLength(r.text) <= 4096);
      }),
      runs(500),
    );
  });

  it(
    'refuses malformed input in strict mode with a CsvFormatError and a line number, never anything else',
    { timeout: 120_000 },
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom('a', ',', '"', '\n', 'x"'), { maxLength: 200, size: 'large' }),
          (parts) => {
            const text = Buffer.from(parts.join(''));
            try {
              const scanner = new CsvScanner(() => {}, { maxRecordBytes: 512 });
              scanner.push(text);
              scanner.end();
            } catch (error) {
              assert.ok(error instanceof CsvFormatError, String(error));
              assert.ok(error.line >= 1);
            }
          },
        ),
        runs(500),
      );
    },
  );
});

/** The decimal rule of docs/money.md, written independently: BigInt arithmetic on the text. */
function referenceDecimal(text: string, bounded = true): { ok: true; units: bigint } | { ok: false; range: boolean } {
  const SCALE = 30;
  if (bounded && text.length > 64) return { ok: false, range: true };
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?$/.exec(text);
  if (!m || (m[2] ?? '') + (m[3] ?? '') === '') return { ok: false, range: false };
  if ((m[5] ?? '').length > 3) return { ok: false, range: true };
  const digits = BigInt((m[2] ?? '') + (m[3] ?? '') || '0');
  const exponent = (m[4] === '-' ? -1 : 1) * Number(m[5] ?? 0) - (m[3] ?? '').length;
  let units: bigint;
  if (exponent + SCALE >= 0) units = digits * 10n ** BigInt(exponent + SCALE);
  else {
    const divisor = 10n ** BigInt(-(exponent + SCALE));
    if (digits % divisor !== 0n) return { ok: false, range: true }; // more than 30 places
    units = digits / divisor;
  }
  if (bounded && units >= 10n ** BigInt(18 + SCALE)) return { ok: false, range: true };
  return { ok: true, units: m[1] === '-' ? -units : units };
}

/** A value's units of 10^-30; a sum may pass the bound on any one value. */
function unitsOf(text: string): bigint {
  const r = referenceDecimal(text, false);
  if (!r.ok) throw new Error(`not a decimal: ${text}`);
  return r.units;
}

describe('fuzzing the decimal reader', () => {
  const digits = (max: number) => fc.stringMatching(new RegExp(`^\\d{0,${max}}$`));
  const decimalish = fc
    .tuple(
      fc.constantFrom('', '-', '+'),
      digits(22),
      fc.option(digits(35)),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(5))),
    )
    .map(([sign, whole, frac, exp]) => `${sign}${whole}${frac === null ? '' : `.${frac}`}${exp ? exp.join('') : ''}`);
  const anything = fc.oneof(
    decimalish,
    fc.string({ maxLength: 80 }),
    fc.constantFrom('1E-9999', 'NaN', '.', '-.', '1e', '0x1f'),
  );

  it('accepts exactly the numbers of the documented syntax and range, and refuses the rest', () => {
    fc.assert(
      fc.property(anything, (text) => {
        const out = new Float64Array(2);
        const read = readDecimal(Buffer.from(text, 'latin1'), 0, Buffer.byteLength(text, 'latin1'), out, 0);
        const expected = referenceDecimal(text);
        if (expected.ok) assert.ok(read === DecimalRead.Fast || read === DecimalRead.Slow, `${text}: ${read}`);
        else assert.equal(read, expected.range ? DecimalRead.OutOfRange : DecimalRead.Invalid, text);
      }),
      runs(3000),
    );
  });

  it('sums what it accepts exactly, to the last of 30 places', () => {
    const accepted = decimalish.filter((t) => referenceDecimal(t).ok);
    fc.assert(
      fc.property(fc.array(accepted, { minLength: 1, maxLength: 30 }), (texts) => {
        const sum = new ExactSum();
        for (const t of texts) sum.add(t);
        assert.equal(
          unitsOf(sum.toText()),
          texts.map(unitsOf).reduce((a, b) => a + b, 0n),
        );
      }),
      runs(1000),
    );
  });
});

describe('fuzzing the importer', () => {
  let header: string[];
  let base: string[][];
  const column = (name: string) => header.indexOf(name);
  before(() => {
    const gen = generate(dir, 'fuzz-base.csv', {
      rows: 300,
      customers: 5,
      meters: 20,
      period: '2026-10',
      days: 6,
      seed: 91,
    });
    [header, ...base] = Papa.parse<string[]>(fs.readFileSync(gen.file, 'utf8'), { skipEmptyLines: true }).data as [
      string[],
      ...string[][],
    ];
  });

  // What can happen to a line: spellings that must change nothing, and damage it must be refused for.
  const ID_COLUMNS = ['PartnerId', 'CustomerId', 'SubscriptionId', 'EntitlementId', 'MeterId', 'ResourceURI'];
  const respell = fc.record({
    kind: fc.constant('respell' as const),
    column: fc.constantFrom(...ID_COLUMNS),
    how: fc.constantFrom('upper', 'pad', 'tab'),
  });
  const money = fc.record({
    kind: fc.constant('money' as const),
    how: fc.constantFrom('zeros', 'plus', 'exponent'),
  });
  const damage = fc.record({
    kind: fc.constant('damage' as const),
    column: fc.constantFrom(
      'Quantity',
      'BillingPreTaxTotal',
      'UsageDate',
      'CustomerId',
      'BillingCurrency',
      'PartnerId',
    ),
    value: fc.constantFrom('x', '', '1E-9999', '2026-13-01', 'not-a-guid', '12a', 'EURO', '1e400'),
  });
  const edit = fc.oneof(respell, money, damage);

  it(
    'rejects exactly the damaged lines, and totals the rest exactly against an independent sum',
    { timeout: 600_000 },
    async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.nat(299), edit), { maxLength: 25 }), async (edits) => {
          const rows = base.map((r) => [...r]);
          const damaged = new Set<number>();
          const respelledMoney = new Set<number>();
          for (const [i, e] of edits) {
            const row = rows[i]!;
            if (e.kind === 'respell') {
              const v = row[column(e.column)]!;
              row[column(e.column)] = e.how === 'upper' ? v.toUpperCase() : e.how === 'pad' ? `  ${v} ` : `\t${v}`;
            } else if (e.kind === 'money') {
              // One respelling a line: two of them ("++1.5", "1.5E0E0") make a value no file writes.
              if (respelledMoney.has(i)) continue;
              respelledMoney.add(i);
              const v = row[column('BillingPreTaxTotal')]!;
              row[column('BillingPreTaxTotal')] =
                e.how === 'zeros'
                  ? `${v.includes('.') ? v : `${v}.`}000`
                  : e.how === 'plus' && !v.startsWith('-')
                    ? `+${v}`
                    : `${v}E0`;
            } else {
              // A value that breaks the line in any case (a currency the customer does not bill in, too).
              const value = e.column === 'BillingCurrency' ? 'JPY' : e.value;
              if (
                e.column === 'BillingCurrency' &&
                !rows.some(
                  (r, k) =>
                    k < i &&
                    r[column('CustomerId')]!.trim().toLowerCase() === row[column('CustomerId')]!.trim().toLowerCase(),
                )
              )
                continue;
              row[column(e.column)] = value;
              damaged.add(i);
            }
          }
          const file = path.join(dir, `fuzz-${++run}.csv`);
          fs.writeFileSync(file, Papa.unparse([header, ...rows], { newline: '\n' }) + '\n');
          const lineOf = (i: number) => i + 2; // one physical line a record in these files
          const store = await openStore(path.join(dir, `fuzz-${run}.db`), alertEngine);
          try {
            const options = {
              skipInvalid: true,
              rejectsFile: `${file}.rejected.csv`,
              now: () => new Date('2026-10-20'),
            };
            const summary = await importFile(store, file, options);
            const rejected = Papa.parse<{ line: string }>(fs.readFileSync(options.rejectsFile, 'utf8'), {
              header: true,
              skipEmptyLines: true,
            }).data.map((r) => Number(r.line));
            assert.deepEqual(rejected, [...damaged].sort((a, b) => a - b).map(lineOf));
            assert.equal(summary.lines, base.length - damaged.size);

            // The oracle: the original BillingPreTaxTotal of every undamaged line, by customer.
            const expected = new Map<string, bigint>();
            base.forEach((r, i) => {
              if (damaged.has(i)) return;
              const id = r[column('CustomerId')]!.toLowerCase();
              expected.set(id, (expected.get(id) ?? 0n) + scaled(r[column('BillingPreTaxTotal')]!));
            });
            const totals = async () =>
              new Map(
                (await store.customerUsage(base[0]![column('PartnerId')]!, '2026-10'))
                  .filter((c) => expected.has(c.tenantId))
                  .map((c) => [c.tenantId, scaled(c.billingTotal)]),
              );
            assert.deepEqual(await totals(), expected);
            // The same lines again, every id in capitals: replaced, never added.
            const again = `${file}.again.csv`;
            const caps = rows.map((r) => r.map((v, k) => (ID_COLUMNS.includes(header[k]!) ? v.toUpperCase() : v)));
            fs.writeFileSync(again, Papa.unparse([header, ...caps], { newline: '\n' }) + '\n');
            const second = await importFile(store, again, { ...options, rejectsFile: `${again}.rejected.csv` });
            assert.equal(second.replaced, second.lines);
            assert.deepEqual(await totals(), expected);
          } finally {
            await store.close();
          }
        }),
        runs(8),
      );
    },
  );
});
