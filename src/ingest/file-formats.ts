import {
  DAILY_RATED_COLUMNS,
  DAILY_RATED_REQUIRED,
  LEGACY_COLUMNS,
  LEGACY_REQUIRED,
  type DailyRatedColumn,
  type LegacyColumn,
} from '../domain/line-schema.js';

/**
 * The two reconciliation file layouts Partner Center publishes (their columns: the line schema,
 * src/domain/line-schema.ts) and how a header is recognised as one of them. Names are matched case-insensitively, in
 * any order; columns the importer does not know are ignored.
 */

/** Column name → index in the file, -1 when absent. */
export type ColumnIndex<C extends string> = Readonly<Record<C, number>>;

export class HeaderError extends Error {
  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super(message);
    this.name = 'HeaderError';
  }
}

function indexColumns<C extends string>(header: readonly string[], known: readonly C[]): ColumnIndex<C> {
  const positions = new Map<string, number>();
  header.forEach((name, i) => {
    const key = name.trim().toLowerCase();
    if (!positions.has(key)) positions.set(key, i);
  });
  return Object.fromEntries(known.map((c) => [c, positions.get(c.toLowerCase()) ?? -1])) as Record<C, number>;
}

export type RecognisedHeader =
  | { format: 'daily-rated'; columns: ColumnIndex<DailyRatedColumn>; names: readonly string[] }
  | { format: 'legacy'; columns: ColumnIndex<LegacyColumn>; names: readonly string[] };

/**
 * Recognises the layout from the header's names. The legacy file is told apart by the columns
 * only it has (ResourceGuid, PretaxCharges); a header that is neither names what is missing.
 */
export function recogniseHeader(header: readonly string[]): RecognisedHeader {
  const lower = new Set(header.map((h) => h.trim().toLowerCase()));
  const looksLegacy = lower.has('resourceguid') || lower.has('pretaxcharges');
  const required: readonly string[] = looksLegacy ? LEGACY_REQUIRED : DAILY_RATED_REQUIRED;
  const missing = required.filter((c) => !lower.has(c.toLowerCase()));
  if (missing.length > 0) {
    const kind = looksLegacy ? 'legacy usage-based' : 'daily rated usage';
    throw new HeaderError(
      `the header lacks required ${kind} column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`,
      missing,
    );
  }
  return looksLegacy
    ? { format: 'legacy', columns: indexColumns(header, LEGACY_COLUMNS), names: header }
    : { format: 'daily-rated', columns: indexColumns(header, DAILY_RATED_COLUMNS), names: header };
}
