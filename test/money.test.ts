import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonDecimal, parseExact, stringifyExact } from '../src/contract/exact-json.js';
import { percentUsed } from '../src/domain/percent-used.js';
import { add, divide, formatDecimal, parseDecimal, round } from '../src/money/decimal.js';
import { ExactSum } from '../src/money/exact-sum.js';
import { DecimalRead, readDecimal } from '../src/money/decimal-bytes.js';
import { SumTable } from '../src/money/sum-table.js';

const text = (s: string) => formatDecimal(parseDecimal(s)!);

describe('exact decimals', () => {
  it('parses and writes decimal text without losing or inventing digits', () => {
    assert.equal(text('120.5682999999995904716'), '120.5682999999995904716');
    assert.equal(text('-0.500'), '-0.5');
    assert.equal(text('12.4000'), '12.4');
    assert.equal(text('1.5E-05'), '0.000015');
    assert.equal(text('2e3'), '2000');
    assert.equal(text('-0.0'), '0');
    assert.equal(parseDecimal('1,5'), undefined);
    assert.equal(parseDecimal(''), undefined);
  });

  it('adds, rounds half away from zero and divides exactly', () => {
    assert.equal(formatDecimal(add(parseDecimal('0.1')!, parseDecimal('0.2')!)), '0.3');
    assert.equal(formatDecimal(round(parseDecimal('2.345')!, 2)), '2.35');
    assert.equal(formatDecimal(round(parseDecimal('-2.345')!, 2)), '-2.35');
    assert.equal(formatDecimal(divide(parseDecimal('1')!, parseDecimal('3')!, 5)), '0.33333');
    assert.equal(formatDecimal(divide(parseDecimal('2')!, parseDecimal('3')!, 2)), '0.67');
  });

  it('computes percentUsed as Partner Center shows it (602.84 and 28.08)', () => {
    assert.equal(formatDecimal(percentUsed('120.5682999999995904716', '20')), '602.84');
    assert.equal(formatDecimal(percentUsed('27.23292827625710931604', '97')), '28.08');
    assert.equal(formatDecimal(percentUsed('50', null)), '0');
    assert.equal(formatDecimal(percentUsed('50', '0')), '0');
  });
});

describe('ExactSum', () => {
  it('sums a million small values exactly where doubles drift', () => {
    const sum = new ExactSum();
    let double = 0;
    for (let i = 0; i < 1_000_000; i++) {
      sum.add('0.000000000001');
      double += 0.000000000001;
    }
    assert.equal(formatDecimal(sum.toDecimal()), '0.000001');
    assert.notEqual(double, 0.000001);
  });

  it('carries between the fraction and the whole part, both ways', () => {
    const sum = new ExactSum();
    sum.add('0.999999999999999');
    sum.add('0.000000000000001');
    sum.add('-1.5');
    assert.equal(formatDecimal(sum.toDecimal()), '-0.5');
  });

  it('moves to BigInt for long fractions, exponents and huge values, and stays exact', () => {
    const sum = new ExactSum();
    sum.add('0.12345678901234567890123');
    sum.add('1E-30');
    sum.add('9007199254740993.5');
    sum.add('1.5');
    assert.equal(formatDecimal(sum.toDecimal()), '9007199254740995.123456789012345678901230000001');
    const roll = new ExactSum();
    roll.add('1.25');
    roll.addSum(sum);
    assert.equal(formatDecimal(roll.toDecimal()), '9007199254740996.373456789012345678901230000001');
  });
});

describe('readDecimal', () => {
  const read = (t: string) => {
    const out = new Float64Array(2);
    const kind = readDecimal(Buffer.from(t, 'latin1'), 0, t.length, out, 0);
    return kind === DecimalRead.Fast ? [out[0], out[1]] : kind;
  };

  it('reads the fast form and tells the slow and the invalid apart', () => {
    assert.deepEqual(read('12.5'), [12, 5e14]);
    assert.deepEqual(read('-0.000000000000001'), [-0, -1]);
    assert.deepEqual(read('.5'), [0, 5e14]);
    assert.deepEqual(read('3.'), [3, 0]);
    assert.deepEqual(read('+7'), [7, 0]);
    assert.equal(read('1.5E-05'), DecimalRead.Slow);
    assert.equal(read('0.1234567890123456'), DecimalRead.Slow);
    assert.equal(read('4503599627370496'), DecimalRead.Slow); // 2^52
    for (const bad of ['', '-', '.', '1,5', '1.5.', 'e5', '1e', '12a', ' 1', '1e+', '--1', '1e5.5', '0x10', 'NaN']) {
      assert.equal(read(bad), DecimalRead.Invalid, bad);
    }
  });

  it('accepts values up to 18 digits before the point and 30 after it, exponents included', () => {
    const accepted = (t: string) => read(t) !== DecimalRead.Invalid && read(t) !== DecimalRead.OutOfRange;
    for (const ok of [
      '999999999999999999',
      '1E17',
      '1.5E-29',
      '0.000000000000000000000000000001',
      '1E-30',
      '0E-999',
      '-12.5E+3',
      `1${'0'.repeat(17)}.5`,
    ]) {
      assert.ok(accepted(ok), ok);
    }
    for (const out of [
      '1E18',
      '1000000000000000000',
      '1E-31',
      '0.0000000000000000000000000000001',
      '1E-9999',
      '1e12345',
      `0.${'1'.repeat(40)}`,
      `${'0'.repeat(70)}1`,
    ]) {
      assert.equal(read(out), DecimalRead.OutOfRange, out);
    }
    // Trailing and leading zeros are not significant digits: these are in range.
    assert.ok(accepted(`1.${'0'.repeat(40)}`));
    assert.ok(accepted(`${'0'.repeat(30)}1.5`));
  });
});

