import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ANOMALY_WINDOW_DAYS, findAnomalies, type DaySpend } from '../domain/anomaly.js';
import { addDays, periodDays, periodOf } from '../domain/usage-day.js';
import { SumTable } from '../money/sum-table.js';
import { raiseMeterAnomalies, type AlertEvent, type MeterAnomaly } from './alert-evaluation.js';
import type { Database } from './schema.js';
import { sumBlock } from './usage-lines.js';

/** Blocks read at a time: their columns, not the whole period, are in memory at once. */
const BLOCKS_PER_READ = 16;

/**
 * Queues a period's meters to be looked at for anomalies, in the caller's transaction (an import's):
 * see migration 0008. A new token each time, so that an evaluation already under way for older
 * data does not remove the request.
 */
export async function queueMeterEvaluation(db: Kysely<Database>, partnerKey: number, period: string): Promise<void> {
  const token = crypto.randomUUID();
  await db
    .insertInto('anomaly_queue')
    .values({ scope: `${partnerKey}/${period}`, partner_key: partnerKey, period, token, lease_until: 0 })
    .onConflict((oc) => oc.column('scope').doUpdateSet({ token, lease_until: 0 }))
    .execute();
}

/**
 * Each (customer, meter)'s daily spend in the period, against its own 28 days before (the same
 * rule as a customer's day, anomaly.ts), summed from the stored lines of the period and the one
 * before it. Days on which the customer's own total was already an anomaly are left out: that
 * alert has been raised.
 */
export async function findMeterAnomalies(
  db: Kysely<Database>,
  partnerKey: number,
  period: string,
): Promise<MeterAnomaly[]> {
  const { first, end } = periodDays(period);
  const from = addDays(first, -ANOMALY_WINDOW_DAYS);
  const owners = await db
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
  for (const p of [periodOf(addDays(first, -1)), period]) {
    let after = 0;
    for (;;) {
      const blocks = await db
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
  const customerDays = await db
    .selectFrom('alert_marks as m')
    .innerJoin('customers as c', 'c.customer_key', 'm.customer_key')
    .select(['m.customer_key', 'm.mark'])
    .where('c.partner_key', '=', partnerKey)
    .where('m.period', '=', period)
    .where('m.kind', '=', 'anomaly')
    .execute();
  const raisedForCustomer = new Set(customerDays.map((m) => `${m.customer_key}:${m.mark}`));
  // Walked in (customer, meter, day) order, one meter's days at a time: no object per meter-day
  // outlives its series (a million of them held at once doubled the pass's memory).
  const order = Int32Array.from({ length: sums.rows }, (_, i) => i);
  order.sort(
    (a, b) => sums.key(a, 0) - sums.key(b, 0) || sums.key(a, 1) - sums.key(b, 1) || sums.key(a, 2) - sums.key(b, 2),
  );
  const found: Omit<MeterAnomaly, 'meter'>[] = [];
  for (let i = 0; i < order.length;) {
    const customer = sums.key(order[i]!, 0);
    const meter = sums.key(order[i]!, 1);
    const days: DaySpend[] = [];
    for (; i < order.length && sums.key(order[i]!, 0) === customer && sums.key(order[i]!, 1) === meter; i++) {
      days.push({ day: sums.key(order[i]!, 2), billingTotal: sums.text(order[i]!, 0) });
    }
    const candidates = days.filter((d) => d.day >= first).map((d) => d.day);
    for (const anomaly of findAnomalies(days, candidates)) {
      if (!raisedForCustomer.has(`${customer}:${anomaly.day}`))
        found.push({ customerKey: customer, meterKey: meter, anomaly });
    }
  }
  if (found.length === 0) return [];
  const meters = new Map<number, MeterAnomaly['meter']>();
  const meterKeys = [...new Set(found.map((f) => f.meterKey))];
  for (let i = 0; i < meterKeys.length; i += 500) {
    const rows = await db
      .selectFrom('meters')
      .select(['meter_key', 'meter_id', 'name', 'category'])
      .where('meter_key', 'in', meterKeys.slice(i, i + 500))
      .execute();
    for (const m of rows) meters.set(m.meter_key, { id: m.meter_id, name: m.name, category: m.category });
  }
  return found.map((f) => ({ ...f, meter: meters.get(f.meterKey)! }));
}

/**
 * Takes one queued period for `leaseMs` (on PostgreSQL FOR UPDATE SKIP LOCKED: two processes
 * never take one), looks for its meters' anomalies outside any transaction, then in one
 * transaction removes the request and raises what it found. If an import queued the period again
 * meanwhile, what was found is dropped: the next round reads the newer data. Undefined when
 * nothing waits.
 */
export async function evaluateQueuedMeters(
  db: Kysely<Database>,
  postgres: boolean,
  now: number,
  leaseMs: number,
): Promise<AlertEvent[] | undefined> {
  const lock = postgres ? sql` FOR UPDATE SKIP LOCKED` : sql``;
  const taken = await sql<{ scope: string; partner_key: number; period: string; token: string }>`
    UPDATE anomaly_queue SET lease_until = ${now + leaseMs}
    WHERE scope IN (SELECT scope FROM anomaly_queue WHERE lease_until <= ${now} ORDER BY scope LIMIT 1${lock})
    RETURNING scope, partner_key, period, token`.execute(db);
  const row = taken.rows[0];
  if (!row) return undefined;
  const found = await findMeterAnomalies(db, row.partner_key, row.period);
  return db.transaction().execute(async (trx) => {
    const removed = await trx
      .deleteFrom('anomaly_queue')
      .where('scope', '=', row.scope)
      .where('token', '=', row.token)
      .executeTakeFirst();
    if (removed.numDeletedRows === 0n) return [];
    return raiseMeterAnomalies(trx, row.partner_key, row.period, found, new Date(now));
  });
}
