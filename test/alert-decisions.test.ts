import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  customerFigures,
  decideAlerts,
  deliveriesFor,
  meterAnomaliesOf,
  testEvent,
  type CustomerFigures,
} from '../src/alerts/alert-decisions.js';
import type { CustomerStanding, QueuedAlert } from '../src/storage/alert-repository.js';

// The alert rules as pure functions (src/alerts/alert-decisions.ts), without a database: the
// route and import tests (alerts.test.ts) check the same rules end to end on both backends.

const NOW = new Date('2026-11-20T10:00:00Z');
const PERIOD = '2026-11';
const standing = (over: Partial<CustomerStanding> = {}): CustomerStanding => ({
  key: 7,
  tenantId: 'c-7',
  name: 'Seven',
  currency: 'EUR',
  total: '0',
  usdTotal: '0',
  budget: null,
  ...over,
});
/** A customer with no usage days. */
const figures = (over: Partial<CustomerStanding> = {}): CustomerFigures =>
  customerFigures(PERIOD, [standing(over)], [], undefined)[0]!;
/** Thirty quiet days (10 a day) before the 20th, then `spike` on the 20th. */
const quietThenSpike = (spike: string) => [
  ...Array.from({ length: 30 }, (_, i) => ({
    customerKey: 7,
    day: i < 11 ? 20261021 + i : 20261101 + i - 11,
    billingTotal: '10',
  })),
  { customerKey: 7, day: 20261120, billingTotal: spike },
];

describe('customerFigures', () => {
  test("splits a customer's days into its history and the period's, and forecasts to the horizon", () => {
    const days = [
      { customerKey: 7, day: 20261030, billingTotal: '5' },
      { customerKey: 7, day: 20261101, billingTotal: '2' },
      { customerKey: 7, day: 20261102, billingTotal: '4' },
      { customerKey: 8, day: 20261101, billingTotal: '100' },
      // The next period's first day is neither history nor this period's.
      { customerKey: 7, day: 20261201, billingTotal: '1000' },
    ];
    const [c] = customerFigures(PERIOD, [standing({ total: '6' })], days, 20261102);
    assert.deepEqual(
      c!.history.map((d) => d.day),
      [20261030, 20261101, 20261102, 20261201],
    );
    assert.deepEqual(
      c!.inPeriod.map((d) => d.day),
      [20261101, 20261102],
    );
    // 6 spent, 28 days left at the median of days 1–2 (3): 6 + 84.
    assert.equal(c!.forecast, '90');
    assert.equal(c!.tenantId, 'c-7');
  });

  test('a customer without days has no history, and a forecast of 0 (the forecast sums days)', () => {
    const c = figures({ total: '12.5' });
    assert.deepEqual(c.history, []);
    assert.deepEqual(c.inPeriod, []);
    assert.equal(c.forecast, '0');
  });
});

