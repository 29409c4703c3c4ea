import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineDictionary, LineFields, LineFieldsEncoder } from '../src/domain/line-fields.js';
import { columnsOf, DAILY_RATED_COLUMNS, LEGACY_COLUMNS, type LineFormat } from '../src/domain/line-schema.js';

const WIDTH = { 'daily-rated': DAILY_RATED_COLUMNS.length, legacy: LEGACY_COLUMNS.length };
const index = (format: LineFormat, name: string) =>
  columnsOf(format).findIndex((c) => (format === 'daily-rated' ? c.csv : c.legacy?.name) === name);

/** A record as the scanner gives it: each field's bytes at [starts[k], ends[k]) of one buffer. */
function record(fields: readonly string[], escaped: readonly number[] = []) {
  const parts = fields.map((f) => Buffer.from(f, 'utf8'));
  const buf = Buffer.concat([Buffer.from('  '), ...parts]); // an offset, so nothing starts at 0
  const starts = new Int32Array(fields.length);
  const ends = new Int32Array(fields.length);
  let at = 2;
  parts.forEach((p, k) => {
    starts[k] = at;
    ends[k] = at += p.length;
  });
  const flags = new Uint8Array(fields.length);
  for (const k of escaped) flags[k] = 1;
  return { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), starts, ends, escaped: flags };
}

/** A line of `format` whose columns are '' except those given. */
function line(format: LineFormat, values: Record<string, string>): string[] {
  const fields = new Array<string>(WIDTH[format]).fill('');
  for (const [name, value] of Object.entries(values)) fields[index(format, name)] = value;
  return fields;
}

/** A line's amounts as the importer keeps them: its quantity and totals without surrounding spaces. */
function amountsOf(format: LineFormat, values: readonly string[]): [string, string, string] {
  const [q, b, p] =
    format === 'daily-rated'
      ? ['Quantity', 'BillingPreTaxTotal', 'PricingPreTaxTotal']
      : ['ConsumedQuantity', 'PretaxCharges', ''];
  const at = (name: string) => (name === '' ? '0' : values[index(format, name)]!.trim());
  return [at(q), at(b), at(p)];
}

const positions = (format: LineFormat) => Int32Array.from({ length: WIDTH[format] }, (_, k) => k);

/** Encodes lines (each [values, resource]) as blocks of `perBlock` lines; returns the blocks decoded. */
function roundTrip(
  format: LineFormat,
  lines: readonly { values: string[]; resource?: number; amounts?: [string, string, string] }[],
  perBlock = lines.length,
  encoder = new LineFieldsEncoder(format, 1),
) {
  const dictionary = new LineDictionary();
  const blocks: { fields: LineFields; delta: Uint8Array; blob: Uint8Array }[] = [];
  for (let from = 0; from < lines.length; from += perBlock) {
    const slice = lines.slice(from, from + perBlock);
    for (const l of slice) {
      encoder.line(l.resource ?? -1, true);
      const r = record(l.values);
      assert.equal(
        encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions(format)),
        -1,
        encoder.problem,
      );
      encoder.commit(l.resource ?? -1);
    }
    const { fields, delta } = encoder.take();
    if (delta.length > 0) dictionary.apply(delta);
    const amounts = slice.flatMap((l) => l.amounts ?? amountsOf(format, l.values));
    blocks.push({ fields: new LineFields(fields, amounts, dictionary), delta, blob: fields });
  }
  return blocks;
}

const values = (fields: LineFields, i: number) =>
  Array.from({ length: fields.columns.length }, (_, k) => fields.at(i, k));

