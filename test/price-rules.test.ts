import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isCovered,
  linePrice,
  pecEarned,
  priceRuleProblem,
  retailOf,
  ruleFor,
  type LineAmounts,
  type PriceRule,
} from '../src/domain/price-rules.js';
import { formatDecimal, parseDecimal } from '../src/money/decimal.js';

const C = 'c0000000-0000-4000-8000-000000000001';
const rule = (over: Partial<PriceRule>): PriceRule => ({
  id: `pr_${Math.random()}`,
  basis: 'cost',
  adjust: '0',
  customer: null,
  reseller: null,
  category: null,
  publisher: null,
  from: '2026-01',
  ...over,
});
const line = {
  customer: C,
  reseller: '7654321',
  category: 'Virtual Machines',
  publisher: 'Microsoft',
  period: '2026-10',
};
const d = (text: string) => parseDecimal(text)!;
const amounts = (over: Partial<Record<keyof LineAmounts, string>> = {}): LineAmounts => {
  const v = { cost: '8', quantity: '2', unitPrice: '5', rate: '1.1', effectiveUnitPrice: '4', ...over };
  return {
    cost: d(v.cost),
    quantity: d(v.quantity),
    unitPrice: v.unitPrice === '' ? undefined : d(v.unitPrice),
    rate: v.rate === '' ? undefined : d(v.rate),
    effectiveUnitPrice: v.effectiveUnitPrice === '' ? undefined : d(v.effectiveUnitPrice),
  };
};
const text = (x: ReturnType<typeof linePrice>) => formatDecimal(x);

describe('ruleFor: the most specific rule in force', () => {
  test('a customer over a reseller over the partner; narrowed over not; the latest in force', () => {
    const partner = rule({ id: 'partner' });
    const partnerVm = rule({ id: 'partner-vm', category: 'virtual machines' });
    const reseller = rule({ id: 'reseller', reseller: '7654321' });
    const resellerMs = rule({ id: 'reseller-ms', reseller: '7654321', publisher: 'Microsoft' });
    const customer = rule({ id: 'customer', customer: C });
    const customerLater = rule({ id: 'customer-later', customer: C, from: '2026-10' });
    const customerFuture = rule({ id: 'customer-future', customer: C, from: '2026-11' });
    const all = [partner, partnerVm, reseller, resellerMs, customer, customerLater, customerFuture];
    assert.equal(ruleFor(all, line)?.id, 'customer-later');
    assert.equal(ruleFor(all, { ...line, period: '2026-09' })?.id, 'customer');
    assert.equal(ruleFor(all.slice(0, 4), line)?.id, 'reseller-ms');
    assert.equal(ruleFor(all.slice(0, 3), line)?.id, 'reseller');
    assert.equal(ruleFor(all.slice(0, 2), line)?.id, 'partner-vm');
    assert.equal(ruleFor([partner], line)?.id, 'partner');
    assert.equal(ruleFor([], line), undefined);
  });

  test('a rule for another customer, reseller, category or publisher, or a later period, does not apply', () => {
    assert.equal(ruleFor([rule({ customer: 'c0000000-0000-4000-8000-000000000002' })], line), undefined);
    assert.equal(ruleFor([rule({ reseller: '1111111' })], line), undefined);
    assert.equal(ruleFor([rule({ category: 'Storage' })], line), undefined);
    assert.equal(ruleFor([rule({ publisher: 'Contoso' })], line), undefined);
    assert.equal(ruleFor([rule({ from: '2026-11' })], line), undefined);
    assert.equal(ruleFor([rule({ from: '2026-10' })], line)?.from, '2026-10');
    // Names compare without regard to case; a customer's id as the store keeps it (lower case).
    assert.ok(ruleFor([rule({ reseller: '7654321', publisher: 'MICROSOFT' })], line));
    assert.ok(ruleFor([rule({ customer: C })], { ...line, customer: C.toUpperCase() }));
  });

  test('a rank wins over a later period, whatever the order', () => {
    const customer = rule({ id: 'customer', customer: C, from: '2026-01' });
    const partner = rule({ id: 'partner', from: '2026-09' });
    assert.equal(ruleFor([customer, partner], line)?.id, 'customer');
    assert.equal(ruleFor([partner, customer], line)?.id, 'customer');
    const narrowed = rule({ id: 'narrowed', category: 'Virtual Machines', from: '2026-01' });
    assert.equal(ruleFor([narrowed, partner], line)?.id, 'narrowed');
    assert.equal(ruleFor([partner, narrowed], line)?.id, 'narrowed');
  });

  test("of a category's and a publisher's rule of one rank and period, the category's, whatever the order", () => {
    const byCategory = rule({ id: 'category', category: 'Virtual Machines' });
    const byPublisher = rule({ id: 'publisher', publisher: 'Microsoft' });
    assert.equal(ruleFor([byCategory, byPublisher], line)?.id, 'category');
    assert.equal(ruleFor([byPublisher, byCategory], line)?.id, 'category');
  });

  test('between two rules of one rank, the later period wins whatever their order', () => {
    const a = rule({ id: 'a', from: '2026-03' });
    const b = rule({ id: 'b', from: '2026-05' });
    assert.equal(ruleFor([a, b], line)?.id, 'b');
    assert.equal(ruleFor([b, a], line)?.id, 'b');
  });
});