describe('decideAlerts', () => {
  const decide = (c: CustomerFigures, rules: { customerKey: number; thresholds: string }[] = [], marks = []) =>
    decideAlerts('p-1', PERIOD, [c], rules, marks, NOW);

  test("each threshold reached fires once, with the customer's figures", () => {
    const d = decide(figures({ total: '85', usdTotal: '90', budget: '100' }));
    assert.deepEqual(
      d.raised.map((r) => [r.event.type, r.event.data.threshold]),
      [['budget.threshold_reached', 80]],
    );
    const e = d.raised[0]!.event;
    assert.equal(d.raised[0]!.customerKey, 7);
    assert.match(e.id, /^evt_[0-9a-f]{32}$/);
    assert.equal(e.timestamp, NOW.toISOString());
    assert.deepEqual(
      { ...e.data, forecast: undefined },
      {
        partnerTenantId: 'p-1',
        customer: { id: 'c-7', name: 'Seven' },
        period: PERIOD,
        currency: 'EUR',
        totalCost: '85',
        usdTotalCost: '90',
        budget: '100',
        percentUsed: '85',
        forecast: undefined,
        threshold: 80,
      },
    );
    assert.deepEqual(d.newMarks, [{ customerKey: 7, kind: 'threshold', mark: '80' }]);
    assert.deepEqual(d.rearmed, []);
  });

  test('a mark keeps its threshold from firing again; one no longer reached is re-armed', () => {
    const marks = [
      { customerKey: 7, kind: 'threshold', mark: '80' },
      { customerKey: 7, kind: 'threshold', mark: '100' },
    ] as never;
    const d = decide(figures({ total: '85', budget: '100' }), [], marks);
    assert.deepEqual(d.raised, []);
    assert.deepEqual(d.newMarks, []);
    assert.deepEqual(d.rearmed, [{ customerKey: 7, kind: 'threshold', mark: '100' }]);
  });

  test('a mark is of one kind and one value: another kind or another value does not hold a threshold back', () => {
    const marks = [
      { customerKey: 7, kind: 'anomaly', mark: '80' },
      { customerKey: 7, kind: 'threshold', mark: '100' },
      { customerKey: 8, kind: 'threshold', mark: '80' },
    ] as never;
    const d = decide(figures({ total: '85', budget: '100' }), [], marks);
    assert.deepEqual(
      d.raised.map((r) => r.event.data.threshold),
      [80],
    );
  });

  test("a customer's own thresholds, else the partner's (key 0), else 80 and 100", () => {
    const c = figures({ total: '60', budget: '100' });
    assert.deepEqual(
      decide(c, [{ customerKey: 0, thresholds: '50,90' }]).raised.map((r) => r.event.data.threshold),
      [50],
    );
    assert.deepEqual(
      decide(c, [
        { customerKey: 0, thresholds: '50' },
        { customerKey: 7, thresholds: '20,60,70' },
      ]).raised.map((r) => r.event.data.threshold),
      [20, 60],
    );
    assert.deepEqual(decide(c).raised, []);
    assert.deepEqual(
      decide(figures({ total: '100', budget: '100' })).raised.map((r) => r.event.data.threshold),
      [80, 100],
    );
  });

  test('no budget, no threshold alert', () => {
    assert.deepEqual(decide(figures({ total: '1000000' })).raised, []);
  });

  test('the forecast over the budget fires once; back under it, its mark is re-armed', () => {
    const days = Array.from({ length: 10 }, (_, i) => ({ customerKey: 7, day: 20261101 + i, billingTotal: '5' }));
    const [over] = customerFigures(PERIOD, [standing({ total: '50', budget: '100' })], days, 20261110);
    const d = decide(over!);
    assert.deepEqual(
      d.raised.map((r) => r.event.type),
      ['budget.forecast_over'],
    );
    assert.deepEqual(d.newMarks, [{ customerKey: 7, kind: 'forecast', mark: 'over' }]);
    assert.equal(d.raised[0]!.event.data.forecast.totalCost, '150');
    assert.deepEqual(decide(over!, [], [{ customerKey: 7, kind: 'forecast', mark: 'over' }] as never).raised, []);
    const [under] = customerFigures(PERIOD, [standing({ total: '50', budget: '1000' })], days, 20261110);
    assert.deepEqual(decide(under!, [], [{ customerKey: 7, kind: 'forecast', mark: 'over' }] as never).rearmed, [
      { customerKey: 7, kind: 'forecast', mark: 'over' },
    ]);
  });

  test("an already over-budget customer's forecast is no longer news, and its mark stays", () => {
    const days = Array.from({ length: 10 }, (_, i) => ({ customerKey: 7, day: 20261101 + i, billingTotal: '20' }));
    const [c] = customerFigures(PERIOD, [standing({ total: '200', budget: '100' })], days, 20261110);
    const d = decide(c!, [], [{ customerKey: 7, kind: 'forecast', mark: 'over' }] as never);
    assert.deepEqual(
      d.raised.map((r) => r.event.type),
      ['budget.threshold_reached', 'budget.threshold_reached'],
    );
    assert.deepEqual(d.rearmed, []);
  });

  test("a day's anomaly fires once, named by its day", () => {
    const [c] = customerFigures(PERIOD, [standing({ total: '300' })], quietThenSpike('100'), 20261120);
    const d = decide(c!);
    assert.deepEqual(
      d.raised.map((r) => [r.event.type, r.event.data.anomaly?.day, r.event.data.anomaly?.method]),
      [['usage.anomaly', 20261120, 'median-mad-28d']],
    );
    assert.deepEqual(d.newMarks, [{ customerKey: 7, kind: 'anomaly', mark: '20261120' }]);
    assert.deepEqual(decide(c!, [], [{ customerKey: 7, kind: 'anomaly', mark: '20261120' }] as never).raised, []);
  });
});

