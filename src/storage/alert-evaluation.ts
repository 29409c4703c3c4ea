import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  DEFAULT_THRESHOLDS,
  forecastOver,
  parseThresholds,
  thresholdsReached,
  type AlertType,
} from '../domain/alert-rules.js';
import { ANOMALY_METHOD, ANOMALY_WINDOW_DAYS, findAnomalies, type Anomaly, type DaySpend } from '../domain/anomaly.js';
import { FORECAST_METHOD, forecastMonthEnd } from '../domain/forecast.js';
import { percentUsed } from '../domain/percent-used.js';
import { addDays, periodDays, periodOf } from '../domain/usage-day.js';
import { formatDecimal } from '../money/decimal.js';
import type { Database } from './schema.js';

/** Which customers' standing may have changed: all of a partner's in a period, or some. */
export interface EvaluationScope {
  readonly partnerKey: number;
  readonly period: string;
  readonly customerKeys?: readonly number[];
}

/** The body every channel sends: a webhook's JSON, an e-mail's figures. */
export interface AlertEvent {
  readonly id: string;
  readonly type: AlertType;
  readonly timestamp: string;
  /** Sent by `alerts test`, not raised by data. */
  readonly test?: boolean;
  readonly data: {
    readonly partnerTenantId: string;
    readonly customer: { readonly id: string; readonly name: string };
    readonly period: string;
    readonly currency: string;
    readonly totalCost: string;
    readonly usdTotalCost: string;
    readonly budget: string | null;
    readonly percentUsed: string;
    readonly forecast: { readonly totalCost: string; readonly method: string };
    readonly threshold?: number;
    readonly anomaly?: Anomaly & { readonly method: string };
    /** On a meter's anomaly: which meter (the amounts are the meter's, the totals the customer's). */
    readonly meter?: { readonly id: string; readonly name: string; readonly category: string };
  };
}

/** Above this many customers a change is evaluated for the whole partner: one query, not a list of keys. */
const MAX_LISTED_CUSTOMERS = 500;

/** The customers to query by key, or undefined: all of the partner's. Evaluating more customers than changed raises nothing wrong (what has fired is marked). */
const listedKeys = (scope: EvaluationScope) =>
  scope.customerKeys && scope.customerKeys.length <= MAX_LISTED_CUSTOMERS ? scope.customerKeys : undefined;

/** Rows in groups small enough for one statement's parameters on either database. */
function* chunks<T>(rows: readonly T[], size = 500): Iterable<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

export const newEventId = (): string => `evt_${crypto.randomUUID().replaceAll('-', '')}`;
export const newMessageId = (): string => `msg_${crypto.randomUUID().replaceAll('-', '')}`;

/** A customer's figures for a period, as every alert about it carries them. */
interface CustomerFigures {
  readonly key: number;
  readonly tenantId: string;
  readonly name: string;
  readonly currency: string;
  readonly total: string;
  readonly usdTotal: string;
  readonly budget: string | null;
  /** Per-day spend from 28 days before the period to its end. */
  readonly history: readonly DaySpend[];
  readonly inPeriod: readonly DaySpend[];
  readonly forecast: string;
}

