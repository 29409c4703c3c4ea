import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forecastMonthEnd } from '../src/domain/forecast.js';

const days = (amounts: string[]) => amounts.map((billingTotal, i) => ({ day: 20261101 + i, billingTotal }));

describe('the month-end forecast (median daily spend of the last 14 days)', () => {
  it('projects steady spend to the month end exactly', () => {
    const f = forecastMonthEnd('2026-11', days(Array(10).fill('3.5')), 20261110);
    assert.equal(f.total, '105'); // 10 days spent 35, 20 left at 3.5
    assert.equal(f.daysWithUsage, 10);
  });

  it('does not project a mid-month spike onto every day left, as a run rate would', () => {
    const amounts = Array(15).fill('10');
    amounts[7] = '500'; // one spike day
    const f = forecastMonthEnd('2026-11', days(amounts), 20261115);
    // Spent 640 in 15 days; the run rate would say 640 / 15 × 30 = 1280; the actual month at 10 a day after: 790.
    assert.equal(f.total, '790');
  });

  it('follows a lasting change within a week', () => {
    const amounts = [...Array(7).fill('10'), ...Array(8).fill('40')];
    const f = forecastMonthEnd('2026-11', days(amounts), 20261115);
    assert.equal(f.total, String(70 + 320 + 15 * 40));
  });

  it('counts days without lines as zero, from the first usage day, and keeps the digits', () => {
    const f = forecastMonthEnd(
      '2026-11',
      [
        { day: 20261110, billingTotal: '0.000001' },
        { day: 20261112, billingTotal: '0.000003' },
      ],
      20261112,
    );
    // Days 10–12: 0.000001, 0, 0.000003 → median 0.000001; 18 days left.
    assert.equal(f.total, '0.000022');
  });

  it('gives the spend itself for a complete month or no data', () => {
    assert.equal(forecastMonthEnd('2026-11', days(Array(30).fill('1')), 20261130).total, '30');
    assert.equal(forecastMonthEnd('2026-11', [], undefined).total, '0');
  });
});
