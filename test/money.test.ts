import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonDecimal, parseExact, stringifyExact } from '../src/contract/exact-json.js';
import { percentUsed } from '../src/domain/percent-used.js';
import { add, divide, formatDecimal, parseDecimal, round } from '../src/money/decimal.js';
import { ExactSum } from '../src/money/exact-sum.js';

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
