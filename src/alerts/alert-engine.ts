import type { AlertEvent } from '../domain/alert-event.js';
import { ANOMALY_METHOD, ANOMALY_WINDOW_DAYS } from '../domain/anomaly.js';
import { currentBillingPeriod } from '../domain/usage-model.js';
import { addDays, periodDays, periodOf } from '../domain/usage-day.js';
import type { AlertEngine, MeterAnomaly } from '../storage/alert-engine.js';
import type { AlertRepository, EvaluationScope, QueuedAlert } from '../storage/alert-repository.js';
import {
  alertEvent,
  customerFigures,
  decideAlerts,
  deliveriesFor,
  meterAnomaliesOf,
  testEvent,
  type CustomerFigures,
} from './alert-decisions.js';

/** Above this many customers a change is evaluated for the whole partner: one query, not a list of keys. */
const MAX_LISTED_CUSTOMERS = 500;

/** The customers to query by key, or undefined: all of the partner's. Evaluating more customers than changed raises nothing wrong (what has fired is marked). */
const listedKeys = (scope: EvaluationScope) =>
  scope.customerKeys && scope.customerKeys.length <= MAX_LISTED_CUSTOMERS ? scope.customerKeys : undefined;

/** The partner's customers in `scope` with their totals, budgets, per-day spend and forecasts. */
async function figuresOf(
  repository: AlertRepository,
  scope: EvaluationScope,
): Promise<{ partnerTenantId: string; customers: CustomerFigures[] } | undefined> {
  const { partnerKey, period } = scope;
  const keys = listedKeys(scope);
  const partnerTenantId = await repository.partnerTenantId(partnerKey);
  if (partnerTenantId === undefined) return undefined;
  const standings = await repository.standings(partnerKey, period, keys);
  const { first, end } = periodDays(period);
  // The window reaches into the month before (28 days back): both periods, by the table's key.
  const days = await repository.dailySpend(
    partnerKey,
    [periodOf(addDays(first, -1)), period],
    addDays(first, -ANOMALY_WINDOW_DAYS),
    end,
    keys,
  );
  // The forecast's horizon is the partner's latest day, as the usage summary computes it.
  const horizon = await repository.latestDay(partnerKey, period);
  return { partnerTenantId, customers: customerFigures(period, standings, days, horizon) };
}

/** Stores alerts and queues a delivery of each to every destination of the partner that wants it. */
async function queue(
  repository: AlertRepository,
  partnerKey: number,
  alerts: readonly QueuedAlert[],
  now: Date,
): Promise<void> {
  if (alerts.length === 0) return;
  await repository.addAlerts(partnerKey, alerts);
  await repository.addDeliveries(partnerKey, deliveriesFor(alerts, await repository.destinations(partnerKey)), now);
}

/**
 * The alert rules (docs/api.md, "Alerts"), run by storage inside the transaction of each change
 * that can move a customer's standing: every alert is written with the data that raised it or not
 * at all, and queued for each of the partner's webhook endpoints that asked for its type and each
 * e-mail recipient.
 */
export const alertEngine: AlertEngine = {
  async evaluate(repository, scope, now): Promise<AlertEvent[]> {
    const { partnerKey, period } = scope;
    if (scope.customerKeys?.length === 0) return [];
    const figures = await figuresOf(repository, scope);
    if (!figures || figures.customers.length === 0) return [];
    const rules = await repository.thresholdRules(partnerKey);
    const marks = await repository.marks(partnerKey, period, listedKeys(scope));
    const { raised, newMarks, rearmed } = decideAlerts(
      figures.partnerTenantId,
      period,
      figures.customers,
      rules,
      marks,
      now,
    );
    await repository.removeMarks(period, rearmed);
    await repository.addMarks(period, newMarks);
    await queue(repository, partnerKey, raised, now);
    return raised.map((r) => r.event);
  },

  async test(repository, partner, customer, type, now): Promise<AlertEvent> {
    const event = testEvent(partner.tenantId, customer, type, currentBillingPeriod(now), now);
    await queue(repository, partner.key, [{ event, customerKey: customer.key }], now);
    return event;
  },

  /**
   * Each (customer, meter)'s daily spend in the period, against its own 28 days before (the same
   * rule as a customer's day, anomaly.ts). Days on which the customer's own total was already an
   * anomaly are left out: that alert has been raised.
   */
  async findMeterAnomalies(repository, partnerKey, period): Promise<MeterAnomaly[]> {
    const { first, end } = periodDays(period);
    const customerDays = await repository.marks(partnerKey, period, undefined, 'anomaly');
    const raisedForCustomer = new Set(customerDays.map((m) => `${m.customerKey}:${m.mark}`));
    const found: Omit<MeterAnomaly, 'meter'>[] = [];
    const periods = [periodOf(addDays(first, -1)), period];
    for await (const series of repository.meterSeries(partnerKey, periods, addDays(first, -ANOMALY_WINDOW_DAYS), end)) {
      for (const anomaly of meterAnomaliesOf(series, first, raisedForCustomer)) {
        found.push({ customerKey: series.customerKey, meterKey: series.meterKey, anomaly });
      }
    }
    if (found.length === 0) return [];
    const meters = await repository.meters([...new Set(found.map((f) => f.meterKey))]);
    return found.map((f) => ({ ...f, meter: meters.get(f.meterKey)! }));
  },

  /** Raises the meter anomalies not raised before (each meter's day once, marked as kind `meter-anomaly`), with their customers' figures. */
  async raiseMeterAnomalies(repository, partnerKey, period, found, now): Promise<AlertEvent[]> {
    if (found.length === 0) return [];
    const customerKeys = [...new Set(found.map((f) => f.customerKey))];
    const scope = { partnerKey, period, customerKeys };
    const figures = await figuresOf(repository, scope);
    if (!figures) return [];
    const marks = await repository.marks(partnerKey, period, listedKeys(scope), 'meter-anomaly');
    const done = new Set(marks.map((m) => `${m.customerKey}:${m.mark}`));
    const customerOf = new Map(figures.customers.map((c) => [c.key, c]));
    const raised: QueuedAlert[] = [];
    const newMarks: { customerKey: number; kind: string; mark: string }[] = [];
    const timestamp = now.toISOString();
    for (const f of found) {
      const c = customerOf.get(f.customerKey);
      const mark = `${f.meterKey}:${f.anomaly.day}`;
      if (!c || done.has(`${c.key}:${mark}`)) continue;
      newMarks.push({ customerKey: c.key, kind: 'meter-anomaly', mark });
      const anomaly = { ...f.anomaly, method: ANOMALY_METHOD };
      raised.push({
        event: alertEvent(figures.partnerTenantId, period, c, 'usage.anomaly', timestamp, { anomaly, meter: f.meter }),
        customerKey: c.key,
      });
    }
    await repository.addMarks(period, newMarks);
    await queue(repository, partnerKey, raised, now);
    return raised.map((r) => r.event);
  },
};