describe('meterAnomaliesOf', () => {
  const series = {
    customerKey: 7,
    meterKey: 3,
    days: quietThenSpike('100').map((d) => ({ day: d.day, billingTotal: d.billingTotal })),
  };
  test("finds a meter's day in the period, not one already raised for its customer", () => {
    assert.deepEqual(
      meterAnomaliesOf(series, 20261101, new Set()).map((a) => a.day),
      [20261120],
    );
    assert.deepEqual(meterAnomaliesOf(series, 20261101, new Set(['7:20261120'])), []);
    assert.deepEqual(meterAnomaliesOf(series, 20261101, new Set(['8:20261120'])).length, 1);
    // Days before the period are history, not candidates.
    assert.deepEqual(meterAnomaliesOf(series, 20261121, new Set()), []);
    // The period's first day is a candidate.
    assert.deepEqual(
      meterAnomaliesOf(series, 20261120, new Set()).map((a) => a.day),
      [20261120],
    );
  });
});

describe('deliveriesFor', () => {
  const alert = (id: string, type: QueuedAlert['event']['type']): QueuedAlert => ({
    event: { ...testEvent('p', standing(), type, PERIOD, NOW), id },
    customerKey: 7,
  });
  test('each alert to every endpoint that asked for its type (or for all) and every recipient', () => {
    const out = deliveriesFor([alert('evt_a', 'usage.anomaly'), alert('evt_b', 'budget.forecast_over')], {
      webhooks: [
        { id: 'ep_all', events: '' },
        { id: 'ep_anomaly', events: 'usage.anomaly' },
        { id: 'ep_budget', events: 'budget.threshold_reached,budget.forecast_over' },
      ],
      recipients: ['a@example.com'],
    });
    assert.deepEqual(out, [
      { channel: 'webhook', target: 'ep_all', alertId: 'evt_a' },
      { channel: 'webhook', target: 'ep_anomaly', alertId: 'evt_a' },
      { channel: 'email', target: 'a@example.com', alertId: 'evt_a' },
      { channel: 'webhook', target: 'ep_all', alertId: 'evt_b' },
      { channel: 'webhook', target: 'ep_budget', alertId: 'evt_b' },
      { channel: 'email', target: 'a@example.com', alertId: 'evt_b' },
    ]);
    assert.deepEqual(deliveriesFor([alert('evt_c', 'usage.anomaly')], { webhooks: [], recipients: [] }), []);
  });
});

describe('testEvent', () => {
  const c = standing({ budget: '500' });
  test("has its type's documented body, zero figures, marked as a test", () => {
    const e = testEvent('P-UPPER', c, 'budget.threshold_reached', PERIOD, NOW);
    assert.equal(e.test, true);
    assert.equal(e.type, 'budget.threshold_reached');
    assert.match(e.id, /^evt_/);
    assert.equal(e.timestamp, NOW.toISOString());
    assert.deepEqual(e.data, {
      partnerTenantId: 'p-upper',
      customer: { id: 'c-7', name: 'Seven' },
      period: PERIOD,
      currency: 'EUR',
      totalCost: '0',
      usdTotalCost: '0',
      budget: '500',
      percentUsed: '0',
      forecast: { totalCost: '0', method: 'test' },
      threshold: 80,
    });
    const anomaly = testEvent('p', c, 'usage.anomaly', PERIOD, NOW).data;
    assert.deepEqual(anomaly.anomaly, {
      day: 20261120,
      amount: '0',
      median: '0',
      limit: '0',
      method: 'median-mad-28d',
    });
    assert.equal(anomaly.threshold, undefined);
    const forecast = testEvent('p', c, 'budget.forecast_over', PERIOD, NOW).data;
    assert.equal(forecast.threshold, undefined);
    assert.equal(forecast.anomaly, undefined);
  });
});
