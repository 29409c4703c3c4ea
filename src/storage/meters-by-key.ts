import type { Kysely } from 'kysely';
import type { MeterInfo } from '../domain/usage-model.js';
import type { Database } from './schema.js';

/** Meter keys a query asks for: a period's lines name thousands of meters, a query binds each key. */
const KEYS_PER_QUERY = 500;

/** Adds to `meters` every meter of `keys` it does not hold yet, read from the meters table. */
export async function loadMeters(
  db: Kysely<Database>,
  meters: Map<number, MeterInfo>,
  keys: Iterable<number>,
): Promise<void> {
  const missing = [...new Set(keys)].filter((k) => !meters.has(k));
  for (let i = 0; i < missing.length; i += KEYS_PER_QUERY) {
    const rows = await db
      .selectFrom('meters')
      .select(['meter_key', 'meter_id', 'name', 'category', 'subcategory', 'region', 'unit'])
      .where('meter_key', 'in', missing.slice(i, i + KEYS_PER_QUERY))
      .execute();
    for (const m of rows) {
      meters.set(m.meter_key, {
        meterId: m.meter_id,
        name: m.name,
        category: m.category,
        subcategory: m.subcategory,
        region: m.region,
        unit: m.unit,
      });
    }
  }
}