describe('SumTable', () => {
  it('sums random decimals per key exactly, through the slow form and across tables', () => {
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
    const table = new SumTable(2);
    const expected = new Map<string, [bigint, bigint]>();
    const SCALE = 30;
    const units = (t: string) => {
      const d = parseDecimal(t)!;
      return d.units * 10n ** BigInt(SCALE - d.scale);
    };
    for (let i = 0; i < 20_000; i++) {
      const key = [Math.floor(random() * 50), Math.floor(random() * 3), 0] as const;
      const row = table.row(...key);
      const values = [0, 1].map(() => {
        const r = random();
        const sign = random() < 0.3 ? '-' : '';
        // Mostly the fast form; now and then an exponent, a long fraction or a huge whole.
        if (r < 0.01) return `${sign}${digits(2)}.${digits(3)}E-0${Math.floor(random() * 9)}`;
        if (r < 0.02) return `${sign}0.${digits(22)}`;
        if (r < 0.025) return `${sign}${digits(17)}.5`;
        return `${sign}${digits(Math.floor(random() * 6))}.${digits(Math.floor(random() * 16))}`;
      });
      const sums = expected.get(key.join()) ?? [0n, 0n];
      values.forEach((v, k) => {
        if (!parseDecimal(v)) return;
        const out = new Float64Array(2);
        if (readDecimal(Buffer.from(v), 0, v.length, out, 0) === DecimalRead.Fast) table.add(row, k, out, 0);
        else table.addText(row, k, v);
        sums[k]! += units(v);
      });
      expected.set(key.join(), sums);
    }
    const copy = new SumTable(2);
    for (let r = 0; r < table.rows; r++) {
      const key = [table.key(r, 0), table.key(r, 1), table.key(r, 2)].join();
      const [a, b] = expected.get(key)!;
      assert.equal(table.text(r, 0), formatDecimal({ units: a, scale: SCALE }), key);
      assert.equal(table.text(r, 1), formatDecimal({ units: b, scale: SCALE }), key);
      // Rolled up into one row of another table, amounts swapped.
      copy.addFrom(copy.row(0, 0), 0, table, r, 1);
      copy.addFrom(copy.row(0, 0), 1, table, r, 0);
    }
    const total = (k: 0 | 1) => [...expected.values()].reduce((sum, v) => sum + v[k], 0n);
    assert.equal(copy.text(0, 0), formatDecimal({ units: total(1), scale: SCALE }));
    assert.equal(copy.text(0, 1), formatDecimal({ units: total(0), scale: SCALE }));
    assert.equal(expected.size, table.rows);
  });

  it('exports its rows: keys, fast parts, and the rows in the slow form as text', () => {
    const table = new SumTable(1);
    table.add(table.row(4, 5, 6), 0, new Float64Array([1, 25e13]), 0);
    table.addText(table.row(7, 8, 9), 0, '2E+3');
    const out = table.export();
    assert.equal(out.rows, 2);
    assert.deepEqual([...out.keys], [4, 5, 6, 7, 8, 9]);
    assert.deepEqual([...out.parts.subarray(0, 2)], [1, 25e13]);
    assert.deepEqual(out.slow, [{ row: 1, text: ['2000'] }]);
  });
});

describe('exact JSON', () => {
  it('writes decimals as bare JSON numbers with every digit', () => {
    const json = stringifyExact({ totalCost: new JsonDecimal('120.5682999999995904716'), name: 'x', n: 3 });
    assert.equal(json, '{"totalCost":120.5682999999995904716,"name":"x","n":3}');
  });

  it('reads numbers back as decimals without going through a double', () => {
    const value = parseExact('{"a":120.5682999999995904716,"b":"1.5","c":[-0.1,2]}') as Record<string, unknown>;
    assert.ok(value.a instanceof JsonDecimal);
    assert.equal((value.a as JsonDecimal).text, '120.5682999999995904716');
    assert.equal(value.b, '1.5');
    assert.deepEqual(
      (value.c as JsonDecimal[]).map((d) => d.text),
      ['-0.1', '2'],
    );
  });
});
