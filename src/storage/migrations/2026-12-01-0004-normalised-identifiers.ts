import { sql, type Kysely } from 'kysely';
import { normaliseKey } from '../../domain/identifiers.js';
import { add, formatDecimal, parseDecimal } from '../../money/decimal.js';

/**
 * Identifiers are now compared trimmed and without regard to ASCII case (src/domain/identifiers.ts):
 * the same usage imported with its ids in another case was counted twice before. This migration
 * brings a database stored before to that rule:
 * - meter and resource rows that differ only in case or white space are merged into the oldest
 *   (line blocks and the meter and resource aggregates re-keyed, merged aggregates summed
 *   exactly), and every stored meter id and resource URI is normalised;
 * - line identities cannot be recomputed (their identity columns are hashed, not stored), so the
 *   blocks stored before are marked `identity_scheme = 1`: an import of their month replaces
 *   every such line of each (resource, meter, day) it brings lines for (block-import-session.ts).
 *   Importing a month again therefore also removes lines a case-variant import had doubled.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE line_blocks ADD COLUMN identity_scheme integer NOT NULL DEFAULT 2`.execute(db);
  await sql`UPDATE line_blocks SET identity_scheme = 1`.execute(db);

  const meters = await sql<{ key: number; id: string }>`SELECT meter_key AS key, meter_id AS id FROM meters`.execute(
    db,
  );
  const meterMerge = await mergeByKey(
    db,
    'meters',
    'meter_key',
    'meter_id',
    meters.rows.map((r) => ({ key: Number(r.key), group: normaliseKey(r.id), id: r.id })),
  );
  const resources = await sql<{ key: number; entitlement: number; uri: string }>`
    SELECT resource_key AS key, entitlement_key AS entitlement, uri FROM resources`.execute(db);
  const resourceMerge = await mergeByKey(
    db,
    'resources',
    'resource_key',
    'uri',
    resources.rows.map((r) => ({ key: Number(r.key), group: `${r.entitlement}|${normaliseKey(r.uri)}`, id: r.uri })),
  );
  if (meterMerge.size > 0 || resourceMerge.size > 0) {
    await rekeyBlocks(db, meterMerge, resourceMerge);
    await mergeAggregates(db, 'meter_usage', 'meter_key', meterMerge, true);
    await mergeAggregates(db, 'resource_usage', 'resource_key', resourceMerge, false);
  }
}

interface KeyedRow {
  readonly key: number;
  /** Rows with the same group are one identifier. */
  readonly group: string;
  readonly id: string;
}

/**
 * Merges each group's rows into its oldest (smallest key) and writes the normalised id;
 * returns merged key → surviving key.
 */
async function mergeByKey(
  db: Kysely<unknown>,
  table: string,
  keyColumn: string,
  idColumn: string,
  rows: readonly KeyedRow[],
): Promise<Map<number, number>> {
  const groups = new Map<string, KeyedRow[]>();
  for (const row of rows) {
    const group = groups.get(row.group);
    if (group) group.push(row);
    else groups.set(row.group, [row]);
  }
  const merged = new Map<number, number>();
  const renamed: { key: number; id: string }[] = [];
  for (const members of groups.values()) {
    members.sort((a, b) => a.key - b.key);
    const survivor = members[0]!;
    for (const m of members.slice(1)) merged.set(m.key, survivor.key);
    const id = normaliseKey(survivor.id);
    if (id !== survivor.id) renamed.push({ key: survivor.key, id });
  }
  // The merged rows go first, so that no normalised id meets its twin in the unique index.
  for (const key of merged.keys()) {
    await sql`DELETE FROM ${sql.table(table)} WHERE ${sql.ref(keyColumn)} = ${key}`.execute(db);
  }
  for (const { key, id } of renamed) {
    await sql`UPDATE ${sql.table(table)} SET ${sql.ref(idColumn)} = ${id} WHERE ${sql.ref(keyColumn)} = ${key}`.execute(
      db,
    );
  }
  return merged;
}

