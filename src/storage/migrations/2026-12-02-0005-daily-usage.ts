import { sql, type Kysely } from 'kysely';
import { ExactSum } from '../../money/exact-sum.js';
import { columnTypes } from './column-types.js';

/**
 * Per-day totals per customer (the forecast, the dashboard's bars), kept by the importer beside
 * the monthly ones. A database stored before gets them summed from its line blocks here,
 * exactly, so that no period needs importing again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { money } = columnTypes(db);
  await db.schema
    .createTable('customer_daily_usage')
    .addColumn('partner_key', 'integer', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('customer_key', 'integer', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull()) // yyyymmdd
    .addColumn('billing_total', money, (c) => c.notNull())
    .addColumn('usd_total', money, (c) => c.notNull())
    .addColumn('last_modified', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_daily_usage_key', ['partner_key', 'period', 'customer_key', 'day'])
    .execute();
  await backfill(db);
}

async function backfill(db: Kysely<unknown>): Promise<void> {
  const owners = new Map<number, number>();
  const rows = await sql<{ resource: number; customer: number }>`
    SELECT r.resource_key AS resource, s.customer_key AS customer
    FROM resources r JOIN entitlements e ON e.entitlement_key = r.entitlement_key
    JOIN subscriptions s ON s.subscription_key = e.subscription_key`.execute(db);
  for (const r of rows.rows) owners.set(Number(r.resource), Number(r.customer));
  const scopes = await sql<{ partner: number; period: string }>`
    SELECT DISTINCT partner_key AS partner, period FROM line_blocks`.execute(db);
  for (const { partner, period } of scopes.rows) {
    const byCustomer = new Map<string, [ExactSum, ExactSum]>();
    const blocks = await sql<{
      count: number;
      resources: Uint8Array;
      days: Uint8Array;
      amounts: Uint8Array;
      replaced: Uint8Array | null;
    }>`
      SELECT line_count AS count, resources, days, amounts, replaced FROM line_blocks
      WHERE partner_key = ${partner} AND period = ${period}`.execute(db);
    for (const block of blocks.rows) {
      const count = Number(block.count);
      const resources = int32s(block.resources, count);
      const days = int32s(block.days, count);
      const amounts = Buffer.from(block.amounts).toString('latin1').split(',');
      for (let i = 0; i < count; i++) {
        if (block.replaced && (block.replaced[i >>> 3]! & (1 << (i & 7))) !== 0) continue;
        const key = `${owners.get(resources[i]!)!}|${days[i]}`;
        let sums = byCustomer.get(key);
        if (!sums) byCustomer.set(key, (sums = [new ExactSum(), new ExactSum()]));
        sums[0].add(amounts[3 * i + 1]!);
        sums[1].add(amounts[3 * i + 2]!);
      }
    }
    const last = await sql<{ at: string }>`
      SELECT MAX(last_modified) AS at FROM customer_usage WHERE partner_key = ${partner} AND period = ${period}`.execute(
      db,
    );
    const at = last.rows[0]?.at ?? new Date().toISOString();
    for (const [name, [billing, usd]] of byCustomer) {
      const [customer, day] = name.split('|').map(Number);
      await sql`INSERT INTO customer_daily_usage (partner_key, period, customer_key, day, billing_total, usd_total, last_modified)
        VALUES (${partner}, ${period}, ${customer}, ${day}, ${billing.toText()}, ${usd.toText()}, ${at})`.execute(db);
    }
  }
}

function int32s(blob: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  new Uint8Array(out.buffer).set(blob.subarray(0, count * 4));
  return out;
}