describe('line fields: every column of a block, as written', () => {
  it('gives back every value byte for byte: quotes, commas, line breaks, spaces, non-ASCII, empty', () => {
    const texts = [
      line('daily-rated', {
        PartnerId: '97da2849-d73e-4b43-aa90-7d090402c802',
        CustomerName: 'Margie\'s Travel, "GmbH"',
        AdditionalInfo: '{"a":\n"b"}',
        Tags: '  padded  ',
        MeterName: 'Ünïcødé 名前 😀',
        Quantity: '1.5E-05',
        UnitPrice: ' 0.1 ',
        UsageDate: '2026-10-01T00:00:00Z',
      }),
      line('daily-rated', { CustomerName: 'second', Quantity: '2' }),
    ];
    const [block] = roundTrip(
      'daily-rated',
      texts.map((values) => ({ values })),
    );
    assert.deepEqual(values(block!.fields, 0), texts[0]);
    assert.deepEqual(values(block!.fields, 1), texts[1]);
    assert.equal(block!.fields.format, 'daily-rated');
    assert.equal(block!.fields.count, 2);
  });

  it('undoes doubled quotes of a quoted field', () => {
    const encoder = new LineFieldsEncoder('daily-rated');
    encoder.line(-1, true);
    const fields = line('daily-rated', { CustomerName: 'say ""hi""' });
    const r = record(fields, [index('daily-rated', 'CustomerName')]);
    assert.equal(encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated')), -1);
    encoder.commit(-1);
    const { fields: blob, delta } = encoder.take();
    const dictionary = new LineDictionary();
    dictionary.apply(delta);
    assert.equal(
      new LineFields(blob, ['', '', ''], dictionary).at(0, index('daily-rated', 'CustomerName')),
      'say "hi"',
    );
  });

  it('undoes doubled quotes of values of any length, and only in quoted fields', () => {
    const encoder = new LineFieldsEncoder('daily-rated');
    const long = `{""app"":""${'v'.repeat(600)}""}`; // past the encoder's first 256-byte scratch
    const lines = [
      { CustomerName: '""""', Tags: long, ResourceGroup: 'rg""x' },
      { CustomerName: 'a""', Tags: long, ResourceGroup: 'rg""x' },
    ];
    const quoted = [index('daily-rated', 'CustomerName'), index('daily-rated', 'Tags')];
    for (const values of lines) {
      encoder.line(-1, true);
      const r = record(line('daily-rated', values), quoted);
      assert.equal(encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated')), -1);
      encoder.commit(-1);
    }
    const { fields: blob, delta } = encoder.take();
    const dictionary = new LineDictionary();
    dictionary.apply(delta);
    const fields = new LineFields(blob, ['', '', '', '', '', ''], dictionary);
    const at = (i: number, name: string) => fields.at(i, index('daily-rated', name));
    assert.equal(at(0, 'CustomerName'), '""');
    assert.equal(at(1, 'CustomerName'), 'a"');
    assert.equal(at(0, 'Tags'), `{"app":"${'v'.repeat(600)}"}`);
    assert.equal(at(1, 'Tags'), at(0, 'Tags'));
    assert.equal(at(0, 'ResourceGroup'), 'rg""x', 'a field that was not quoted is kept as it was');
  });

  it('finds a value written quoted or bare as one value, on the previous line or the same resource’s last', () => {
    const encoder = new LineFieldsEncoder('daily-rated');
    const tags = index('daily-rated', 'Tags');
    // Two resources taking turns: Tags never matches the previous line, so it is hinted per resource.
    const lines = (n: number) =>
      Array.from({ length: n }, (_, i) => {
        const quoted = i % 4 < 2;
        const value = i % 2 === 0 ? '{"a":1}' : '{"a":2}';
        return { resource: i % 2, quoted, text: quoted ? value.replaceAll('"', '""') : value };
      });
    const deltas: string[] = [];
    const dictionary = new LineDictionary();
    const read: string[] = [];
    for (const block of [lines(8), lines(8)]) {
      for (const l of block) {
        encoder.line(l.resource, true);
        const r = record(line('daily-rated', { Tags: l.text }), l.quoted ? [tags] : []);
        assert.equal(encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated')), -1);
        encoder.commit(l.resource);
      }
      const { fields: blob, delta } = encoder.take();
      dictionary.apply(delta);
      deltas.push(Buffer.from(delta).toString('utf8'));
      const fields = new LineFields(blob, new Array<string>(3 * block.length).fill(''), dictionary);
      for (let i = 0; i < block.length; i++) read.push(fields.at(i, tags));
    }
    assert.deepEqual(
      read,
      [...lines(8), ...lines(8)].map((l) => (l.resource === 0 ? '{"a":1}' : '{"a":2}')),
    );
    assert.equal(deltas[0]!.split('{"a":1}').length - 1, 1, 'the first block brings each value once');
    assert.equal(deltas[0]!.split('{"a":2}').length - 1, 1, 'the first block brings each value once');
    assert.ok(!deltas[1]!.includes('{"a"'), 'the second block brings no Tags value again');
  });

  it('finds by comparing bytes alone a value of the previous line, or of a hinted column the resource’s last', () => {
    const encoder = new LineFieldsEncoder('daily-rated');
    const imported = columnsOf('daily-rated').filter((c) => c.amount === null).length;
    const tags = index('daily-rated', 'Tags');
    const encode = (lines: number) => {
      const before = encoder.lookUps;
      for (let i = 0; i < lines; i++) {
        encoder.line(i % 2, true);
        // Two resources taking turns: ResourceURI never repeats the previous line's; every other
        // column does (Tags quoted, with doubled quotes).
        const values = line('daily-rated', {
          PartnerId: '4a1b8c2d-0000-4000-8000-000000000001',
          ResourceURI: `/r${i % 2}`,
          Tags: '{""a"":1}',
        });
        const r = record(values, [tags]);
        assert.equal(encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated')), -1);
        encoder.commit(i % 2);
      }
      encoder.take();
      return encoder.lookUps - before;
    };
    // The first block: every column of its first line, then the URI on each later line; hints are
    // then chosen for the columns the previous line matched on fewer than 90 % of the lines.
    assert.equal(encode(20), imported + 19);
    // A block starts without a previous line: its first line looks up every column; the resources'
    // last values are kept from the second block on, so there the second line looks up its URI…
    assert.equal(encode(20), imported + 1);
    // …and from the third block on the first line finds its URI as its resource's last.
    assert.equal(encode(20), imported - 1);
  });

  it('stores an amount once: as the block amount, unless its text differs from it', () => {
    const q = index('daily-rated', 'Quantity');
    const p = index('daily-rated', 'PricingPreTaxTotal');
    const [block] = roundTrip('daily-rated', [
      { values: line('daily-rated', { Quantity: '12.5', PricingPreTaxTotal: '3' }), amounts: ['12.5', '1', '3'] },
      { values: line('daily-rated', { Quantity: ' 7 ', PricingPreTaxTotal: '4' }), amounts: ['7', '1', '4'] },
    ]);
    assert.equal(block!.fields.at(0, q), '12.5');
    assert.equal(block!.fields.at(1, q), ' 7 ', 'the text with its spaces, not the amount');
    assert.equal(block!.fields.at(1, p), '4');
    // A USD amount converted from another pricing currency is not the column's text.
    const encoder = new LineFieldsEncoder('daily-rated');
    encoder.line(-1, false);
    const r = record(line('daily-rated', { PricingPreTaxTotal: '100' }));
    encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated'));
    encoder.commit(-1);
    const { fields, delta } = encoder.take();
    const dictionary = new LineDictionary();
    dictionary.apply(delta);
    assert.equal(new LineFields(fields, ['', '', '71.5'], dictionary).at(0, p), '100');
  });

  it('keeps one dictionary across an import: a value is stored once, in the part of its first block', () => {
    const uri = `/subscriptions/${'a'.repeat(36)}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`;
    const lines = Array.from({ length: 6 }, (_, i) => ({
      values: line('daily-rated', { ResourceURI: uri, UsageDate: `2026-10-0${i + 1}T00:00:00Z`, Quantity: '1' }),
      resource: 0,
    }));
    const blocks = roundTrip('daily-rated', lines, 2);
    assert.equal(blocks.length, 3);
    assert.ok(blocks[0]!.delta.includes(Buffer.from(uri)[0]!), 'the first part holds the URI');
    assert.ok(!Buffer.from(blocks[1]!.delta).includes(Buffer.from(uri)), 'later parts do not repeat it');
    for (const [b, block] of blocks.entries()) {
      for (let i = 0; i < 2; i++) assert.deepEqual(values(block.fields, i), lines[2 * b + i]!.values);
    }
  });

  it('numbers values in as few bytes as the dictionary needs: none for one value, 1, 2 or 4', () => {
    const meter = index('daily-rated', 'MeterName');
    // Records of two fields: an empty one for every column, and the meter name for MeterName.
    const positions = new Int32Array(WIDTH['daily-rated']);
    positions[meter] = 1;
    const starts = new Int32Array(2);
    const ends = new Int32Array(2);
    const escaped = new Uint8Array(2);
    for (const [distinct, bytes] of [
      [1, 0],
      [200, 1],
      [300, 2],
      [70_000, 4],
    ] as const) {
      const count = Math.max(distinct, 2);
      const encoder = new LineFieldsEncoder('daily-rated');
      for (let i = 0; i < count; i++) {
        const buf = Buffer.from(`m${i % distinct}`);
        ends[1] = buf.length;
        encoder.line(-1, true);
        encoder.encodeLine(buf, new DataView(buf.buffer, buf.byteOffset, buf.length), starts, ends, escaped, positions);
        encoder.commit(-1);
      }
      const { fields: blob, delta } = encoder.take();
      const dictionary = new LineDictionary();
      dictionary.apply(delta);
      const fields = new LineFields(blob, new Array<string>(3 * count).fill(''), dictionary);
      assert.equal(fields.at(count - 1, meter), `m${(count - 1) % distinct}`);
      // The block's size: the numbers of this column, and a few bytes a column besides.
      assert.ok(
        blob.length >= bytes * count && blob.length < bytes * count + 20 * WIDTH['daily-rated'],
        `${distinct}: ${blob.length}`,
      );
    }
  });

  it('takes back a line that was not committed, with the values only it brought', () => {
    const encoder = new LineFieldsEncoder('daily-rated');
    const name = index('daily-rated', 'CustomerName');
    for (const [text, keep] of [
      ['kept', true],
      ['refused', false],
      ['kept too', true],
    ] as const) {
      encoder.line(-1, true);
      const r = record(line('daily-rated', { CustomerName: text }));
      encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated'));
      if (keep) encoder.commit(-1);
    }
    const { fields, delta } = encoder.take();
    assert.ok(!Buffer.from(delta).includes(Buffer.from('refused')));
    const dictionary = new LineDictionary();
    dictionary.apply(delta);
    const decoded = new LineFields(fields, ['', '', '', '', '', ''], dictionary);
    assert.equal(decoded.count, 2);
    assert.deepEqual([decoded.at(0, name), decoded.at(1, name)], ['kept', 'kept too']);
  });

  it("refuses a value that is not its column's type, naming why", () => {
    for (const [column, value, reason] of [
      ['UnitPrice', 'twelve', /not a decimal number/],
      ['UnitPrice', '1'.repeat(70), /outside the accepted range/],
      ['PartnerEarnedCreditPercentage', '15%', /not a decimal number/],
      ['PCToBCExchangeRateDate', '2026-13-01', /not a date/],
      ['EntitlementId', 'not-a-guid', /not a GUID/],
      ['CustomerName', '\u00ff', undefined],
    ] as const) {
      const encoder = new LineFieldsEncoder('daily-rated');
      encoder.line(-1, true);
      const r = record(line('daily-rated', { [column]: value }));
      const k = encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated'));
      if (reason === undefined) assert.equal(k, -1, `${column} ${value}`);
      else {
        assert.equal(k, index('daily-rated', column));
        assert.match(encoder.problem, reason);
      }
    }
    // Bytes that are not UTF-8.
    const encoder = new LineFieldsEncoder('daily-rated');
    encoder.line(-1, true);
    const r = record(line('daily-rated', { CustomerName: 'x' }));
    r.buf[r.starts[index('daily-rated', 'CustomerName')]!] = 0xff;
    assert.equal(
      encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated')),
      index('daily-rated', 'CustomerName'),
    );
    assert.match(encoder.problem, /not valid UTF-8/);
    // Ids and numbers may carry surrounding white space, as the importer allows.
    encoder.line(-1, true);
    const padded = record(
      line('daily-rated', { EntitlementId: '\t0ffc6d2a-fa3a-4606-80d2-0902511fb475 ', UnitPrice: ' 1.5' }),
    );
    assert.equal(
      encoder.encodeLine(padded.buf, padded.view, padded.starts, padded.ends, padded.escaped, positions('daily-rated')),
      -1,
    );
  });

  it('keeps a legacy line in the legacy layout', () => {
    const texts = line('legacy', {
      PartnerId: '97da2849-d73e-4b43-aa90-7d090402c802',
      ListPrice: '$0.0808',
      ChargeStartDate: '2/1/2019 0:00',
      SubscriptionId: 'usCBMgAAAAAAAAIA',
      ConsumedQuantity: '11',
    });
    const [block] = roundTrip('legacy', [{ values: texts }]);
    assert.equal(block!.fields.format, 'legacy');
    assert.deepEqual(values(block!.fields, 0), texts);
  });

  it('picks lines of a block into a block of their own', () => {
    const lines = ['a', 'b', 'c', 'd'].map((name, i) => ({
      values: line('daily-rated', { CustomerName: name, Quantity: i === 2 ? ' 2 ' : String(i) }),
      amounts: [String(i), '', ''] as [string, string, string],
    }));
    const encoder = new LineFieldsEncoder('daily-rated');
    const dictionary = new LineDictionary();
    for (const l of lines) {
      encoder.line(-1, true);
      const r = record(l.values);
      encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated'));
      encoder.commit(-1);
    }
    const { fields: blob, delta } = encoder.take();
    dictionary.apply(delta);
    const all = new LineFields(
      blob,
      lines.flatMap((l) => l.amounts),
      dictionary,
    );
    const picked = new LineFields(all.pick([1, 2], blob), ['1', '', '', '2', '', ''], dictionary);
    assert.equal(picked.count, 2);
    assert.deepEqual([values(picked, 0), values(picked, 1)], [lines[1]!.values, lines[2]!.values]);
  });

  it('keeps a column in the import dictionary while it holds exactly its bound of values', () => {
    for (const [bound, kept] of [
      [20, true],
      [19, false],
    ] as const) {
      const encoder = new LineFieldsEncoder('daily-rated', 0, { values: bound, bytes: 1 << 20 });
      // 20 values in the first block: at the bound, or one past it; then a new one.
      const lines = Array.from({ length: 21 }, (_, i) => ({
        values: line('daily-rated', { MeterName: `meter ${i}` }),
      }));
      const blocks = roundTrip('daily-rated', lines, 20, encoder);
      assert.equal(
        Buffer.from(blocks[1]!.delta).includes(Buffer.from('meter 20')),
        kept,
        `bound ${bound}: the next value ${kept ? 'in' : 'out of'} the dictionary`,
      );
      assert.deepEqual(values(blocks[1]!.fields, 0), lines[20]!.values);
    }
  });

  it('keeps a column in its blocks once its import dictionary passes its bound', () => {
    const encoder = new LineFieldsEncoder('daily-rated', 0, { values: 10, bytes: 1 << 20 });
    const lines = Array.from({ length: 40 }, (_, i) => ({ values: line('daily-rated', { MeterName: `meter ${i}` }) }));
    const blocks = roundTrip('daily-rated', lines, 20, encoder);
    assert.ok(!Buffer.from(blocks[1]!.delta).includes(Buffer.from('meter 3')), 'no longer in the dictionary');
    for (const [b, block] of blocks.entries()) {
      for (let i = 0; i < 20; i++) assert.deepEqual(values(block.fields, i), lines[20 * b + i]!.values);
    }
  });

  it('refuses fields of a version it does not know, and a dictionary that lacks the part a block needs', () => {
    const encoder = new LineFieldsEncoder('daily-rated');
    encoder.line(-1, true);
    const r = record(line('daily-rated', { CustomerName: 'x' }));
    encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated'));
    encoder.commit(-1);
    const { fields } = encoder.take();
    assert.throws(() => new LineFields(fields, ['', '', ''], new LineDictionary()), /needs part 1/);
    const other = Uint8Array.from(fields);
    other[0] = 9;
    assert.throws(() => new LineFields(other, ['', '', '']), /version 9/);
  });
});

describe('line fields: the edges', () => {
  it('reads a column the block does not have as empty, and a column a dictionary lacks as empty', () => {
    const encoder = new LineFieldsEncoder('legacy');
    encoder.line(-1, false);
    const values = line('legacy', { ServiceName: 'Storage', ConsumedQuantity: '1', PretaxCharges: '2' });
    const r = record(values);
    assert.equal(encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('legacy')), -1);
    encoder.commit(-1);
    const { fields, delta } = encoder.take();
    const dictionary = new LineDictionary();
    dictionary.apply(delta);
    const decoded = new LineFields(fields, ['1', '2', '0'], dictionary);
    const productId = columnsOf('daily-rated').find((c) => c.csv === 'ProductId')!;
    const category = columnsOf('daily-rated').find((c) => c.csv === 'MeterCategory')!;
    assert.equal(decoded.get(0, productId), '', 'a legacy line has no ProductId');
    assert.equal(decoded.get(0, category), 'Storage', 'MeterCategory is the legacy ServiceName');
    assert.equal(new LineDictionary().value(3, 0), '');
  });

  it('takes back an uncommitted line that grew the value table, and finds every earlier value after', () => {
    const encoder = new LineFieldsEncoder('daily-rated');
    const name = index('daily-rated', 'MeterName');
    const add = (text: string, keep: boolean) => {
      encoder.line(-1, true);
      const r = record(line('daily-rated', { MeterName: text }));
      encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated'));
      if (keep) encoder.commit(-1);
    };
    for (let i = 0; i < 3000; i++) add(`kept ${i}`, true); // the table grows (rehashes) past 2,048 values
    add('refused', false);
    for (let i = 0; i < 3000; i += 7) add(`kept ${i}`, true); // found again, not added twice
    const { fields, delta } = encoder.take();
    assert.ok(!Buffer.from(delta).includes(Buffer.from('refused')));
    const dictionary = new LineDictionary();
    dictionary.apply(delta);
    const decoded = new LineFields(fields, new Array<string>(3 * 3429).fill(''), dictionary);
    assert.equal(decoded.count, 3000 + 429);
    assert.equal(decoded.at(3000, name), 'kept 0');
    assert.equal(decoded.at(3428, name), 'kept 2996');
    // Each value once: 3,000 names in the part, no more.
    assert.equal(Buffer.from(delta).toString('latin1').split('kept ').length - 1, 3000);
  });

  it('keeps every column in its blocks once the import dictionary passes its bound in bytes', () => {
    const encoder = new LineFieldsEncoder('daily-rated', 0, { values: 1 << 20, bytes: 200 });
    const lines = Array.from({ length: 30 }, (_, i) => ({
      values: line('daily-rated', { MeterName: `a meter with a long name ${i}`, CustomerName: `c${i}` }),
    }));
    const blocks = roundTrip('daily-rated', lines, 10, encoder);
    assert.equal(blocks[2]!.delta.length, 0, 'nothing more in the dictionary');
    for (const [b, block] of blocks.entries()) {
      for (let i = 0; i < 10; i++) assert.deepEqual(values(block.fields, i), lines[10 * b + i]!.values);
    }
    // Picking lines of a block keeps its own values.
    const picked = new LineFields(blocks[2]!.fields.pick([3, 7], blocks[2]!.blob), new Array<string>(6).fill(''));
    assert.deepEqual(values(picked, 1), lines[27]!.values);
  });
});

describe('line fields: the encoding at its bounds', () => {
  /** Encodes one column's values, one a line (every other column empty); returns the block and its dictionary. */
  function encodeColumn(column: string, texts: readonly string[], into?: Uint8Array) {
    const k = index('daily-rated', column);
    const positions = new Int32Array(WIDTH['daily-rated']);
    positions[k] = 1;
    const starts = new Int32Array(2);
    const ends = new Int32Array(2);
    const escaped = new Uint8Array(2);
    const encoder = new LineFieldsEncoder('daily-rated');
    for (const text of texts) {
      const buf = Buffer.from(text);
      ends[1] = buf.length;
      encoder.line(-1, true);
      assert.equal(
        encoder.encodeLine(buf, new DataView(buf.buffer, buf.byteOffset, buf.length), starts, ends, escaped, positions),
        -1,
        encoder.problem,
      );
      encoder.commit(-1);
    }
    const taken = encoder.take(into);
    const dictionary = new LineDictionary();
    if (taken.delta.length > 0) dictionary.apply(taken.delta);
    const decoded = new LineFields(taken.fields, new Array<string>(3 * texts.length).fill(''), dictionary);
    return { blob: taken.fields, delta: taken.delta, k, decoded };
  }

  it('numbers exactly 256 values in one byte and 257 in two; 65,536 in two and 65,537 in four', () => {
    for (const [distinct, bytes] of [
      [256, 1],
      [257, 2],
      [65_536, 2],
      [65_537, 4],
    ] as const) {
      const texts = Array.from({ length: distinct }, (_, i) => `v${i}`);
      const { blob, k, decoded } = encodeColumn('MeterName', texts);
      assert.equal(decoded.at(distinct - 1, k), `v${distinct - 1}`);
      assert.ok(
        blob.length >= bytes * distinct && blob.length < bytes * distinct + 20 * WIDTH['daily-rated'],
        `${distinct}: ${blob.length}`,
      );
    }
  });

  it('keeps values of any length: one, two and three bytes of length', () => {
    const texts = ['x'.repeat(127), 'y'.repeat(128), 'z'.repeat(16_383), 'w'.repeat(16_384), 'é'.repeat(70)];
    const { k, decoded } = encodeColumn('AdditionalInfo', texts);
    texts.forEach((t, i) => assert.equal(decoded.at(i, k), t));
    // In a block's own values too (an amount whose text differs from the amount).
    const long = ` ${'1'.repeat(40)}.${'5'.repeat(25)} `;
    const encoder = new LineFieldsEncoder('daily-rated');
    encoder.line(-1, true);
    const r = record(line('daily-rated', { Quantity: long }));
    encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated'));
    encoder.commit(-1);
    const { fields: blob, delta } = encoder.take();
    const dictionary = new LineDictionary();
    dictionary.apply(delta);
    assert.equal(new LineFields(blob, [long.trim(), '', ''], dictionary).at(0, index('daily-rated', 'Quantity')), long);
  });

  it('writes into the shared memory it is given when it is large enough, else into new shared memory', () => {
    const texts = ['a', 'b', 'c'];
    const roomy = new Uint8Array(new SharedArrayBuffer(1 << 16));
    const given = encodeColumn('MeterName', texts, roomy);
    assert.equal(given.blob.buffer, roomy.buffer, 'the memory given');
    assert.equal(given.decoded.at(2, given.k), 'c');
    const small = new Uint8Array(new SharedArrayBuffer(8));
    const grown = encodeColumn('MeterName', texts, small);
    assert.notEqual(grown.blob.buffer, small.buffer);
    assert.ok(grown.blob.buffer instanceof SharedArrayBuffer && grown.blob.buffer.byteLength >= grown.blob.length);
    assert.equal(grown.decoded.at(1, grown.k), 'b');
    const offset = new Uint8Array(new SharedArrayBuffer(1 << 16), 8);
    assert.notEqual(encodeColumn('MeterName', texts, offset).blob.buffer, offset.buffer, 'numbers must start aligned');
    // Without memory given: arrays of exactly what was written.
    const plain = encodeColumn('MeterName', texts);
    assert.equal(plain.blob.buffer.byteLength, plain.blob.length);
    assert.equal(plain.delta.buffer.byteLength, plain.delta.length);
  });

  it('accepts ids padded with any ASCII white space, and refuses other control bytes', () => {
    const guid = '0ffc6d2a-fa3a-4606-80d2-0902511fb475';
    for (const [text, ok] of [
      [`\r${guid}\n`, true],
      [`\t${guid}\u000b`, true],
      [`\u0001${guid}`, false],
      [`${guid}\u000e`, false],
    ] as const) {
      const encoder = new LineFieldsEncoder('daily-rated');
      encoder.line(-1, true);
      const r = record(line('daily-rated', { EntitlementId: text }));
      const k = encoder.encodeLine(r.buf, r.view, r.starts, r.ends, r.escaped, positions('daily-rated'));
      assert.equal(k === -1, ok, JSON.stringify(text));
    }
  });

  it('reads a column of the import dictionary as empty when no dictionary is given', () => {
    const { blob, k } = encodeColumn('MeterName', ['a', 'b']);
    assert.equal(new LineFields(blob, ['', '', '', '', '', '']).at(1, k), '');
  });

  it("picks lines that share a block's own value, and import numbers of every width", () => {
    // Amounts whose text differs (spaces) are the block's own values; two picked lines share one.
    const texts = Array.from({ length: 300 }, (_, i) => ({
      values: line('daily-rated', { MeterName: `m${i}`, Quantity: i % 2 === 0 ? ' 1 ' : '2' }),
      amounts: [i % 2 === 0 ? '1' : '2', '', ''] as [string, string, string],
    }));
    const [block] = roundTrip('daily-rated', texts);
    const pick = [0, 2, 3, 299];
    const picked = new LineFields(
      block!.fields.pick(pick, block!.blob),
      pick.flatMap((i) => texts[i]!.amounts),
      (() => {
        const d = new LineDictionary();
        d.apply(block!.delta);
        return d;
      })(),
    );
    assert.deepEqual(
      pick.map((_, j) => values(picked, j)),
      pick.map((i) => texts[i]!.values),
    );
  });
});
