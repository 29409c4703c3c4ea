import {
  LINE_COLUMNS,
  type DailyRatedColumn,
  type LegacyColumn,
  type LineColumn,
  type LineFormat,
} from '../domain/line-schema.js';
import type { StoredLineRow } from '../storage/line-reader.js';
import { reconciliationRow } from './reconciliation-row.js';

const all: readonly LineColumn[] = LINE_COLUMNS;

/** The line schema's columns by their daily-rated name. */
export const COLUMN = Object.fromEntries(all.filter((c) => c.csv !== null).map((c) => [c.csv, c])) as Record<
  DailyRatedColumn,
  LineColumn
>;

/** The line schema's columns by their legacy name. */
export const LEGACY_COLUMN = Object.fromEntries(
  all.filter((c) => c.legacy !== null).map((c) => [c.legacy!.name, c]),
) as Record<LegacyColumn, LineColumn>;

/** The layout a stored line came in (for a line stored before migration 0011, its customer's plan says). */
export const lineFormat = (row: StoredLineRow): LineFormat =>
  row.fields?.format ?? (row.owner.customer.plan === 'legacy' ? 'legacy' : 'daily-rated');

// A line stored before migration 0011 keeps only its dimensions and amounts: its columns are
// filled from them, as exports did then (reconciliation-row.ts), once a line.
let lastRow: StoredLineRow | undefined;
let lastFallback: Record<DailyRatedColumn, string> | undefined;

/**
 * The line's value of `column` as the file wrote it; '' where its layout has no such column (a
 * legacy line's ProductId) or the file left it empty.
 */
export function lineValue(row: StoredLineRow, column: LineColumn): string {
  if (row.fields) return row.fields.get(row.index, column);
  if (column.csv === null) return '';
  if (lastRow !== row) {
    lastRow = row;
    lastFallback = reconciliationRow(row);
  }
  return lastFallback![column.csv as DailyRatedColumn];
}
