import { sql, type Kysely, type Transaction } from 'kysely';
import type { ArchivedPeriodsTable, Database } from './schema.js';
import { partnerKeyOf } from './partner-scope.js';

/** A partner's month whose lines were archived to a file (`partner-usage archive`); its totals are kept. */
export interface ArchivedPeriod {
  readonly period: string;
  readonly archivedAt: string;
  readonly file: string;
  /** The lines archived; null while the archive is being written (the period refuses imports already). */
  readonly lines: number | null;
  /** The snapshot tag its lines had (null while being archived): the price bases kept for them stay in use. */
  readonly tag: string | null;
}

/**
 * What needs a line of an archived period — a new import, an export, the line-item API,
 * utilization, a subscription's days — is refused with this: the lines are in the file, not here.
 */
export class ArchivedPeriodError extends Error {
  override name = 'ArchivedPeriodError';
  constructor(readonly archived: ArchivedPeriod) {
    super(
      archived.lines === null
        ? `the lines of ${archived.period} are being archived to ${archived.file}: they can no longer be imported or read here`
        : `the lines of ${archived.period} were archived to ${archived.file} on ${archived.archivedAt.slice(0, 10)}: ` +
            'their totals are kept, the lines themselves are in that file',
    );
  }
}

const archivedOf = (r: Omit<ArchivedPeriodsTable, 'partner_key'>): ArchivedPeriod => ({
  period: r.period,
  archivedAt: r.archived_at,
  file: r.file,
  lines: r.lines,
  tag: r.tag,
});

/** The months held other lines than their archive got (nothing is removed then). */
export class ArchiveMismatch extends Error {
  override name = 'ArchiveMismatch';
}

/** The archive row of a partner's period, if it has one. */
export async function archivedPeriod(
  db: Kysely<Database>,
  partnerKey: number,
  period: string,
): Promise<ArchivedPeriod | undefined> {
  const row = await db
    .selectFrom('archived_periods')
    .select(['period', 'archived_at', 'file', 'lines', 'tag'])
    .where((eb) => eb.and({ partner_key: partnerKey, period }))
    .executeTakeFirst();
  return row && archivedOf(row);
}

/**
 * Throws ArchivedPeriodError when the partner's period is archived: a reader's check (while the
 * archive is being written its lines are still here, and read for it); `writing` also refuses a
 * period being archived — an import's check.
 */
export async function refuseArchived(
  db: Kysely<Database>,
  partnerKey: number,
  period: string,
  writing = false,
): Promise<void> {
  const archived = await archivedPeriod(db, partnerKey, period);
  if (archived && (writing || archived.lines !== null)) throw new ArchivedPeriodError(archived);
}

/**
 * Archiving a partner's months, in two steps around writing their lines to a file (the caller's):
 * `begin` marks them, so that from then on no import adds to them while the file is written (an
 * import already writing one is waited for); `finish` removes their lines and keeps their totals;
 * `abandon` unmarks them when the file could not be written. A mark left by a run that stopped
 * (lines still null) is taken up by the next `begin`.
 */
export class PeriodArchive {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: 'sqlite' | 'postgres',
    private readonly noteChange: () => Promise<void>,
  ) {}

  /** The partner's archived months, oldest first; none for a partner the database does not hold. */
  async list(partnerTenantId: string): Promise<ArchivedPeriod[]> {
    const rows = await this.db
      .selectFrom('archived_periods as a')
      .innerJoin('partners as p', 'p.partner_key', 'a.partner_key')
      .select(['a.period', 'a.archived_at', 'a.file', 'a.lines', 'a.tag'])
      .where('p.tenant_id', '=', partnerTenantId.toLowerCase())
      .orderBy('a.period')
      .execute();
    return rows.map(archivedOf);
  }

  /**
   * Marks the partner's months before `before` (YYYY-MM) that still hold lines as being archived to
   * `file`, and gives them, oldest first (none: nothing to archive). NotFound for no such partner.
   */
  async begin(partnerTenantId: string, before: string, file: string): Promise<string[]> {
    return this.db.transaction().execute(async (trx) => {
      const partnerKey = await partnerKeyOf(trx, partnerTenantId);
      const rows = await trx
        .selectFrom('line_blocks')
        .select('period')
        .distinct()
        .where('partner_key', '=', partnerKey)
        .where('period', '<', before)
        .orderBy('period')
        .execute();
      const periods = rows.map((r) => r.period);
      const at = new Date().toISOString();
      for (const period of periods) {
        // The lock an import of the period holds until it commits (postgres-import-writer.ts).
        if (this.kind === 'postgres')
          await sql`SELECT pg_advisory_xact_lock(${partnerKey}::int, hashtext(${period}))`.execute(trx);
        await trx
          .insertInto('archived_periods')
          .values({ partner_key: partnerKey, period, archived_at: at, file, tag: null, lines: null })
          .onConflict((oc) => oc.columns(['partner_key', 'period']).doUpdateSet({ archived_at: at, file, lines: null }))
          .execute();
      }
      return periods;
    });
  }

  /**
   * Removes the marked months' lines (and the dictionaries no block needs any more), keeping their
   * totals and, per month, the tag its lines had; gives the lines removed per month. `written`: the
   * lines the file holds — when the months hold another count, nothing is removed (an Error).
   */
  async finish(
    partnerTenantId: string,
    tags: ReadonlyMap<string, string>,
    written: number,
  ): Promise<Map<string, number>> {
    const removed = await this.db.transaction().execute(async (trx) => {
      const partnerKey = await partnerKeyOf(trx, partnerTenantId);
      const removed = new Map<string, number>();
      for (const [period, tag] of tags) {
        const lines = await currentLines(trx, partnerKey, period);
        await trx
          .deleteFrom('line_blocks')
          .where((eb) => eb.and({ partner_key: partnerKey, period }))
          .execute();
        await trx
          .updateTable('archived_periods')
          .set({ lines, tag, archived_at: new Date().toISOString() })
          .where((eb) => eb.and({ partner_key: partnerKey, period }))
          .execute();
        removed.set(period, lines);
      }
      const total = [...removed.values()].reduce((a, b) => a + b, 0);
      if (total !== written) {
        throw new ArchiveMismatch(`the months hold ${total} lines but the archive ${written}: nothing was removed`);
      }
      await trx
        .deleteFrom('line_dictionaries')
        .where('batch_id', 'not in', trx.selectFrom('line_blocks').select('batch_id'))
        .execute();
      return removed;
    });
    await this.noteChange();
    return removed;
  }

  /** Unmarks months whose archive was not written (their lines were never removed). */
  async abandon(partnerTenantId: string, periods: readonly string[]): Promise<void> {
    if (periods.length === 0) return;
    const partnerKey = await partnerKeyOf(this.db, partnerTenantId);
    await this.db
      .deleteFrom('archived_periods')
      .where('partner_key', '=', partnerKey)
      .where('period', 'in', periods)
      .where('lines', 'is', null)
      .execute();
  }
}

/** The lines of a partner's month a later import has not replaced. */
async function currentLines(trx: Transaction<Database>, partnerKey: number, period: string): Promise<number> {
  const blocks = await trx
    .selectFrom('line_blocks')
    .select(['line_count', 'replaced'])
    .where((eb) => eb.and({ partner_key: partnerKey, period }))
    .execute();
  let lines = 0;
  for (const b of blocks) {
    lines += Number(b.line_count);
    if (b.replaced) for (const byte of b.replaced) for (let x = byte; x; x &= x - 1) lines--;
  }
  return lines;
}
