import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonDecimal, parseExact, stringifyExact } from '../src/contract/exact-json.js';
import { percentUsed } from '../src/domain/percent-used.js';
import {
  add,
  compare,
  divide,
  formatDecimal,
  multiply,
  parseDecimal,
  plainDecimal,
  rescale,
  round,
} from '../src/money/decimal.js';
import { ExactSum } from '../src/money/exact-sum.js';
import { decimalProblem, DecimalRead, readDecimal } from '../src/money/decimal-bytes.js';
import { SumTable } from '../src/money/sum-table.js';
import { rounds } from './helpers/rounds.js';

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

  it('reads every form of decimal text: signs, bare points, exponents either way, surrounding spaces', () => {
    const units = (t: string) => {
      const d = parseDecimal(t);
      return d === undefined ? undefined : [d.units, d.scale];
    };
    assert.deepEqual(units(' 1.5 '), [15n, 1]);
    assert.deepEqual(units('.5'), [5n, 1]);
    assert.deepEqual(units('5.'), [5n, 0]);
    assert.deepEqual(units('+7'), [7n, 0]);
    assert.deepEqual(units('-0.25'), [-25n, 2]);
    assert.deepEqual(units('1E+2'), [100n, 0]);
    assert.deepEqual(units('1.25e1'), [125n, 1]);
    assert.deepEqual(units('12e-1'), [12n, 1]);
    assert.deepEqual(units('0'), [0n, 0]);
    for (const bad of ['.', '-', 'e5', '1e', '1e12345', '1.2.3', '--1', 'abc', '1 2'])
      assert.equal(parseDecimal(bad), undefined, bad);
  });

  it('writes whole numbers with a negative scale and negative values with their sign, never -0', () => {
    assert.equal(formatDecimal({ units: 12n, scale: -2 }), '1200');
    assert.equal(formatDecimal({ units: -12n, scale: -2 }), '-1200');
    assert.equal(formatDecimal({ units: -5n, scale: 0 }), '-5');
    assert.equal(formatDecimal({ units: -5n, scale: 3 }), '-0.005');
    assert.equal(formatDecimal({ units: -100n, scale: 2 }), '-1');
    assert.equal(formatDecimal({ units: 0n, scale: 3 }), '0');
    assert.equal(formatDecimal({ units: 7n, scale: 1 }), '0.7');
  });

  it('adds across scales, multiplies scales, rescales only upwards', () => {
    assert.equal(formatDecimal(add(parseDecimal('1.25')!, parseDecimal('-0.005')!)), '1.245');
    assert.equal(formatDecimal(add(parseDecimal('-0.005')!, parseDecimal('100')!)), '99.995');
    assert.equal(formatDecimal(multiply(parseDecimal('1.5')!, parseDecimal('0.25')!)), '0.375');
    assert.equal(formatDecimal(multiply(parseDecimal('-12')!, parseDecimal('0.5')!)), '-6');
    assert.equal(rescale(parseDecimal('1.5')!, 3), 1500n);
    assert.equal(rescale(parseDecimal('1.5')!, 1), 15n);
    assert.throws(() => rescale(parseDecimal('1.55')!, 1), /rescale would drop digits/);
  });

  it('rounds half away from zero at exactly the half, and leaves shorter values alone', () => {
    const r = (t: string, places: number) => formatDecimal(round(parseDecimal(t)!, places));
    assert.equal(r('0.125', 2), '0.13');
    assert.equal(r('-0.125', 2), '-0.13');
    assert.equal(r('0.1249999', 2), '0.12');
    assert.equal(r('-0.1249999', 2), '-0.12');
    assert.equal(r('0.5', 0), '1');
    assert.equal(r('-0.5', 0), '-1');
    assert.equal(r('0.4', 0), '0');
    assert.equal(r('1.25', 2), '1.25');
    assert.equal(r('1.2', 2), '1.2');
    const kept = round({ units: 12n, scale: 1 }, 1);
    assert.deepEqual(kept, { units: 12n, scale: 1 }, 'the same value, not rescaled');
  });

  it('divides values of any scales, negative ones half away from zero, and refuses zero', () => {
    const d = (a: string, b: string, places: number) =>
      formatDecimal(divide(parseDecimal(a)!, parseDecimal(b)!, places));
    assert.equal(d('0.123456789', '0.001', 2), '123.46');
    assert.equal(d('1', '0.003', 2), '333.33');
    assert.equal(d('-1', '8', 2), '-0.13');
    assert.equal(d('1', '-8', 2), '-0.13');
    assert.equal(d('-2', '3', 2), '-0.67');
    assert.equal(d('150', '1.5', 0), '100');
    assert.equal(d('0.000001', '3', 8), '0.00000033');
    assert.throws(() => divide(parseDecimal('1')!, parseDecimal('0.00')!, 2), /division by zero/);
  });

  it('compares values by value, whatever their scales and signs (budgets, alert thresholds, margins)', () => {
    const c = (a: string, b: string) => compare(parseDecimal(a)!, parseDecimal(b)!);
    assert.equal(c('1.5', '1.50'), 0, 'the same value at two scales');
    assert.equal(c('1.50', '1.5'), 0, 'either way round');
    assert.equal(c('1.5', '1.49'), 1, 'a larger value at a smaller scale');
    assert.equal(c('1.49', '1.5'), -1, 'a smaller value at a larger scale');
    assert.equal(c('0.001', '0.0009999'), 1, 'the larger scale on the right');
    assert.equal(c('-1', '0'), -1, 'a credit below zero');
    assert.equal(c('0', '-0.000001'), 1, 'zero above any credit');
    assert.equal(c('-2.5', '-2.49'), -1, 'between two credits, the larger one is below');
    assert.equal(c('100', '99.999999999999999999'), 1, "past a double's digits");
    assert.equal(c('2e3', '2000.0'), 0, 'an exponent and its plain form');
  });

  it('writes decimal text as a plain JSON number would, every digit kept, and refuses what is not one', () => {
    // Plain text is given back as it is (the same string: exports call it for every amount).
    const plain = '-120.5682999999995904716';
    assert.equal(plainDecimal(plain), plain);
    for (const same of ['0', '-0', '12.5', '-7', '0.000015', '12.50', '100'])
      assert.equal(plainDecimal(same), same, same);
    // Other forms, as a file may write them, are written as JSON reads a number.
    const forms: [string, string][] = [
      ['1.5E-05', '0.000015'],
      ['-2e3', '-2000'],
      ['+.5', '0.5'],
      ['+7', '7'],
      ['.25', '0.25'],
      ['-.5', '-0.5'],
      ['12.', '12'],
      ['007.5', '7.5'],
      ['-00.25', '-0.25'],
      ['00', '0'],
      ['01', '1'],
    ];
    for (const [text, json] of forms) {
      assert.equal(plainDecimal(text), json, text);
      assert.equal(JSON.parse(plainDecimal(text)), Number(json), `${text} is JSON`);
    }
    for (const bad of ['a1.5', '1,5', '', '.', '1.5.2'])
      assert.throws(() => plainDecimal(bad), new RegExp(`^RangeError: not a decimal: ${bad.replace('.', '\\.')}`), bad);
  });

  it('computes percentUsed as Partner Center shows it (602.84 and 28.08)', () => {
    assert.equal(formatDecimal(percentUsed('120.5682999999995904716', '20')), '602.84');
    assert.equal(formatDecimal(percentUsed('27.23292827625710931604', '97')), '28.08');
    assert.equal(formatDecimal(percentUsed('50', null)), '0');
    assert.equal(formatDecimal(percentUsed('50', '0')), '0');
    assert.equal(formatDecimal(percentUsed('50', '0.000')), '0');
    assert.equal(formatDecimal(percentUsed('-5', '20')), '-25');
    // An amount that is not a decimal gives 0, as no budget does, rather than failing the page.
    assert.equal(formatDecimal(percentUsed('50', 'ten')), '0');
    assert.equal(formatDecimal(percentUsed('fifty', '10')), '0');
  });
});

