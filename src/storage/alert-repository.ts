import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AlertEvent } from '../domain/alert-event.js';
import type { DayAmount, DaySpend } from '../domain/anomaly.js';
import { SumTable } from '../money/sum-table.js';
import type { Database } from './schema.js';
import { sumBlock } from './usage-lines.js';
import { decimalOrZero } from './usage-totals.js';

/** Which customers' standing may have changed: all of a partner's in a period, or some. */
export interface EvaluationScope {
  readonly partnerKey: number;
  readonly period: string;
  readonly customerKeys?: readonly number[];
}

/** A customer's stored figures for a period, as the alert rules read them. */
export interface CustomerStanding {
  readonly key: number;
  readonly tenantId: string;
  readonly name: string;
  readonly currency: string;
  readonly total: string;
  readonly usdTotal: string;
  readonly budget: string | null;
}

/** What has fired for a customer in a period (a threshold, the forecast, a day's anomaly…), so it fires once. */
export interface AlertMark {
  readonly customerKey: number;
  readonly kind: string;
  readonly mark: string;
}

/** An alert and the customer it is about. */
export interface QueuedAlert {
  readonly event: AlertEvent;
  readonly customerKey: number;
}

/** Where a partner's alerts go: its enabled webhook endpoints (with the types each asked for; '' all) and e-mail recipients. */
export interface AlertDestinations {
  readonly webhooks: readonly { readonly id: string; readonly events: string }[];
  readonly recipients: readonly string[];
}

/** One delivery of an alert to one destination. */
export interface NewDelivery {
  readonly alertId: string;
  readonly channel: 'webhook' | 'email';
  readonly target: string;
}

/** A (customer, meter)'s daily spend, its days in order. */
export interface MeterSeries {
  readonly customerKey: number;
  readonly meterKey: number;
  readonly days: readonly (DaySpend | DayAmount)[];
}

/** A period an import queued for its meters' anomalies, taken by one sender. */
export interface QueuedMeterEvaluation {
  readonly scope: string;
  readonly partnerKey: number;
  readonly period: string;
  readonly token: string;
}

/**
 * What the alert rules (src/alerts) read and write, and nothing else: queries and writes on one
 * connection — the caller's transaction when the rules run inside an import or a budget change,
 * so that an alert is stored with the data that raised it or not at all.
 */
export interface AlertRepository {
  partnerTenantId(partnerKey: number): Promise<string | undefined>;
  /** The partner's customers (those of `customerKeys` when given) with their totals in the period and budgets. */
  standings(partnerKey: number, period: string, customerKeys?: readonly number[]): Promise<CustomerStanding[]>;
  /** Per customer and day, the billing total in [from, end) of the given periods. */
  dailySpend(
    partnerKey: number,
    periods: readonly string[],
    from: number,
    end: number,
    customerKeys?: readonly number[],
  ): Promise<{ customerKey: number; day: number; billingTotal: string }[]>;
  /** The partner's latest usage day in the period, or undefined. */
  latestDay(partnerKey: number, period: string): Promise<number | undefined>;
  /** The partner's thresholds (customer key 0) and each customer's override, as stored text. */
  thresholdRules(partnerKey: number): Promise<{ customerKey: number; thresholds: string }[]>;
  marks(partnerKey: number, period: string, customerKeys?: readonly number[], kind?: string): Promise<AlertMark[]>;
  addMarks(period: string, marks: readonly AlertMark[]): Promise<void>;
  removeMarks(period: string, marks: readonly AlertMark[]): Promise<void>;
  addAlerts(partnerKey: number, alerts: readonly QueuedAlert[]): Promise<void>;
  destinations(partnerKey: number): Promise<AlertDestinations>;
  addDeliveries(partnerKey: number, deliveries: readonly NewDelivery[], now: Date): Promise<void>;
  /** Each (customer, meter)'s daily spend in [from, end), from the stored lines of `periods`, one series at a time. */
  meterSeries(partnerKey: number, periods: readonly string[], from: number, end: number): AsyncIterable<MeterSeries>;
  meters(meterKeys: readonly number[]): Promise<Map<number, { id: string; name: string; category: string }>>;
  /** Queues a period's meters to be looked at for anomalies (migration 0008). */
  queueMeterEvaluation(partnerKey: number, period: string): Promise<void>;
  /** Takes one queued period for `leaseMs`: no other sender gets it until then. */
  leaseMeterEvaluation(now: number, leaseMs: number): Promise<QueuedMeterEvaluation | undefined>;
  /** Removes the request taken; false when an import queued the period again meanwhile (its token changed). */
  finishMeterEvaluation(taken: QueuedMeterEvaluation): Promise<boolean>;
}

/** Rows in groups small enough for one statement's parameters on either database. */
export function* chunks<T>(rows: readonly T[], size = 500): Iterable<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

export const newMessageId = (): string => `msg_${crypto.randomUUID().replaceAll('-', '')}`;