/** The partner's customers in `scope` with their totals, budgets, per-day spend and forecasts. */
async function customerFigures(
  db: Kysely<Database>,
  scope: EvaluationScope,
): Promise<{ partnerTenantId: string; customers: CustomerFigures[] } | undefined> {
  const { partnerKey, period } = scope;
  const keys = listedKeys(scope);
  const partner = await db
    .selectFrom('partners')
    .select('tenant_id')
    .where('partner_key', '=', partnerKey)
    .executeTakeFirst();
  if (!partner) return undefined;
  const customers = await db
    .selectFrom('customers as c')
    // By the whole key of customer_usage (partner, period, customer): without the partner it scanned the table per customer.
    .leftJoin('customer_usage as u', (join) =>
      join
        .onRef('u.partner_key', '=', 'c.partner_key')
        .on('u.period', '=', period)
        .onRef('u.customer_key', '=', 'c.customer_key'),
    )
    .select(['c.customer_key', 'c.tenant_id', 'c.name', 'c.currency', 'c.budget', 'u.billing_total', 'u.usd_total'])
    .where('c.partner_key', '=', partnerKey)
    .$if(keys !== undefined, (q) => q.where('c.customer_key', 'in', keys!))
    .execute();
  const { first, end } = periodDays(period);
  const days = await db
    .selectFrom('customer_daily_usage')
    .select(['customer_key', 'day', 'billing_total'])
    .where('partner_key', '=', partnerKey)
    // The window reaches into the month before (28 days back): both periods, by the table's key.
    .where('period', 'in', [periodOf(addDays(first, -1)), period])
    .where('day', '>=', addDays(first, -ANOMALY_WINDOW_DAYS))
    .where('day', '<', end)
    .$if(keys !== undefined, (q) => q.where('customer_key', 'in', keys!))
    .execute();
  // The forecast's horizon is the partner's latest day, as the usage summary computes it.
  const horizon = (
    await db
      .selectFrom('customer_daily_usage')
      .select(({ fn }) => fn.max('day').as('day'))
      .where('partner_key', '=', partnerKey)
      .where('period', '=', period)
      .executeTakeFirst()
  )?.day;
  const daysOf = groupBy(
    days.map((d) => ({ customer: d.customer_key, day: Number(d.day), billingTotal: String(d.billing_total) })),
    (d) => d.customer,
  );
  return {
    partnerTenantId: partner.tenant_id,
    customers: customers.map((c) => {
      const history = daysOf.get(c.customer_key) ?? [];
      const inPeriod = history.filter((d) => d.day >= first && d.day < end);
      return {
        key: c.customer_key,
        tenantId: c.tenant_id,
        name: c.name,
        currency: c.currency,
        total: c.billing_total === null ? '0' : String(c.billing_total),
        usdTotal: c.usd_total === null ? '0' : String(c.usd_total),
        budget: c.budget === null ? null : String(c.budget),
        history,
        inPeriod,
        forecast: forecastMonthEnd(period, inPeriod, horizon == null ? undefined : Number(horizon)).total,
      };
    }),
  };
}

