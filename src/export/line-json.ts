import { isoDateTime } from '../domain/field-syntax.js';
import { columnsOf, type LineColumn } from '../domain/line-schema.js';
import { plainDecimal } from '../money/decimal.js';
import type { StoredLineRow } from '../storage/line-reader.js';
import { COLUMN, lineValue } from './line-values.js';

export type AttributeSet = 'full' | 'basic';

/**
 * A column's value as JSON text with Microsoft's type (line-schema.ts): decimals and percentages
 * as JSON numbers with every digit, dates as ISO-8601 text, the rest as strings; `empty` where the
 * line has nothing.
 */
function json(row: StoredLineRow, column: LineColumn, empty: 'null' | 'text'): string {
  const value = lineValue(row, column);
  const typed = column.type === 'decimal' || column.type === 'percent' || column.type === 'datetime';
  if (typed ? value.trim() === '' : value === '') {
    return empty === 'null' || typed ? 'null' : '""';
  }
  switch (column.type) {
    case 'decimal':
    case 'percent':
      return plainDecimal(value.trim());
    case 'datetime':
      return JSON.stringify(isoDateTime(value) ?? value);
    default:
      return JSON.stringify(value);
  }
}

const GRAPH: readonly LineColumn[] = columnsOf('daily-rated').filter((c) => c.graph !== null);
const GRAPH_BASIC = GRAPH.filter((c) => c.basic);
const V1: readonly LineColumn[] = columnsOf('daily-rated').filter((c) => c.v1 !== null);

/**
 * One line of an export blob (gzip JSON Lines): the attribute table's PascalCase names, Microsoft's
 * types, null where the line has nothing. `basic` is Graph's 30-attribute set, `full` every column.
 * A legacy line gives the columns it shares with the daily-rated file (line-schema.ts).
 */
export function blobLine(row: StoredLineRow, attributes: AttributeSet): string {
  const parts: string[] = [];
  for (const c of attributes === 'basic' ? GRAPH_BASIC : GRAPH) parts.push(`"${c.graph}":${json(row, c, 'null')}`);
  return `{${parts.join(',')}}`;
}

/**
 * One `DailyRatedUsageLineItem` of `GET /v1/invoices/unbilled/lineitems`, as JSON text: the v1 names
 * (`resellerMpnId`, `unitOfMeasure`, `rateOfPartnerEarnedCredit`…), numbers as numbers, text empty
 * as "" (as Microsoft's examples show it), and the fields only this API has.
 */
export function v1LineItem(row: StoredLineRow): string {
  const parts: string[] = [];
  for (const c of V1) parts.push(`"${c.v1}":${json(row, c, 'text')}`);
  const pec = Number(lineValue(row, COLUMN.PartnerEarnedCreditPercentage).trim() || 0);
  parts.push(
    `"hasPartnerEarnedCredit":${pec > 0}`,
    '"invoiceLineItemType":"usage_line_items"',
    '"billingProvider":"marketplace"',
    '"attributes":{"objectType":"DailyRatedUsageLineItem"}',
  );
  return `{${parts.join(',')}}`;
}
