import crypto from 'node:crypto';
import { fieldsHeader, LineDictionary, LineFields } from '../../src/domain/line-fields.js';
import { formatDecimal, parseDecimal } from '../../src/money/decimal.js';
import type { TestDatabase } from './backends.js';

/** Everything a database stores about usage, by natural keys (no surrogate keys, times or batches). */
export async function contents(db: TestDatabase): Promise<string> {
  const exact = (v: unknown) => (v === null ? 'null' : formatDecimal(parseDecimal(String(v))!));
  const rows = async (sql: string, money: string[] = []) =>
    (await db.query<Record<string, unknown>>(sql))
      .map((r) =>
        Object.entries(r)
          .map(([k, v]) => (money.includes(k) ? exact(v) : String(v)))
          .join('|'),
      )
      .sort();
  const keys = `SELECT r.resource_key, p.tenant_id AS partner, c.tenant_id AS customer, s.subscription_id AS sub,
      e.entitlement_id AS ent, r.uri FROM resources r JOIN entitlements e ON e.entitlement_key = r.entitlement_key
      JOIN subscriptions s ON s.subscription_key = e.subscription_key JOIN customers c ON c.customer_key = s.customer_key
      JOIN partners p ON p.partner_key = c.partner_key`;
  const resources = new Map(
    (await db.query<Record<string, unknown>>(keys)).map((r) => [
      Number(r.resource_key),
      `${r.partner}/${r.customer}/${r.sub}/${r.ent}/${r.uri}`,
    ]),
  );
  const meters = new Map(
    (await db.query<{ meter_key: number; meter_id: string }>('SELECT meter_key, meter_id FROM meters')).map((m) => [
      Number(m.meter_key),
      m.meter_id,
    ]),
  );
  // Each import's dictionaries of line fields, whole (a block reads only the parts it needs).
  const dictionaries = new Map<string, LineDictionary>();
  for (const d of await db.query<{ batch_id: number; parser: number; delta: Buffer }>(
    'SELECT batch_id, parser, delta FROM line_dictionaries ORDER BY batch_id, parser, seq',
  )) {
    const name = `${d.batch_id}|${d.parser}`;
    if (!dictionaries.has(name)) dictionaries.set(name, new LineDictionary());
    dictionaries.get(name)!.apply(Buffer.from(d.delta));
  }
  const lines: string[] = [];
  for (const b of await db.query<Record<string, Buffer | number | null>>(
    'SELECT batch_id, line_count, identities, ordinals, resources, meters, days, amounts, replaced, fields FROM line_blocks',
  )) {
    const n = Number(b.line_count);
    // Each column as a Buffer once (PostgreSQL and SQLite hand back different kinds of bytes).
    const [identities, ordinals, blockResources, blockMeters, days] = [
      b.identities,
      b.ordinals,
      b.resources,
      b.meters,
      b.days,
    ].map((v) => Buffer.from(v as Buffer)) as [Buffer, Buffer, Buffer, Buffer, Buffer];
    const replacedBits = b.replaced ? Buffer.from(b.replaced as Buffer) : null;
    const int32 = (buf: Buffer, i: number) => buf.readInt32LE(4 * i);
    const amounts = Buffer.from(b.amounts as Buffer)
      .toString('latin1')
      .split(',');
    const blob = b.fields ? Buffer.from(b.fields as Buffer) : null;
    const fields = blob
      ? new LineFields(blob, amounts, dictionaries.get(`${b.batch_id}|${fieldsHeader(blob).parser}`))
      : null;
    for (let i = 0; i < n; i++) {
      const replaced = replacedBits !== null && (replacedBits[i >>> 3]! & (1 << (i & 7))) !== 0;
      if (replaced) continue;
      lines.push(
        [
          identities.readBigInt64LE(8 * i),
          int32(ordinals, i),
          resources.get(int32(blockResources, i)),
          meters.get(int32(blockMeters, i)),
          int32(days, i),
          amounts.slice(3 * i, 3 * i + 3).join(','),
          // Every column of the line, as stored.
          fields ? JSON.stringify(Array.from({ length: fields.columns.length }, (_, k) => fields.at(i, k))) : 'none',
        ].join('|'),
      );
    }
  }
  const all = [
    await rows('SELECT tenant_id, name FROM partners'),
    await rows('SELECT tenant_id, name, domain, country, currency, currency_locale, plan, budget FROM customers', [
      'budget',
    ]),
    await rows('SELECT subscription_id, offer_id, description FROM subscriptions'),
    await rows('SELECT entitlement_id, description FROM entitlements'),
    await rows('SELECT meter_id, name, category, subcategory, region, unit FROM meters'),
    await rows('SELECT uri, resource_group, location, service, tags FROM resources'),
    await rows('SELECT period, billing_total, usd_total FROM customer_usage', ['billing_total', 'usd_total']),
    await rows('SELECT period, billing_total, usd_total FROM subscription_usage', ['billing_total', 'usd_total']),
    await rows('SELECT period, quantity, billing_total, usd_total FROM meter_usage', [
      'quantity',
      'billing_total',
      'usd_total',
    ]),
    await rows('SELECT period, billing_total, usd_total FROM resource_usage', ['billing_total', 'usd_total']),
    lines.sort(),
  ];
  return crypto.createHash('sha256').update(JSON.stringify(all)).digest('hex');
}
