import crypto from 'node:crypto';
import type { AlertEvent } from '../domain/alert-event.js';
import {
  DEFAULT_THRESHOLDS,
  forecastOver,
  parseThresholds,
  thresholdsReached,
  type AlertType,
} from '../domain/alert-rules.js';
import { ANOMALY_METHOD, findAnomalies, type Anomaly, type DaySpend } from '../domain/anomaly.js';
import { FORECAST_METHOD, forecastMonthEnd } from '../domain/forecast.js';
import { percentUsed } from '../domain/percent-used.js';
import { periodDays } from '../domain/usage-day.js';
import { formatDecimal } from '../money/decimal.js';
import type {
  AlertDestinations,
  AlertMark,
  CustomerStanding,
  MeterSeries,
  NewDelivery,
  QueuedAlert,
} from '../storage/alert-repository.js';

// The alert rules as pure functions over the figures they need: what fires, what re-arms, where
// each alert goes. alert-engine.ts reads the figures and writes the outcome through storage's port.

export const newEventId = (): string => `evt_${crypto.randomUUID().replaceAll('-', '')}`;

/** A customer's figures for a period, as every alert about it carries them. */
export interface CustomerFigures extends CustomerStanding {
  /** Per-day spend from 28 days before the period to its end. */
  readonly history: readonly DaySpend[];
  readonly inPeriod: readonly DaySpend[];
  readonly forecast: string;
}

/** Each customer's standing with its days and month-end forecast (to `horizon`, the partner's latest day). */
export function customerFigures(
  period: string,
  standings: readonly CustomerStanding[],
  days: readonly { customerKey: number; day: number; billingTotal: string }[],
  horizon: number | undefined,
): CustomerFigures[] {
  const { first, end } = periodDays(period);
  const daysOf = groupBy(days, (d) => d.customerKey);
  return standings.map((c) => {
    const history = (daysOf.get(c.key) ?? []).map((d) => ({ day: d.day, billingTotal: d.billingTotal }));
    const inPeriod = history.filter((d) => d.day >= first && d.day < end);
    return { ...c, history, inPeriod, forecast: forecastMonthEnd(period, inPeriod, horizon).total };
  });
}

/** An alert about customer `c`, with its figures. */
export function alertEvent(
  partnerTenantId: string,
  period: string,
  c: CustomerFigures,
  type: AlertType,
  timestamp: string,
  extra: Partial<AlertEvent['data']>,
): AlertEvent {
  return {
    id: newEventId(),
    type,
    timestamp,
    data: {
      partnerTenantId,
      customer: { id: c.tenantId, name: c.name },
      period,
      currency: c.currency,
      totalCost: c.total,
      usdTotalCost: c.usdTotal,
      budget: c.budget,
      percentUsed: formatDecimal(percentUsed(c.total, c.budget)),
      forecast: { totalCost: c.forecast, method: FORECAST_METHOD },
      ...extra,
    },
  };
}

/** What one evaluation changes: the alerts raised, the marks that remember them, the marks re-armed. */
export interface AlertDecisions {
  readonly raised: QueuedAlert[];
  readonly newMarks: AlertMark[];
  readonly rearmed: AlertMark[];
}

/**
 * The alerts the customers' figures call for. Each threshold fires once per customer and period
 * (a mark remembers it; falling below it again, as when the budget is raised, re-arms it), the
 * forecast rule likewise, and an anomaly once per day. `rules`: thresholds as stored, by customer
 * key (0: the partner's).
 */