/** Rewrites the int32 meter and resource keys of every line block that names a merged one. */
async function rekeyBlocks(
  db: Kysely<unknown>,
  meters: ReadonlyMap<number, number>,
  resources: ReadonlyMap<number, number>,
): Promise<void> {
  const remap = (blob: Buffer, merged: ReadonlyMap<number, number>): Buffer | undefined => {
    if (merged.size === 0) return undefined;
    const keys = new Int32Array(blob.length / 4);
    Buffer.from(keys.buffer).set(blob);
    let changed = false;
    for (let i = 0; i < keys.length; i++) {
      const to = merged.get(keys[i]!);
      if (to !== undefined) {
        keys[i] = to;
        changed = true;
      }
    }
    return changed ? Buffer.from(keys.buffer) : undefined;
  };
  let after = 0;
  for (;;) {
    const { rows } = await sql<{ block_key: number; meters: Buffer; resources: Buffer }>`
      SELECT block_key, meters, resources FROM line_blocks WHERE block_key > ${after} ORDER BY block_key LIMIT 100`.execute(
      db,
    );
    if (rows.length === 0) return;
    for (const row of rows) {
      const m = remap(row.meters, meters);
      const r = remap(row.resources, resources);
      if (m) await sql`UPDATE line_blocks SET meters = ${m} WHERE block_key = ${row.block_key}`.execute(db);
      if (r) await sql`UPDATE line_blocks SET resources = ${r} WHERE block_key = ${row.block_key}`.execute(db);
      after = Number(row.block_key);
    }
  }
}

/** Re-keys an aggregate table's rows of merged keys, summing rows that meet, exactly. */
async function mergeAggregates(
  db: Kysely<unknown>,
  table: 'meter_usage' | 'resource_usage',
  keyColumn: string,
  merged: ReadonlyMap<number, number>,
  withQuantity: boolean,
): Promise<void> {
  if (merged.size === 0) return;
  const affected = [...new Set([...merged.keys(), ...merged.values()])];
  const values = withQuantity ? ['quantity', 'billing_total', 'usd_total'] : ['billing_total', 'usd_total'];
  const { rows } = await sql<Record<string, string | number>>`
    SELECT partner_key, period, subscription_key, ${sql.ref(keyColumn)} AS dim, ${sql.join(values.map((v) => sql.ref(v)))}, last_modified
    FROM ${sql.table(table)} WHERE ${sql.ref(keyColumn)} IN (${sql.join(affected)})`.execute(db);
  const sums = new Map<string, { row: Record<string, string | number>; dim: number }>();
  for (const row of rows) {
    const dim = merged.get(Number(row.dim)) ?? Number(row.dim);
    const name = `${row.partner_key}|${row.period}|${row.subscription_key}|${dim}`;
    const sum = sums.get(name);
    if (!sum) {
      sums.set(name, { row: { ...row }, dim });
      continue;
    }
    for (const v of values) {
      sum.row[v] = formatDecimal(add(parseDecimal(String(sum.row[v]))!, parseDecimal(String(row[v]))!));
    }
    if (String(row.last_modified) > String(sum.row.last_modified)) sum.row.last_modified = row.last_modified!;
  }
  await sql`DELETE FROM ${sql.table(table)} WHERE ${sql.ref(keyColumn)} IN (${sql.join(affected)})`.execute(db);
  for (const { row, dim } of sums.values()) {
    await sql`INSERT INTO ${sql.table(table)} (partner_key, period, subscription_key, ${sql.ref(keyColumn)}, ${sql.join(values.map((v) => sql.ref(v)))}, last_modified)
      VALUES (${row.partner_key}, ${row.period}, ${row.subscription_key}, ${dim}, ${sql.join(values.map((v) => String(row[v])))}, ${row.last_modified})`.execute(
      db,
    );
  }
}