/** Blocks read at a time: their columns, not the whole period, are in memory at once. */
const BLOCKS_PER_READ = 16;

/** The alert repository on a Kysely connection or transaction. */
export class KyselyAlertRepository implements AlertRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly postgres: boolean,
  ) {}

  async partnerTenantId(partnerKey: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('partners')
      .select('tenant_id')
      .where('partner_key', '=', partnerKey)
      .executeTakeFirst();
    return row?.tenant_id;
  }

  async standings(partnerKey: number, period: string, keys?: readonly number[]): Promise<CustomerStanding[]> {
    const rows = await this.db
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
    return rows.map((c) => ({
      key: c.customer_key,
      tenantId: c.tenant_id,
      name: c.name,
      currency: c.currency,
      total: decimalOrZero(c.billing_total),
      usdTotal: decimalOrZero(c.usd_total),
      budget: c.budget === null ? null : String(c.budget),
    }));
  }

  async dailySpend(
    partnerKey: number,
    periods: readonly string[],
    from: number,
    end: number,
    keys?: readonly number[],
  ): Promise<{ customerKey: number; day: number; billingTotal: string }[]> {
    const rows = await this.db
      .selectFrom('customer_daily_usage')
      .select(['customer_key', 'day', 'billing_total'])
      .where('partner_key', '=', partnerKey)
      .where('period', 'in', periods)
      .where('day', '>=', from)
      .where('day', '<', end)
      .$if(keys !== undefined, (q) => q.where('customer_key', 'in', keys!))
      .execute();
    return rows.map((d) => ({
      customerKey: d.customer_key,
      day: Number(d.day),
      billingTotal: String(d.billing_total),
    }));
  }

  async latestDay(partnerKey: number, period: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('customer_daily_usage')
      .select(({ fn }) => fn.max('day').as('day'))
      .where('partner_key', '=', partnerKey)
      .where('period', '=', period)
      .executeTakeFirst();
    return row?.day == null ? undefined : Number(row.day);
  }

  async thresholdRules(partnerKey: number): Promise<{ customerKey: number; thresholds: string }[]> {
    const rows = await this.db
      .selectFrom('alert_rules')
      .select(['customer_key', 'thresholds'])
      .where('partner_key', '=', partnerKey)
      .execute();
    return rows.map((r) => ({ customerKey: r.customer_key, thresholds: r.thresholds }));
  }

  async marks(partnerKey: number, period: string, keys?: readonly number[], kind?: string): Promise<AlertMark[]> {
    const rows = await this.db
      .selectFrom('alert_marks')
      .select(['customer_key', 'kind', 'mark'])
      .where('period', '=', period)
      .$if(kind !== undefined, (q) => q.where('kind', '=', kind!))
      .where('customer_key', 'in', (q) =>
        q
          .selectFrom('customers')
          .select('customer_key')
          .where('partner_key', '=', partnerKey)
          .$if(keys !== undefined, (w) => w.where('customer_key', 'in', keys!)),
      )
      .execute();
    return rows.map((m) => ({ customerKey: m.customer_key, kind: m.kind, mark: m.mark }));
  }

  async addMarks(period: string, marks: readonly AlertMark[]): Promise<void> {
    for (const rows of chunks(marks)) {
      await this.db
        .insertInto('alert_marks')
        .values(rows.map((m) => ({ customer_key: m.customerKey, period, kind: m.kind, mark: m.mark })))
        .execute();
    }
  }

  async removeMarks(period: string, marks: readonly AlertMark[]): Promise<void> {
    for (const m of marks) {
      await this.db
        .deleteFrom('alert_marks')
        .where('customer_key', '=', m.customerKey)
        .where('period', '=', period)
        .where('kind', '=', m.kind)
        .where('mark', '=', m.mark)
        .execute();
    }
  }

  async addAlerts(partnerKey: number, alerts: readonly QueuedAlert[]): Promise<void> {
    for (const rows of chunks(alerts)) {
      await this.db
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
  }

  async destinations(partnerKey: number): Promise<AlertDestinations> {
    const webhooks = await this.db
      .selectFrom('webhook_endpoints')
      .select(['endpoint_id', 'events'])
      .where('partner_key', '=', partnerKey)
      .where('enabled', '=', 1)
      .execute();
    const recipients = await this.db
      .selectFrom('email_recipients')
      .select('address')
      .where('partner_key', '=', partnerKey)
      .execute();
    return {
      webhooks: webhooks.map((w) => ({ id: w.endpoint_id, events: w.events })),
      recipients: recipients.map((r) => r.address),
    };
  }

  async addDeliveries(partnerKey: number, deliveries: readonly NewDelivery[], now: Date): Promise<void> {
    for (const rows of chunks(deliveries)) {
      await this.db
        .insertInto('deliveries')
        .values(
          rows.map((d) => ({
            delivery_id: newMessageId(),
            alert_id: d.alertId,
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

  async *meterSeries(
    partnerKey: number,
    periods: readonly string[],
    from: number,
    end: number,
  ): AsyncIterable<MeterSeries> {
    const owners = await this.db
      .selectFrom('resources as r')
      .innerJoin('entitlements as e', 'e.entitlement_key', 'r.entitlement_key')
      .innerJoin('subscriptions as s', 's.subscription_key', 'e.subscription_key')
      .innerJoin('customers as c', 'c.customer_key', 's.customer_key')
      .select(['r.resource_key', 'c.customer_key'])
      .where('c.partner_key', '=', partnerKey)
      .execute();
    const customerOf = new Map(owners.map((o) => [o.resource_key, o.customer_key]));
    // (customer, meter, day) → billing total.
    const sums = new SumTable(1);
    for (const p of periods) {
      let after = 0;
      for (;;) {
        const blocks = await this.db
          .selectFrom('line_blocks')
          .select(['block_key', 'line_count', 'resources', 'meters', 'days', 'amounts', 'replaced'])
          .where('partner_key', '=', partnerKey)
          .where('period', '=', p)
          .where('block_key', '>', after)
          .orderBy('block_key')
          .limit(BLOCKS_PER_READ)
          .execute();
        for (const b of blocks) {
          sumBlock({ ...b, count: Number(b.line_count) }, sums, [-1, 0, -1], (resource, meter, day) => {
            const customer = customerOf.get(resource);
            return customer === undefined || day < from || day >= end ? -1 : sums.row(customer, meter, day);
          });
        }
        if (blocks.length < BLOCKS_PER_READ) break;
        after = blocks.at(-1)!.block_key;
      }
    }
    // Walked in (customer, meter, day) order, one meter's days at a time: no object per meter-day
    // outlives its series (a million of them held at once doubled the pass's memory).
    const order = Int32Array.from({ length: sums.rows }, (_, i) => i);
    order.sort(
      (a, b) => sums.key(a, 0) - sums.key(b, 0) || sums.key(a, 1) - sums.key(b, 1) || sums.key(a, 2) - sums.key(b, 2),
    );
    for (let i = 0; i < order.length;) {
      const customerKey = sums.key(order[i]!, 0);
      const meterKey = sums.key(order[i]!, 1);
      const days: DayAmount[] = [];
      for (; i < order.length && sums.key(order[i]!, 0) === customerKey && sums.key(order[i]!, 1) === meterKey; i++) {
        days.push({ day: sums.key(order[i]!, 2), billing: sums.decimal(order[i]!, 0) });
      }
      yield { customerKey, meterKey, days };
    }
  }

  async meters(meterKeys: readonly number[]): Promise<Map<number, { id: string; name: string; category: string }>> {
    const meters = new Map<number, { id: string; name: string; category: string }>();
    for (const keys of chunks(meterKeys)) {
      const rows = await this.db
        .selectFrom('meters')
        .select(['meter_key', 'meter_id', 'name', 'category'])
        .where('meter_key', 'in', keys)
        .execute();
      for (const m of rows) meters.set(m.meter_key, { id: m.meter_id, name: m.name, category: m.category });
    }
    return meters;
  }

  async queueMeterEvaluation(partnerKey: number, period: string): Promise<void> {
    // A new token each time, so that an evaluation already under way for older data does not remove the request.
    const token = crypto.randomUUID();
    await this.db
      .insertInto('anomaly_queue')
      .values({ scope: `${partnerKey}/${period}`, partner_key: partnerKey, period, token, lease_until: 0 })
      .onConflict((oc) => oc.column('scope').doUpdateSet({ token, lease_until: 0 }))
      .execute();
  }

  async leaseMeterEvaluation(now: number, leaseMs: number): Promise<QueuedMeterEvaluation | undefined> {
    // On PostgreSQL FOR UPDATE SKIP LOCKED: two processes never take one.
    const lock = this.postgres ? sql` FOR UPDATE SKIP LOCKED` : sql``;
    const taken = await sql<{ scope: string; partner_key: number; period: string; token: string }>`
      UPDATE anomaly_queue SET lease_until = ${now + leaseMs}
      WHERE scope IN (SELECT scope FROM anomaly_queue WHERE lease_until <= ${now} ORDER BY scope LIMIT 1${lock})
      RETURNING scope, partner_key, period, token`.execute(this.db);
    const row = taken.rows[0];
    return row && { scope: row.scope, partnerKey: row.partner_key, period: row.period, token: row.token };
  }

  async finishMeterEvaluation(taken: QueuedMeterEvaluation): Promise<boolean> {
    const removed = await this.db
      .deleteFrom('anomaly_queue')
      .where('scope', '=', taken.scope)
      .where('token', '=', taken.token)
      .executeTakeFirst();
    return removed.numDeletedRows > 0n;
  }
}