describe('linePrice: exact, no rounding', () => {
  test('no rule: the cost', () => {
    assert.equal(text(linePrice(undefined, amounts())), '8');
  });
  test('cost basis: cost × (100 + adjust) / 100', () => {
    assert.equal(text(linePrice(rule({ adjust: '12.5' }), amounts())), '9');
    assert.equal(text(linePrice(rule({ adjust: '-5' }), amounts({ cost: '0.333333333333' }))), '0.31666666666635');
    assert.equal(text(linePrice(rule({ adjust: '0' }), amounts())), '8');
    assert.equal(text(linePrice(rule({ adjust: '-100' }), amounts())), '0');
  });
  test('retail basis: unit price × quantity × exchange rate, adjusted', () => {
    assert.equal(text(retailOf(amounts())!), '11');
    assert.equal(text(linePrice(rule({ basis: 'retail' }), amounts())), '11');
    assert.equal(text(linePrice(rule({ basis: 'retail', adjust: '10' }), amounts())), '12.1');
  });
  test('retail basis without a unit price or rate (legacy lines): from the cost', () => {
    assert.equal(text(linePrice(rule({ basis: 'retail', adjust: '10' }), amounts({ unitPrice: '' }))), '8.8');
    assert.equal(text(linePrice(rule({ basis: 'retail', adjust: '10' }), amounts({ rate: '' }))), '8.8');
    assert.equal(retailOf(amounts({ rate: '' })), undefined);
  });
  test('usage a reservation or savings plan covers (effective unit price 0) prices 0 on any rule', () => {
    const covered = amounts({ cost: '0', effectiveUnitPrice: '0.000' });
    assert.ok(isCovered(covered));
    assert.ok(!isCovered(amounts()));
    assert.ok(!isCovered(amounts({ effectiveUnitPrice: '' })));
    assert.equal(text(linePrice(rule({ basis: 'retail', adjust: '50' }), covered)), '0');
    assert.equal(text(linePrice(undefined, covered)), '0');
  });
});

describe('pecEarned', () => {
  test('retail less cost on a line with partner-earned credit; 0 otherwise', () => {
    assert.equal(text(pecEarned(amounts(), d('15'))), '3');
    assert.equal(text(pecEarned(amounts(), d('0'))), '0');
    assert.equal(text(pecEarned(amounts(), undefined)), '0');
    assert.equal(text(pecEarned(amounts({ unitPrice: '' }), d('15'))), '0');
    assert.equal(text(pecEarned(amounts({ effectiveUnitPrice: '0' }), d('15'))), '0');
  });
});

describe('priceRuleProblem', () => {
  const base: Omit<PriceRule, 'id'> = { ...rule({}) };
  test('accepts a well-formed rule', () => {
    assert.equal(priceRuleProblem(base), undefined);
    assert.equal(priceRuleProblem({ ...base, adjust: '-100' }), undefined);
    assert.equal(priceRuleProblem({ ...base, adjust: '1000' }), undefined);
    assert.equal(
      priceRuleProblem({ ...base, adjust: '+12.123456', basis: 'retail', customer: C, category: 'x' }),
      undefined,
    );
  });
  test('accepts surrounding spaces, one scope of either kind, names of 200 characters', () => {
    assert.equal(priceRuleProblem({ ...base, adjust: ' 5 ' }), undefined);
    assert.equal(priceRuleProblem({ ...base, reseller: '1234567' }), undefined);
    assert.equal(priceRuleProblem({ ...base, customer: C }), undefined);
    assert.equal(priceRuleProblem({ ...base, publisher: 'p'.repeat(200) }), undefined);
  });
  test('says what is wrong', () => {
    const cases: [Partial<PriceRule>, RegExp][] = [
      [{ basis: 'list' as never }, /basis "list": cost or retail/],
      [{ adjust: 'ten' }, /a percent such as 12.5/],
      [{ adjust: '1e2' }, /a percent such as 12.5/],
      [{ adjust: '1.1234567' }, /at most 6 decimals/],
      [{ adjust: '-100.5' }, /from -100 to 1000/],
      [{ adjust: '1000.01' }, /from -100 to 1000/],
      [{ customer: C, reseller: '1' }, /both a customer and a reseller/],
      [{ category: 'a', publisher: 'b' }, /both a meter category and a publisher/],
      [{ from: '2026-13' }, /a billing period YYYY-MM/],
      [{ from: '2009-12' }, /a billing period YYYY-MM/],
      [{ publisher: ' ' }, /empty or overlong publisher/],
      [{ category: 'x'.repeat(201) }, /empty or overlong category/],
    ];
    for (const [over, message] of cases)
      assert.match(priceRuleProblem({ ...base, ...over }) ?? '', message, JSON.stringify(over));
  });
});
