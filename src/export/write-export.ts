import type { Writable } from 'node:stream';
import type { Store } from '../storage/store.js';
import { FOCUS_LAYOUT, RECONCILIATION_LAYOUT, type ExportLayout } from './export-layout.js';
import { csvSink, decimalDigits, parquetSink, type RowSink } from './row-sinks.js';

export type ExportFormat = 'focus' | 'csv';
export type ExportEncoding = 'csv' | 'parquet';

export interface ExportRequest {
  readonly partnerTenantId: string;
  readonly periods: readonly string[];
  readonly customerTenantId?: string | undefined;
  /** FOCUS 1.2 columns, or Partner Center's reconciliation file's. */
  readonly format: ExportFormat;
  readonly encoding: ExportEncoding;
  readonly onProgress?: (rows: number) => void;
}

/** An export that cannot be written as asked (nothing was written). */
export class ExportError extends Error {
  override name = 'ExportError';
}

const layoutOf = (format: ExportFormat): ExportLayout => (format === 'focus' ? FOCUS_LAYOUT : RECONCILIATION_LAYOUT);

/** The DECIMAL(p, s) Parquet columns need to hold these lines' amounts exactly; an ExportError past 38 digits. */
async function parquetDecimal(store: Store, request: ExportRequest): Promise<{ precision: number; scale: number }> {
  let whole = 1;
  let fraction = 0;
  for (const period of request.periods) {
    for await (const row of store.lines.rows(request.partnerTenantId, period, {
      customerTenantId: request.customerTenantId,
    })) {
      for (const amount of [row.quantity, row.billing, row.usd]) {
        const d = decimalDigits(amount);
        if (d.whole > whole) whole = d.whole;
        if (d.fraction > fraction) fraction = d.fraction;
      }
    }
  }
  if (whole + fraction > 38) {
    throw new ExportError(
      `these lines need ${whole} digits before the point and ${fraction} after it, more than Parquet's DECIMAL(38) holds exactly: export them as CSV`,
    );
  }
  return { precision: whole + fraction, scale: fraction };
}

/** An export ready to write: its checks done (nothing written yet). */
export interface PreparedExport {
  write(out: Writable): Promise<{ rows: number }>;
}

/**
 * Prepares the partner's stored lines of the periods (of one customer, when given) for writing:
 * Parquet first reads the lines for the decimal precision and scale its columns need to hold
 * every amount exactly, and refuses here (an ExportError) what no DECIMAL(38) can hold.
 */
export async function prepareExport(store: Store, request: ExportRequest): Promise<PreparedExport> {
  const layout = layoutOf(request.format);
  const decimal = request.encoding === 'parquet' ? await parquetDecimal(store, request) : undefined;
  return {
    /**
     * Writes row by row from the store's blocks: memory holds a row group at most (Parquet), a
     * few thousand rows (CSV), never the export.
     */
    async write(out) {
      const sink: RowSink = decimal ? parquetSink(out, layout.columns, decimal) : csvSink(out, layout.columns);
      let rows = 0;
      for (const period of request.periods) {
        for await (const row of store.lines.rows(request.partnerTenantId, period, {
          customerTenantId: request.customerTenantId,
        })) {
          await sink.write(layout.values(row));
          if (++rows % 100_000 === 0) request.onProgress?.(rows);
        }
      }
      await sink.end();
      return { rows };
    },
  };
}

/** prepareExport, then write to `out`. */
export async function writeExport(store: Store, request: ExportRequest, out: Writable): Promise<{ rows: number }> {
  return (await prepareExport(store, request)).write(out);
}
