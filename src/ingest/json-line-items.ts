import { JsonDecimal, parseExact, stringifyExact } from '../contract/exact-json.js';
import { csvField } from '../domain/csv-field.js';
import { columnsOf, DAILY_RATED_COLUMNS } from '../domain/line-schema.js';

/**
 * Line items sent as JSON (issue #15's HTTP ingestion, and what `sync` downloads): each column's
 * names in the line schema — the reconciliation file's, Graph's blobs' and the older line-item
 * API's (`resellerMpnId`, `unitOfMeasure`, `rateOfPartnerEarnedCredit`…) — matched without regard
 * to case (`ResourceURI`/`resourceUri`, `BenefitID`/`BenefitId`). Numbers keep every digit (parsed
 * as exact decimals).
 */
const COLUMN_OF = new Map<string, string>(
  columnsOf('daily-rated').flatMap((c) =>
    [c.csv, c.graph, c.v1]
      .filter((n): n is string => n !== null)
      .map((n): [string, string] => [n.toLowerCase(), c.csv!]),
  ),
);

/** A body or an item that cannot be read: names the item (1-based) where there is one. */
export class LineItemsError extends Error {
  constructor(
    readonly item: number | undefined,
    message: string,
  ) {
    super(item === undefined ? message : `item ${item}: ${message}`);
    this.name = 'LineItemsError';
  }
}

function parse(text: string, item: number | undefined): unknown {
  try {
    return parseExact(text);
  } catch (error) {
    throw new LineItemsError(item, `not valid JSON (${(error as Error).message})`);
  }
}

/**
 * The items of a body: NDJSON (an object a line, blank lines skipped), or JSON — an array of
 * objects, or an object holding one under `items` or `value` (an OData page).
 */
export function parseLineItems(body: string, format: 'json' | 'ndjson'): unknown[] {
  if (format === 'ndjson') {
    const items: unknown[] = [];
    for (const line of body.split('\n')) {
      if (line.trim() !== '') items.push(parse(line, items.length + 1));
    }
    return items;
  }
  const parsed = parse(body, undefined);
  if (Array.isArray(parsed)) return parsed;
  const wrapped = parsed as { items?: unknown; value?: unknown } | null;
  const list = wrapped?.items ?? wrapped?.value;
  if (Array.isArray(list)) return list;
  throw new LineItemsError(undefined, 'the body is neither an array of line items nor an object with "items"');
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof JsonDecimal) return value.text;
  if (typeof value === 'object') return stringifyExact(value); // Tags or AdditionalInfo sent as objects
  return String(value);
}

/** The header of the file line items are written to: the daily-rated columns. */
export const LINE_ITEMS_HEADER = DAILY_RATED_COLUMNS.join(',');

/**
 * One item as a line of a daily-rated reconciliation file (item `n`, 1-based, for errors). Every
 * item is the partner's own: a missing PartnerId is the partner's, another one is refused.
 * Unknown fields are ignored, as unknown columns of a file are.
 */
export function lineItemRow(item: unknown, n: number, partnerTenantId: string): string {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new LineItemsError(n, 'a line item is a JSON object');
  }
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(item)) {
    const column = COLUMN_OF.get(key.toLowerCase());
    if (column) values.set(column, text(value));
  }
  const partner = values.get('PartnerId') ?? '';
  if (partner === '') values.set('PartnerId', partnerTenantId);
  else if (partner.toLowerCase() !== partnerTenantId.toLowerCase()) {
    throw new LineItemsError(n, `PartnerId ${partner} is not the partner of the token (${partnerTenantId})`);
  }
  return DAILY_RATED_COLUMNS.map((c) => csvField(values.get(c) ?? '')).join(',');
}

/** The items as a daily-rated reconciliation file for the importer: a header, then item n on line n + 1. */
export function lineItemsCsv(items: readonly unknown[], partnerTenantId: string): string {
  const lines = [LINE_ITEMS_HEADER, ...items.map((item, i) => lineItemRow(item, i + 1, partnerTenantId))];
  return lines.join('\n') + '\n';
}
