import type { Writable } from 'node:stream';
import type { StoredLineRow } from '../storage/line-reader.js';
import type { Store } from '../storage/store.js';
import type { LineFormat } from '../domain/line-schema.js';
import {
  FOCUS_LAYOUT,
  LEGACY_RECONCILIATION_LAYOUT,
  RECONCILIATION_LAYOUT,
  decimalPositions,
  type ExportLayout,
} from './export-layout.js';
import { lineFormat } from './line-values.js';
import type { DecimalPrecision } from './parquet-encoder.js';
import { csvSink, decimalDigits, parquetSink, type RowSink } from './row-sinks.js';

/**
 * FOCUS 1.2, or the reconciliation file's own layout (Partner Center's columns). Users type the
 * latter as `--format csv` (the CLI) and `lineitems` (the route's file name); it is `reconciliation`
 * everywhere else.
 */
export type ExportFormat = 'focus' | 'reconciliation';
export type ExportEncoding = 'csv' | 'parquet';

export interface ExportRequest {
  readonly partnerTenantId: string;
  readonly periods: readonly string[];
  readonly customerTenantId?: string | undefined;
  /** FOCUS 1.2 columns, or Partner Center's reconciliation file's. */
  readonly format: ExportFormat;
  readonly encoding: ExportEncoding;
  /** FOCUS in another layout than the partner's (the customer's side, src/pricing/customer-focus.ts). */
  readonly focusLayout?: ExportLayout;
  readonly onProgress?: (rows: number) => void;
}

/** An export that cannot be written as asked (nothing was written). */
export class ExportError extends Error {
  override name = 'ExportError';
}

/** The layout each kind of line is written in: FOCUS for every line; the reconciliation file's own otherwise. */
const layoutsOf = (request: ExportRequest): Record<LineFormat, ExportLayout> => {
  const focus = request.focusLayout ?? FOCUS_LAYOUT;
  return request.format === 'focus'
    ? { 'daily-rated': focus, legacy: focus }
    : { 'daily-rated': RECONCILIATION_LAYOUT, legacy: LEGACY_RECONCILIATION_LAYOUT };
};

/** The request's lines, a stored block at a time (one asynchronous step a block, not a line). */
async function* blocksOf(store: Store, request: ExportRequest): AsyncGenerator<StoredLineRow[]> {
  for (const period of request.periods)
    yield* store.lines.blocks(request.partnerTenantId, period, { customerTenantId: request.customerTenantId });
}

/** Per decimal column of a layout, the DECIMAL(p, s) it needs (undefined for other columns). */
type Precisions = (DecimalPrecision | undefined)[];

/**
 * The DECIMAL(p, s) each Parquet decimal column needs to hold these lines' values exactly; an
 * ExportError past 38 digits.
 */
async function parquetDecimals(
  store: Store,
  request: ExportRequest,
  layouts: Record<LineFormat, ExportLayout>,
): Promise<Record<LineFormat, Precisions>> {
  const digits = new Map<ExportLayout, { whole: number; fraction: number }[]>();
  for (const layout of new Set(Object.values(layouts)))
    digits.set(
      layout,
      layout.columns.map(() => ({ whole: 1, fraction: 0 })),
    );
  // Where each of a layout's decimals(row) values goes among its columns.
  const decimalColumns = new Map([...digits.keys()].map((layout) => [layout, decimalPositions(layout.columns)]));
  const count = (layout: ExportLayout, row: StoredLineRow) => {
    const seen = digits.get(layout)!;
    const values = layout.decimals(row);
    const at = decimalColumns.get(layout)!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      const d = decimalDigits(v);
      const s = seen[at[i]!]!;
      if (d.whole > s.whole) s.whole = d.whole;
      if (d.fraction > s.fraction) s.fraction = d.fraction;
    }
  };
  for await (const lines of blocksOf(store, request))
    for (const row of lines) {
      const format = lineFormat(row);
      count(layouts[format], row);
      // Without a file of their own (one stream: the export route), legacy lines are written in the
      // daily-rated layout: its columns must hold their values too.
      if (format === 'legacy' && layouts.legacy !== layouts['daily-rated']) count(layouts['daily-rated'], row);
    }
  const precisions = (layout: ExportLayout): Precisions =>
    layout.columns.map((c, i) => {
      if (c.type !== 'decimal') return undefined;
      const { whole, fraction } = digits.get(layout)![i]!;
      if (whole + fraction > 38) {
        throw new ExportError(
          `${c.name} needs ${whole} digits before the point and ${fraction} after it, more than Parquet's DECIMAL(38) holds exactly: export as CSV`,
        );
      }
      return { precision: whole + fraction, scale: fraction };
    });
  return { 'daily-rated': precisions(layouts['daily-rated']), legacy: precisions(layouts.legacy) };
}

/** Where an export's lines go: legacy lines to `legacyOut` in the legacy file's layout, when given. */
export interface ExportTargets {
  readonly out?: Writable | undefined;
  readonly legacyOut?: Writable | undefined;
}

/** An export ready to write: its checks done (nothing written yet). */
export interface PreparedExport {
  write(out: Writable | ExportTargets): Promise<{ rows: number; legacyRows: number }>;
}

/**
 * Prepares the partner's stored lines of the periods (of one customer, when given) for writing:
 * Parquet first reads the lines for the decimal precision and scale each column needs to hold
 * every value exactly, and refuses here (an ExportError) what no DECIMAL(38) can hold.
 */
export async function prepareExport(store: Store, request: ExportRequest): Promise<PreparedExport> {
  const layouts = layoutsOf(request);
  const decimals = request.encoding === 'parquet' ? await parquetDecimals(store, request, layouts) : undefined;
  const sinkOf = (out: Writable, format: LineFormat): RowSink =>
    decimals
      ? parquetSink(out, { columns: layouts[format].columns, decimals: decimals[format] })
      : csvSink(out, layouts[format].columns);
  return {
    /**
     * Writes row by row from the store's blocks: memory holds a row group at most (Parquet), a
     * few thousand rows (CSV), never the export. Without a target for legacy lines, the
     * reconciliation file gives them in the daily-rated layout (the columns the two share).
     */
    async write(target) {
      const { out, legacyOut } = 'write' in target ? { out: target, legacyOut: undefined } : target;
      const separate = legacyOut !== undefined && request.format === 'reconciliation';
      const sinks: Partial<Record<LineFormat, RowSink>> = {};
      if (out) sinks['daily-rated'] = sinkOf(out, 'daily-rated');
      if (separate) sinks.legacy = sinkOf(legacyOut, 'legacy');
      let rows = 0;
      let legacyRows = 0;
      try {
        for await (const lines of blocksOf(store, request))
          for (const row of lines) {
            const format = separate ? lineFormat(row) : 'daily-rated';
            const sink = sinks[format];
            if (!sink) throw new ExportError(`a ${format} line has no file to go to`);
            const pending = sink.write((format === 'legacy' ? layouts.legacy : layouts['daily-rated']).values(row));
            if (pending) await pending;
            if (format === 'legacy') legacyRows++;
            if (++rows % 100_000 === 0) request.onProgress?.(rows);
          }
        for (const sink of Object.values(sinks)) await sink.end();
      } catch (error) {
        for (const sink of Object.values(sinks)) sink.abort();
        throw error;
      }
      return { rows, legacyRows };
    },
  };
}

/** prepareExport, then write. */
export async function writeExport(
  store: Store,
  request: ExportRequest,
  out: Writable | ExportTargets,
): Promise<{ rows: number; legacyRows: number }> {
  return (await prepareExport(store, request)).write(out);
}