describe('ExactSum', () => {
  it('sums a million small values exactly where doubles drift', () => {
    const sum = new ExactSum();
    let double = 0;
    for (let i = 0; i < rounds(1_000_000); i++) {
      sum.add('0.000000000001');
      double += 0.000000000001;
    }
    assert.equal(
      formatDecimal(sum.toDecimal()),
      formatDecimal(divide(parseDecimal(String(rounds(1_000_000)))!, parseDecimal('1000000000000')!, 12)),
    );
    assert.notEqual(double, rounds(1_000_000) * 1e-12);
  });

  it('carries between the fraction and the whole part, both ways', () => {
    const sum = new ExactSum();
    sum.add('0.999999999999999');
    sum.add('0.000000000000001');
    sum.add('-1.5');
    assert.equal(formatDecimal(sum.toDecimal()), '-0.5');
  });

  it('carries exactly at the fraction boundary, up and down', () => {
    const sum = (...values: string[]) => {
      const s = new ExactSum();
      for (const v of values) s.add(v);
      return [s.toText(), formatDecimal(s.toDecimal())];
    };
    assert.deepEqual(sum('0.999999999999999', '0.000000000000001'), ['1', '1']);
    assert.deepEqual(sum('-0.999999999999999', '-0.000000000000001'), ['-1', '-1']);
    assert.deepEqual(sum('2.5', '0.5', '0.999999999999999'), ['3.999999999999999', '3.999999999999999']);
    assert.deepEqual(sum('0.999999999999999', '0.999999999999999'), ['1.999999999999998', '1.999999999999998']);
    assert.deepEqual(sum('-0.999999999999999', '-0.999999999999999'), ['-1.999999999999998', '-1.999999999999998']);
  });

  it('gives a total the sign of its value when a credit takes it across zero', () => {
    const sum = (...values: string[]) => {
      const s = new ExactSum();
      for (const v of values) s.add(v);
      assert.equal(s.toText(), formatDecimal(s.toDecimal()), values.join(' + '));
      return s.toText();
    };
    assert.equal(sum('5.25', '-7.5'), '-2.25');
    assert.equal(sum('1', '-0.5'), '0.5');
    assert.equal(sum('-1', '0.25'), '-0.75');
    assert.equal(sum('-3', '1.25'), '-1.75');
    assert.equal(sum('2.75', '-3'), '-0.25');
    assert.equal(sum('-1.5', '1.5'), '0');
    assert.equal(sum('-0.5', '0.5'), '0');
    assert.equal(sum('10', '-10.000000000000001'), '-0.000000000000001');
    assert.equal(sum('-7', '7.000000000000001'), '0.000000000000001');
    assert.equal(sum('-2', '-0.5', '5'), '2.5');
    assert.equal(sum('3', '-3'), '0');
    assert.equal(sum('-4', '0'), '-4');
  });

  it('stays exact past 2^53, where doubles would round', () => {
    const sum = new ExactSum();
    sum.add('4503599627370495');
    sum.add('4503599627370495');
    sum.add('3');
    assert.equal(sum.toText(), '9007199254740993');
  });

  it('adds a byte range of a larger buffer in the slow form too, and refuses text that is no decimal', () => {
    const sum = new ExactSum();
    sum.addBytes(Buffer.from('xx1.5E-05yy'), 2, 9);
    sum.addBytes(Buffer.from('--2.25--'), 2, 6);
    assert.equal(sum.toText(), '2.250015');
    assert.throws(() => new ExactSum().add('abc'), /not a decimal: abc/);
  });

  it('rolls a fast sum into a BigInt one, and a BigInt one into a fast one', () => {
    const big = new ExactSum();
    big.add('1E-20');
    const fast = new ExactSum();
    fast.add('2.5');
    big.addSum(fast);
    assert.equal(big.toText(), '2.50000000000000000001');
    const other = new ExactSum();
    other.add('-1');
    other.addSum(big);
    assert.equal(other.toText(), '1.50000000000000000001');
  });

  it('moves to BigInt exactly when a whole part reaches 2^52', () => {
    const sum = new ExactSum();
    sum.add('4503599627370495'); // 2^52 - 1: still the fast form
    assert.equal(sum.big, undefined);
    sum.add('1');
    assert.notEqual(sum.big, undefined, 'at 2^52 the sum is held as a BigInt');
    sum.add('0.5');
    assert.equal(sum.toText(), '4503599627370496.5');
    const negative = new ExactSum();
    negative.add('-4503599627370495');
    negative.add('-1.25');
    assert.equal(negative.toText(), '-4503599627370496.25');
    const roll = new ExactSum();
    roll.addSum(negative);
    roll.addSum(sum);
    assert.equal(roll.toText(), '0.25');
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
    assert.deepEqual(read('1.5E-05'), [0, 15e9], 'an exponent, when the value fits the fast form');
    assert.deepEqual(read('-1.5E-05'), [-0, -15e9]);
    assert.equal(read('0.1234567890123456'), DecimalRead.Slow);
    assert.equal(read('4503599627370496'), DecimalRead.Slow); // 2^52
    for (const bad of ['', '-', '.', '1,5', '1.5.', 'e5', '1e', '12a', ' 1', '1e+', '--1', '1e5.5', '0x10', 'NaN']) {
      assert.equal(read(bad), DecimalRead.Invalid, bad);
    }
  });

  it('reads only its range of a larger buffer, whatever bytes follow it', () => {
    const within = (t: string, after: string) => {
      const out = new Float64Array(2);
      const buf = Buffer.from(`9${t}${after}`, 'latin1');
      const kind = readDecimal(buf, 1, 1 + t.length, out, 0);
      return kind === DecimalRead.Fast ? [out[0], out[1]] : kind;
    };
    for (const after of ['7', '.5', 'e5', '+', '-', '0']) {
      assert.deepEqual(within('12', after), [12, 0], `12 then ${after}`);
      assert.deepEqual(within('12.5', after), [12, 5e14], `12.5 then ${after}`);
      assert.deepEqual(within('-3', after), [-3, -0], `-3 then ${after}`);
      assert.deepEqual(within('1.5E-5', after), [0, 15e9], `1.5E-5 then ${after}`);
      assert.equal(within('1.5E-15', after), DecimalRead.Slow, `1.5E-15 then ${after}`);
      assert.equal(within('1E', after), DecimalRead.Invalid, `1E then ${after}`);
      assert.equal(within('', after), DecimalRead.Invalid, `nothing then ${after}`);
      assert.equal(within('-', after), DecimalRead.Invalid, `- then ${after}`);
    }
    assert.deepEqual(within('5.', '5'), [5, 0]);
    assert.deepEqual(within('0.123456789012345', '6'), [0, 123456789012345]);
  });

  it('gives 15 fraction digits in the fast form and moves the 16th to the slow one', () => {
    assert.deepEqual(read('0.123456789012345'), [0, 123456789012345]);
    assert.equal(read('0.1234567890123451'), DecimalRead.Slow);
    assert.deepEqual(read('1.1234567890123450'), [1, 123456789012345], 'a 16th digit that is a zero is not');
    assert.deepEqual(read('-1.10000000000000000000'), [-1, -1e14]);
  });

  it('moves the point by the exponent into the fast form, when the value fits it', () => {
    assert.deepEqual(read('1.0632243e+1'), [10, 632243e9]);
    assert.deepEqual(read('4503599627370495E0'), [4503599627370495, 0], '2^52 − 1');
    assert.equal(read('4503599627370496E0'), DecimalRead.Slow, '2^52');
    assert.equal(read('4.503599627370496E15'), DecimalRead.Slow, '2^52, the point moved');
    assert.deepEqual(read('9.99999999999999E14'), [999999999999999, 0]);
    assert.deepEqual(read('4.5E15'), [4.5e15, 0], 'a digit at 10^15, below 2^52');
    assert.deepEqual(read('123.456E-2'), [1, 23456e10]);
    assert.deepEqual(read('1E-15'), [0, 1]);
    assert.equal(read('1E-16'), DecimalRead.Slow);
    assert.deepEqual(read('10E-16'), [0, 1], 'a 16th place that is a zero');
    assert.deepEqual(read('0E5'), [0, 0]);
    assert.deepEqual(read('-0.00E-3'), [-0, -0]);
    assert.deepEqual(read('0.5E1'), [5, 0]);
    assert.deepEqual(read('98765E-3'), [98, 765e12]);
  });

  it('takes exponents of at most 3 digits with their sign, at the edges of the range', () => {
    assert.equal(read('1E0001'), DecimalRead.OutOfRange, 'four exponent digits');
    assert.equal(read('1E-0000'), DecimalRead.OutOfRange);
    assert.equal(read('0000000000000000000001E17'), DecimalRead.Slow, 'leading zeros are not significant');
    assert.equal(read('0000000000000000000001E18'), DecimalRead.OutOfRange);
    assert.equal(read('1E-030'), DecimalRead.Slow, 'leading zeros of an exponent are digits too: 3 at most');
    assert.equal(read('1E+999'), DecimalRead.OutOfRange);
    assert.equal(read('1E1000'), DecimalRead.OutOfRange);
    assert.deepEqual(read('5E-1'), [0, 5e14]);
    const value = (t: string) => {
      const out = new Float64Array(2);
      assert.equal(readDecimal(Buffer.from(t), 0, t.length, out, 0), DecimalRead.Slow, t);
      return formatDecimal(parseDecimal(t)!);
    };
    assert.equal(value('12E-16'), '0.0000000000000012');
    assert.equal(value('-12E+15'), '-12000000000000000');
    assert.deepEqual(read('12E-1'), [1, 2e14]);
    assert.deepEqual(read('-12E+1'), [-120, -0]);
    assert.equal(read('1.5E17'), DecimalRead.Slow);
    assert.equal(read('10E17'), DecimalRead.OutOfRange, '10E17 is 1E18');
    assert.equal(read('0.1E19'), DecimalRead.OutOfRange);
    assert.equal(read('0.01E19'), DecimalRead.Slow);
    assert.equal(read('123456789012345678E-17'), DecimalRead.Slow);
    assert.equal(read(`0.${'0'.repeat(29)}1E1`), DecimalRead.Slow, '31 places moved one back are 30');
  });

  it('refuses text over 64 characters, and takes 64', () => {
    assert.deepEqual(read(`1.${'0'.repeat(62)}`), [1, 0]);
    assert.equal(read(`1.${'0'.repeat(20)}1${'0'.repeat(41)}`), DecimalRead.Slow, '64 characters, a 21st place');
    assert.equal(read(`1.${'0'.repeat(63)}`), DecimalRead.OutOfRange);
  });

  it('says why a number is refused', () => {
    assert.equal(decimalProblem(DecimalRead.Invalid), 'is not a decimal number');
    assert.match(
      decimalProblem(DecimalRead.OutOfRange),
      /^is outside the accepted range \(at most 64 characters, 18 digits before the point and 30 after it\)$/,
    );
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
    for (let i = 0; i < rounds(20_000); i++) {
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
      // The same amounts as decimals, fast rows and slow ones alike.
      assert.equal(formatDecimal(table.decimal(r, 0)), formatDecimal({ units: a, scale: SCALE }), key);
      assert.equal(formatDecimal(table.decimal(r, 1)), formatDecimal({ units: b, scale: SCALE }), key);
      // Rolled up into one row of another table, amounts swapped.
      copy.addFrom(copy.row(0, 0), 0, table, r, 1);
      copy.addFrom(copy.row(0, 0), 1, table, r, 0);
    }
    const total = (k: 0 | 1) => [...expected.values()].reduce((sum, v) => sum + v[k], 0n);
    assert.equal(copy.text(0, 0), formatDecimal({ units: total(1), scale: SCALE }));
    assert.equal(copy.text(0, 1), formatDecimal({ units: total(0), scale: SCALE }));
    assert.equal(expected.size, table.rows);
  });

  it('keeps rows apart by all three keys through growth, and carries and crosses zero as ExactSum does', () => {
    const table = new SumTable(1);
    const one = new Float64Array([0, 999999999999999]);
    const rows = new Map<string, number>();
    for (let a = 0; a < 40; a++) {
      for (const [b, c] of [
        [0, 0],
        [1, 0],
        [0, 1],
      ] as const) {
        const row = table.row(a, b, c);
        rows.set(`${a},${b},${c}`, row);
        table.add(row, 0, one, 0);
      }
    }
    assert.equal(table.rows, 120);
    assert.equal(new Set(rows.values()).size, 120);
    for (const [key, row] of rows) {
      const [a, b, c] = key.split(',').map(Number) as [number, number, number];
      assert.equal(table.row(a, b, c), row, key);
      assert.deepEqual([table.key(row, 0), table.key(row, 1), table.key(row, 2)], [a, b, c]);
    }
    const row = table.row(7, 1, 0);
    table.add(row, 0, new Float64Array([0, 1]), 0);
    assert.equal(table.text(row, 0), '1');
    table.add(row, 0, new Float64Array([-3, -5e14]), 0);
    assert.equal(table.text(row, 0), '-2.5');
    assert.deepEqual(table.decimal(row, 0), { units: -2_500_000_000_000_000n, scale: 15 });
    table.addText(row, 0, '2.5E0');
    assert.equal(table.text(row, 0), '0');
    const copy = new SumTable(2);
    copy.addFrom(copy.row(1, 2, 3), 1, table, table.row(3, 0, 1), 0);
    copy.addFrom(copy.row(1, 2, 3), 1, table, row, 0);
    assert.equal(copy.text(copy.row(1, 2, 3), 1), '0.999999999999999');
    assert.equal(copy.text(copy.row(1, 2, 3), 0), '0');
  });

  it('tells apart keys that differ in one part only, one after the other', () => {
    const table = new SumTable(1);
    const rows = [table.row(1, 2, 3), table.row(1, 2, 4), table.row(1, 5, 4), table.row(6, 5, 4), table.row(6, 5, 4)];
    assert.deepEqual(rows, [0, 1, 2, 3, 3]);
    // Many keys sharing their first part: probes meet rows that match in some parts only.
    const seen = new Set<number>();
    for (let b = 0; b < 40; b++) for (let c = 0; c < 40; c++) seen.add(table.row(9, b, c));
    assert.equal(seen.size, 1600);
    assert.equal(table.rows, 1604);
    assert.equal(table.row(0, 0, 0), 1604, 'a key never added is new, even after rehashing');
    // Right after a rehash (at 1025 rows), the key of zeros is a new row too.
    const fresh = new SumTable(1);
    for (let a = 1; a <= 1025; a++) fresh.row(a, 0, 0);
    assert.equal(fresh.row(0, 0, 0), 1025);
    assert.equal(fresh.row(5000, 0, 0), 1026);
    assert.equal(fresh.rows, 1027);
  });

  it("does not take a key for the row looked up last when it matches other rows' words", () => {
    const table = new SumTable(1);
    for (const [a, b, c] of [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ] as const)
      table.row(a, b, c);
    const after = (a: number, b: number, c: number) => {
      table.row(10, 11, 12); // the last row looked up: row 3
      return table.row(a, b, c);
    };
    assert.equal(after(2, 11, 12), 4);
    assert.equal(after(10, 3, 12), 5);
    assert.equal(after(10, 11, 4), 6);
    assert.equal(after(10, 11, 12), 3);
  });

  it('moves a row whose whole part reaches 2^52 to exact BigInt sums', () => {
    const table = new SumTable(2);
    const row = table.row(1, 1, 1);
    table.add(row, 1, new Float64Array([2 ** 52 - 1, 5e14]), 0);
    table.add(row, 1, new Float64Array([1, 0]), 0);
    table.add(row, 0, new Float64Array([-2, 0]), 0);
    assert.equal(table.text(row, 1), '4503599627370496.5');
    assert.equal(table.text(row, 0), '-2');
    table.add(row, 1, new Float64Array([0, 5e14]), 0);
    assert.equal(table.text(row, 1), '4503599627370497');
    assert.deepEqual(table.export().slow, [{ row: 0, text: ['-2', '4503599627370497'] }]);
    const copy = new SumTable(1);
    copy.addFrom(copy.row(0, 0), 0, table, row, 1);
    assert.equal(copy.text(copy.row(0, 0), 0), '4503599627370497');
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

  it('refuses a JsonDecimal that is not plain decimal text, and reads as the nearest double', () => {
    // JSON has no leading zeros: "007.5" written bare would make the answer no JSON at all.
    for (const bad of ['1e5', ' 1', '1.', '.5', '+1', '1,5', '', '0x1', '1.5 ', '007.5', '-00.25', '01']) {
      assert.throws(() => new JsonDecimal(bad), /not a plain decimal/, bad);
    }
    for (const good of ['0', '-0', '0.5', '-0.25', '10', '100.00']) assert.equal(new JsonDecimal(good).text, good);
    const d = new JsonDecimal('-12.25');
    assert.equal(d.toNumber(), -12.25);
    assert.equal(+d, -12.25);
    assert.equal(`${d}`, '-12.25');
  });

  it('reads numbers next to strings that hold quotes, backslashes and digits, and exponents as exact decimals', () => {
    const value = parseExact(
      '{"a\\"1":"x\\\\","b":"2.5","c":[0.5,9.25,-0],"d":1e5,"e":1.5E-3,"f":2e+2,"g":12E10,"h":"\\"9"}',
    ) as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['a"1', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    assert.equal(value['a"1'], 'x\\');
    assert.equal(value.b, '2.5');
    assert.deepEqual(
      (value.c as JsonDecimal[]).map((x) => x.text),
      ['0.5', '9.25', '-0'],
    );
    assert.deepEqual(
      (['d', 'e', 'f', 'g'] as const).map((k) => (value[k] as JsonDecimal).text),
      ['100000', '0.0015', '200', '120000000000'],
    );
    // Past an exponent of ±400 a number is kept neither exactly nor as a double (0, Infinity): refused.
    assert.throws(() => parseExact('[1e-999999999]'), /outside what is kept exactly/);
    assert.throws(() => parseExact('[1E401]'), /outside what is kept exactly/);
    const texts = (json: string) => (parseExact(json) as JsonDecimal[]).map((x) => x.text);
    assert.deepEqual(texts('[-1.25e-2, 0.5e1, 5e-1, 12.5e-1, 0e0, 1.20E+1]'), [
      '-0.0125',
      '5',
      '0.5',
      '1.25',
      '0',
      '12.0',
    ]);
    // The bounds themselves are kept: exponents of exactly ±400.
    assert.equal(texts('[1e400]')[0], `1${'0'.repeat(400)}`);
    assert.equal(texts('[1e-400]')[0], `0.${'0'.repeat(399)}1`);
    assert.equal(value.h, '"9');
    assert.throws(() => parseExact('{"a":"unterminated'));
    assert.throws(() => parseExact('[-,5]'));
    // Leading zeros moved in front by an exponent are dropped, all of them; written by the sender
    // they are no JSON (JSON.parse refuses them too), and are refused rather than kept as "007".
    assert.deepEqual(texts('[0.05e2, 0.005e3, -0.00025e3, 0.5e1]'), ['5', '5', '-0.25', '5']);
    assert.throws(() => parseExact('{"amount":007}'), /not a plain decimal: 007/);
    assert.throws(() => parseExact('[-01.5]'), /not a plain decimal: -01\.5/);
  });
});

describe('SumTable growth', () => {
  it('keeps every row and its sum through growth and rehashing past a thousand rows', () => {
    const table = new SumTable(1);
    const parts = new Float64Array([1, 5e14]);
    for (let round = 0; round < 2; round++) {
      for (let a = 0; a < 3000; a++) table.add(table.row(a, a % 7, a % 3), 0, parts, 0);
    }
    assert.equal(table.rows, 3000);
    for (let a = 0; a < 3000; a += 97) {
      const row = table.row(a, a % 7, a % 3);
      assert.equal(row, a);
      assert.equal(table.text(row, 0), '3');
    }
    table.addText(2999, 0, '1E-20');
    const exported = table.export();
    assert.equal(exported.rows, 3000);
    assert.equal(exported.keys.length, 9000);
    assert.equal(exported.parts.length, 6000);
    assert.deepEqual([...exported.keys.subarray(8997)], [2999, 2999 % 7, 2999 % 3]);
    assert.deepEqual([...exported.parts.subarray(5998)], [3, 0]);
    assert.deepEqual(exported.slow, [{ row: 2999, text: ['3.00000000000000000001'] }]);
    const wide = new SumTable(3);
    for (let a = 0; a < 1500; a++) wide.add(wide.row(a, 0, 0), 2, parts, 0);
    assert.equal(wide.text(wide.row(1499, 0, 0), 2), '1.5');
    assert.equal(wide.text(wide.row(1499, 0, 0), 0), '0');
    assert.equal(wide.export().parts.length, 1500 * 6);
  });
});
