import type { Migration, MigrationProvider } from 'kysely';
import * as usageStore from './2026-11-22-0001-usage-store.js';
import * as sharedState from './2026-11-22-0002-shared-state.js';
import * as entryHashedIdentities from './2026-11-22-0003-entry-hashed-identities.js';
import * as normalisedIdentifiers from './2026-12-01-0004-normalised-identifiers.js';
import * as dailyUsage from './2026-12-02-0005-daily-usage.js';
import * as partnerOnRecord from './2026-12-03-0006-partner-on-record.js';
import * as alerts from './2026-12-03-0007-alerts.js';
import * as meterAnomalyQueue from './2026-12-03-0008-meter-anomaly-queue.js';
import * as syncAndExports from './2026-12-04-0009-sync-and-exports.js';
import * as snapshotPeriods from './2026-12-06-0010-snapshot-periods.js';
import * as lineFields from './2026-12-06-0011-line-fields.js';
import * as priceRules from './2026-12-07-0012-price-rules.js';
import * as priceBases from './2026-12-07-0013-price-bases.js';
import * as accessGrants from './2026-12-07-0014-access-grants.js';
import * as archivedPeriods from './2026-12-07-0015-archived-periods.js';

/** Every migration, in order. Names sort by date; a released migration is never edited. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-22-0001-usage-store': usageStore,
  '2026-11-22-0002-shared-state': sharedState,
  '2026-11-22-0003-entry-hashed-identities': entryHashedIdentities,
  '2026-12-01-0004-normalised-identifiers': normalisedIdentifiers,
  '2026-12-02-0005-daily-usage': dailyUsage,
  '2026-12-03-0006-partner-on-record': partnerOnRecord,
  '2026-12-03-0007-alerts': alerts,
  '2026-12-03-0008-meter-anomaly-queue': meterAnomalyQueue,
  '2026-12-04-0009-sync-and-exports': syncAndExports,
  '2026-12-06-0010-snapshot-periods': snapshotPeriods,
  '2026-12-06-0011-line-fields': lineFields,
  '2026-12-07-0012-price-rules': priceRules,
  '2026-12-07-0013-price-bases': priceBases,
  '2026-12-07-0014-access-grants': accessGrants,
  '2026-12-07-0015-archived-periods': archivedPeriods,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