export function decideAlerts(
  partnerTenantId: string,
  period: string,
  figures: readonly CustomerFigures[],
  rules: readonly { customerKey: number; thresholds: string }[],
  marks: readonly AlertMark[],
  now: Date,
): AlertDecisions {
  const ruleOf = new Map(rules.map((r) => [r.customerKey, parseThresholds(r.thresholds)]));
  const marksOf = groupBy(marks, (m) => m.customerKey);
  const decisions: AlertDecisions = { raised: [], newMarks: [], rearmed: [] };
  const timestamp = now.toISOString();
  for (const c of figures) {
    const customerMarks = marksOf.get(c.key) ?? [];
    const has = (kind: string, mark: string) => customerMarks.some((m) => m.kind === kind && m.mark === mark);
    const fire = (kind: string, mark: string, type: AlertType, extra: Partial<AlertEvent['data']>) => {
      if (has(kind, mark)) return;
      decisions.newMarks.push({ customerKey: c.key, kind, mark });
      decisions.raised.push({
        event: alertEvent(partnerTenantId, period, c, type, timestamp, extra),
        customerKey: c.key,
      });
    };
    const rearm = (kind: string, mark: string) => {
      if (has(kind, mark)) decisions.rearmed.push({ customerKey: c.key, kind, mark });
    };

    const thresholds = ruleOf.get(c.key) ?? ruleOf.get(0) ?? DEFAULT_THRESHOLDS;
    const reached = new Set(thresholdsReached(c.total, c.budget, thresholds));
    for (const t of thresholds) {
      if (reached.has(t)) fire('threshold', String(t), 'budget.threshold_reached', { threshold: t });
    }
    // A mark whose threshold is no longer reached (or no longer a rule) re-arms it.
    for (const m of customerMarks) if (m.kind === 'threshold' && !reached.has(Number(m.mark))) rearm(m.kind, m.mark);
    if (forecastOver(c.total, c.budget, c.forecast)) fire('forecast', 'over', 'budget.forecast_over', {});
    else if (thresholdsReached(c.forecast, c.budget, [100]).length === 0) rearm('forecast', 'over');

    const candidates = c.inPeriod.map((d) => d.day);
    for (const a of findAnomalies(c.history, candidates)) {
      fire('anomaly', String(a.day), 'usage.anomaly', { anomaly: { ...a, method: ANOMALY_METHOD } });
    }
  }
  return decisions;
}

/** A meter series' anomalies in the period (from `first`), except days already raised for its customer. */
export function meterAnomaliesOf(
  series: MeterSeries,
  first: number,
  raisedForCustomer: ReadonlySet<string>,
): Anomaly[] {
  const candidates = series.days.filter((d) => d.day >= first).map((d) => d.day);
  return findAnomalies(series.days, candidates).filter((a) => !raisedForCustomer.has(`${series.customerKey}:${a.day}`));
}

/** Every alert to each webhook endpoint that asked for its type (or for all) and to each e-mail recipient. */
export function deliveriesFor(alerts: readonly QueuedAlert[], to: AlertDestinations): NewDelivery[] {
  return alerts.flatMap(({ event: e }) => [
    ...to.webhooks
      .filter((ep) => ep.events === '' || ep.events.split(',').includes(e.type))
      .map((ep) => ({ channel: 'webhook' as const, target: ep.id, alertId: e.id })),
    ...to.recipients.map((r) => ({ channel: 'email' as const, target: r, alertId: e.id })),
  ]);
}

/** A test event of `type` (alerts test): its type's documented body, zero figures. */
export function testEvent(
  partnerTenantId: string,
  customer: {
    readonly tenantId: string;
    readonly name: string;
    readonly currency: string;
    readonly budget: string | null;
  },
  type: AlertType,
  period: string,
  now: Date,
): AlertEvent {
  return {
    id: newEventId(),
    type,
    timestamp: now.toISOString(),
    test: true,
    data: {
      partnerTenantId: partnerTenantId.toLowerCase(),
      customer: { id: customer.tenantId, name: customer.name },
      period,
      currency: customer.currency,
      totalCost: '0',
      usdTotalCost: '0',
      budget: customer.budget,
      percentUsed: '0',
      forecast: { totalCost: '0', method: 'test' },
      ...(type === 'budget.threshold_reached' ? { threshold: 80 } : {}),
      // An anomaly names its day and amounts.
      ...(type === 'usage.anomaly'
        ? {
            anomaly: {
              day: Number(now.toISOString().slice(0, 10).replaceAll('-', '')),
              amount: '0',
              median: '0',
              limit: '0',
              method: ANOMALY_METHOD,
            },
          }
        : {}),
    },
  };
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