/** An alert about customer `c`, with its figures. */
function alertEvent(
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

/** What has fired for these customers in the period, by customer. */
async function marksOf(db: Kysely<Database>, scope: EvaluationScope, keys: readonly number[] | undefined) {
  const marks = await db
    .selectFrom('alert_marks')
    .selectAll()
    .where('period', '=', scope.period)
    .where('customer_key', 'in', (q) =>
      q
        .selectFrom('customers')
        .select('customer_key')
        .where('partner_key', '=', scope.partnerKey)
        .$if(keys !== undefined, (w) => w.where('customer_key', 'in', keys!)),
    )
    .execute();
  return groupBy(marks, (m) => m.customer_key);
}

/**
 * Raises the alerts a change of data, budget or rule calls for, on `db` — the caller's own
 * transaction, so that an alert is written with the data that triggered it or not at all. Each
 * threshold fires once per customer and period (a mark remembers it; falling below it again, as
 * when the budget is raised, re-arms it), the forecast rule likewise, and an anomaly once per day.
 * Every alert is queued for each of the partner's webhook endpoints that asked for its type and
 * each e-mail recipient. Returns the alerts raised. (A meter's anomalies: meter-anomalies.ts.)
 */
export async function evaluateAlerts(
  db: Kysely<Database>,
  scope: EvaluationScope,
  now: Date = new Date(),
): Promise<AlertEvent[]> {
  const { partnerKey, period } = scope;
  if (scope.customerKeys?.length === 0) return [];
  const figures = await customerFigures(db, scope);
  if (!figures || figures.customers.length === 0) return [];
  const keys = listedKeys(scope);
  const rules = await db
    .selectFrom('alert_rules')
    .select(['customer_key', 'thresholds'])
    .where('partner_key', '=', partnerKey)
    .execute();
  const ruleOf = new Map(rules.map((r) => [r.customer_key, parseThresholds(r.thresholds)]));
  const marks = await marksOf(db, scope, keys);

  const raised: QueuedAlert[] = [];
  const newMarks: { customer_key: number; period: string; kind: string; mark: string }[] = [];
  const rearmed: { customer_key: number; kind: string; mark: string }[] = [];
  const timestamp = now.toISOString();
  for (const c of figures.customers) {
    const customerMarks = marks.get(c.key) ?? [];
    const has = (kind: string, mark: string) => customerMarks.some((m) => m.kind === kind && m.mark === mark);
    const fire = (kind: string, mark: string, type: AlertType, extra: Partial<AlertEvent['data']>) => {
      if (has(kind, mark)) return;
      newMarks.push({ customer_key: c.key, period, kind, mark });
      raised.push({
        event: alertEvent(figures.partnerTenantId, period, c, type, timestamp, extra),
        customerKey: c.key,
      });
    };
    const rearm = (kind: string, mark: string) => {
      if (has(kind, mark)) rearmed.push({ customer_key: c.key, kind, mark });
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

  for (const r of rearmed) {
    await db
      .deleteFrom('alert_marks')
      .where('customer_key', '=', r.customer_key)
      .where('period', '=', period)
      .where('kind', '=', r.kind)
      .where('mark', '=', r.mark)
      .execute();
  }
  for (const rows of chunks(newMarks)) await db.insertInto('alert_marks').values(rows).execute();
  await queueAlerts(db, partnerKey, raised, now);
  return raised.map((r) => r.event);
}

/** A meter's anomaly found by meter-anomalies.ts: its customer, meter and day. */
export interface MeterAnomaly {
  readonly customerKey: number;
  readonly meterKey: number;
  readonly meter: { readonly id: string; readonly name: string; readonly category: string };
  readonly anomaly: Anomaly;
}

/**
 * Raises the meter anomalies not raised before (each meter's day once, marked as kind
 * `meter-anomaly`), with their customers' figures, on `db` (the caller's transaction).
 */
export async function raiseMeterAnomalies(
  db: Kysely<Database>,
  partnerKey: number,
  period: string,
  found: readonly MeterAnomaly[],
  now: Date,
): Promise<AlertEvent[]> {
  if (found.length === 0) return [];
  const customerKeys = [...new Set(found.map((f) => f.customerKey))];
  const scope = { partnerKey, period, customerKeys };
  const keys = listedKeys(scope);
  const [figures, marks] = await Promise.all([customerFigures(db, scope), marksOf(db, scope, keys)]);
  if (!figures) return [];
  const customerOf = new Map(figures.customers.map((c) => [c.key, c]));
  const raised: QueuedAlert[] = [];
  const newMarks: { customer_key: number; period: string; kind: string; mark: string }[] = [];
  const timestamp = now.toISOString();
  for (const f of found) {
    const c = customerOf.get(f.customerKey);
    const mark = `${f.meterKey}:${f.anomaly.day}`;
    if (!c || marks.get(c.key)?.some((m) => m.kind === 'meter-anomaly' && m.mark === mark)) continue;
    newMarks.push({ customer_key: c.key, period, kind: 'meter-anomaly', mark });
    const anomaly = { ...f.anomaly, method: ANOMALY_METHOD };
    raised.push({
      event: alertEvent(figures.partnerTenantId, period, c, 'usage.anomaly', timestamp, { anomaly, meter: f.meter }),
      customerKey: c.key,
    });
  }
  for (const rows of chunks(newMarks)) await db.insertInto('alert_marks').values(rows).execute();
  await queueAlerts(db, partnerKey, raised, now);
  return raised.map((r) => r.event);
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

/** An alert and the customer it is about (storage's key). */
export interface QueuedAlert {
  readonly event: AlertEvent;
  readonly customerKey: number;
}

/** Stores alerts and queues a delivery of each to every destination of the partner that wants it. */
export async function queueAlerts(
  db: Kysely<Database>,
  partnerKey: number,
  alerts: readonly QueuedAlert[],
  now: Date,
): Promise<void> {
  if (alerts.length === 0) return;
  for (const rows of chunks(alerts)) {
    await db
      .insertInto('alerts')
      .values(
        rows.map(({ event, customerKey }) => ({
          alert_id: event.id,
          partner_key: partnerKey,
          customer_key: customerKey,
          period: event.data.period,
          type: event.type,
          payload: JSON.stringify(event),
          created_at: event.timestamp,
        })),
      )
      .execute();
  }
  const endpoints = await db
    .selectFrom('webhook_endpoints')
    .select(['endpoint_id', 'events'])
    .where('partner_key', '=', partnerKey)
    .where('enabled', '=', 1)
    .execute();
  const recipients = await db
    .selectFrom('email_recipients')
    .select('address')
    .where('partner_key', '=', partnerKey)
    .execute();
  const deliveries = alerts.flatMap(({ event: e }) => [
    ...endpoints
      .filter((ep) => ep.events === '' || ep.events.split(',').includes(e.type))
      .map((ep) => ({ channel: 'webhook' as const, target: ep.endpoint_id, alert: e.id })),
    ...recipients.map((r) => ({ channel: 'email' as const, target: r.address, alert: e.id })),
  ]);
  for (const rows of chunks(deliveries)) {
    await db
      .insertInto('deliveries')
      .values(
        rows.map((d) => ({
          delivery_id: newMessageId(),
          alert_id: d.alert,
          partner_key: partnerKey,
          channel: d.channel,
          target: d.target,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: now.getTime(),
          lease_until: 0,
          last_error: '',
          created_at: now.toISOString(),
          delivered_at: null,
        })),
      )
      .execute();
  }
}
