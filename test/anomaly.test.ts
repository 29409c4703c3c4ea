import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANOMALY_WINDOW_DAYS, findAnomalies, SortedWindow, type DaySpend } from '../src/domain/anomaly.js';
import { forecastOver, parseThresholds, thresholdsReached } from '../src/domain/alert-rules.js';

// A deterministic generator (mulberry32), so the rates below are the same on every run.
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const day = (i: number) => {
  const d = new Date(Date.UTC(2026, 7, 1) + i * 86_400_000);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
};

/** 90 days of a customer's spend: a base level, ±50 % day-to-day noise (as the demo data has) and weekends at 60 %. */
function customerDays(rnd: () => number): DaySpend[] {
  const base = 10 + rnd() * 990;
  return Array.from({ length: 90 }, (_, i) => {
    const weekend = new Date(Date.UTC(2026, 7, 1) + i * 86_400_000).getUTCDay() % 6 === 0;
    const amount = base * (0.5 + rnd()) * (weekend ? 0.6 : 1);
    return { day: day(i), billingTotal: amount.toFixed(6) };
  });
}

describe('anomalies: median and MAD of the trailing 28 days', () => {
  it('false alarms stay rare on noisy data, and injected spikes of 5× the usual day are found', () => {
    const rnd = random(7);
    let checked = 0;
    let falseAlarms = 0;
    let spikes = 0;
    let found = 0;
    for (let c = 0; c < 500; c++) {
      const days = customerDays(rnd);
      const candidates = days.slice(28).map((d) => d.day);
      checked += candidates.length;
      falseAlarms += findAnomalies(days, candidates).length;
      const at = 28 + Math.floor(rnd() * 62);
      const usual = days.reduce((sum, d) => sum + Number(d.billingTotal), 0) / days.length;
      const spiked = days.map((d, i) => (i === at ? { ...d, billingTotal: (usual * 5).toFixed(6) } : d));
      spikes++;
      if (findAnomalies(spiked, [days[at]!.day]).length === 1) found++;
    }
    // Measured: 0 false alarms in 31,000 customer-days; 500 of 500 spikes found (docs/api.md).
    assert.ok(falseAlarms / checked < 0.001, `false-alarm rate ${falseAlarms}/${checked}`);
    assert.ok(found / spikes > 0.95, `spikes found ${found}/${spikes}`);
    console.log(`false alarms ${falseAlarms}/${checked} customer-days; spikes found ${found}/${spikes}`);
  });

  it('needs a week of history, and is exact on decimal text', () => {
    const days = [10, 10, 10, 10, 10, 10].map((v, i) => ({ day: day(i), billingTotal: String(v) }));
    assert.deepEqual(findAnomalies([...days, { day: day(6), billingTotal: '100' }], [day(6)]), []);
    const week = [...days, { day: day(6), billingTotal: '10' }, { day: day(7), billingTotal: '15.000001' }];
    assert.deepEqual(
      findAnomalies(week, [day(7)]).map((a) => [a.amount, a.median, a.limit]),
      [['15.000001', '10', '15']],
    );
    assert.deepEqual(findAnomalies([...week.slice(0, 7), { day: day(7), billingTotal: '15' }], [day(7)]), []);
  });
});

describe('alert rules', () => {
  it('thresholds: parsed, reached exactly, none without a positive budget', () => {
    assert.deepEqual(parseThresholds('100, 50,80,80'), [50, 80, 100]);
    assert.throws(() => parseThresholds('80,abc'), /whole percent/);
    assert.throws(() => parseThresholds('0'), /whole percent/);
    assert.throws(() => parseThresholds(''), /separated by commas/);
    assert.deepEqual(thresholdsReached('79.999999', '100', [50, 80, 100]), [50]);
    assert.deepEqual(thresholdsReached('80', '100', [50, 80, 100]), [50, 80]);
    assert.deepEqual(thresholdsReached('80', null, [50]), []);
    assert.deepEqual(thresholdsReached('80', '0', [50]), []);
  });

  it('forecast over: not over yet, but the forecast is', () => {
    assert.equal(forecastOver('50', '100', '100.01'), true);
    assert.equal(forecastOver('50', '100', '100'), false);
    assert.equal(forecastOver('100.5', '100', '300'), false);
    assert.equal(forecastOver('50', null, '300'), false);
  });
});

describe("the anomaly rule's sliding window", () => {
  it('gives the sorted values of the 28 days before any day, asked in any order, as a sort would', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      // Repeated values and zeros (days without usage), as real series have.
      const dense = Array.from({ length: 120 }, () => BigInt(random(4) === 0 ? 0 : random(6) * 1_000_003));
      const window = new SortedWindow(dense);
      for (let ask = 0; ask < 60; ask++) {
        // Mostly the next days (the pass's order), then jumps forward past the window and back.
        const kind = random(10);
        const at = kind < 7 ? Math.min(119, ask * 2 + random(3)) : random(120);
        const expected = dense
          .slice(Math.max(0, at - ANOMALY_WINDOW_DAYS), at)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        assert.deepEqual(window.before(at), expected, `round ${round}, day ${at}`);
      }
    }
  });
});
