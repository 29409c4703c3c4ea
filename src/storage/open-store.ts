import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Where the embedded database lives unless --db or PARTNER_USAGE_DB says otherwise. */
export const DEFAULT_DATABASE = './data/partner-usage.db';

/** The database location in force: the explicit one, else PARTNER_USAGE_DB, else the default. */
export function resolveDatabase(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PARTNER_USAGE_DB?.trim();
  return explicit?.trim() || fromEnv || DEFAULT_DATABASE;
}

/** The one place a database location picks its backend. */
export async function openStore(location: string): Promise<Store> {
  if (isPostgresUrl(location)) return PostgresStore.open({ url: location });
  return SqliteStore.open({ file: location });
}

function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}
