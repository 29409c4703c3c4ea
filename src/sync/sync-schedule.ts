import { Cron } from 'croner';
import type { Store } from '../storage/store.js';
import { syncStoredPartners, type StoredSyncResult } from './sync-stored.js';

/** Throws a RangeError naming the problem when `expression` is not a cron expression. */
export function validateCronExpression(expression: string): void {
  try {
    new Cron(expression, { paused: true }).stop();
  } catch (error) {
    throw new RangeError(
      `the sync schedule ${JSON.stringify(expression)} is not a cron expression: ${(error as Error).message}`,
    );
  }
}

export interface SyncSchedule {
  /** When the next run starts, if any. */
  readonly next: Date | null;
  stop(): void;
}

/**
 * `serve`'s schedule (PARTNER_USAGE_SYNC_SCHEDULE / --sync-schedule, a cron expression in UTC, off
 * by default): syncs the current period of every partner with stored credentials. A run still
 * going when the next is due is not started twice. Several nodes on one database may each run
 * it: a snapshot whose eTag is already stored is skipped, and imports replace rather than add.
 */
export function startSyncSchedule(
  store: Store,
  key: Buffer,
  expression: string,
  log: { info: (o: object, m: string) => void; error: (o: object, m: string) => void },
): SyncSchedule {
  const job = new Cron(expression, { timezone: 'UTC', protect: true }, async () => {
    const started = performance.now();
    try {
      const results: StoredSyncResult[] = await syncStoredPartners(store, key, { period: 'current' });
      for (const { partnerTenantId, results: snapshots } of results) {
        const failed = snapshots.filter((s) => s.error);
        log.info(
          {
            partner: partnerTenantId,
            imported: snapshots.filter((s) => s.status === 'imported').map((s) => s.snapshot),
            unchanged: snapshots.filter((s) => s.status === 'unchanged').length,
            lines: snapshots.reduce((n, s) => n + (s.status === 'imported' ? s.lines : 0), 0),
            failed: failed.map((s) => s.error!.message),
            seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
          },
          'scheduled sync',
        );
      }
    } catch (error) {
      log.error({ err: error }, 'scheduled sync failed');
    }
  });
  return {
    get next() {
      return job.nextRun();
    },
    stop: () => job.stop(),
  };
}
