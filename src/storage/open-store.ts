import type { AlertEngine } from './alert-engine.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Where the embedded database lives unless --db or PARTNER_USAGE_DB says otherwise. */
export const DEFAULT_DATABASE = './data/partner-usage.db';

/** The database location in force: the explicit one, else PARTNER_USAGE_DB, else the default. */
export function resolveDatabase(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PARTNER_USAGE_DB?.trim();
  return explicit?.trim() || fromEnv || DEFAULT_DATABASE;
}

/**
 * The one place a database location picks its backend. `alerts`: the alert rules the store runs
 * inside the changes they judge (src/alerts' alertEngine; storage holds no rule of its own).
 */
export async function openStore(location: string, alerts: AlertEngine): Promise<Store> {
  // Loaded only when asked for: pg and its dependencies are ~4 MB of memory an SQLite user never needs.
  if (isPostgresUrl(location))
    return (await import('./postgres/postgres-store.js')).PostgresStore.open({ url: location, alerts });
  return SqliteStore.open({ file: location, alerts });
}

/** The location as it may be shown: a PostgreSQL URL without its password. */
export function displayLocation(location: string): string {
  if (location === ':memory:') return 'memory (kept until the process ends)';
  if (!isPostgresUrl(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'the PostgreSQL database';
  }
}

function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}
