import { apiErrors } from '../../contract/api-errors.js';
import type { EXPORT_FILES } from '../../contract/parameters.js';
import { ExportError, prepareExport, type ExportEncoding, type ExportFormat } from '../../export/write-export.js';
import { customerFocusLayout } from '../../pricing/customer-focus.js';
import { resolvePeriod } from '../collection-query.js';
import type { OperationHandler } from '../operation-routes.js';

/** What each file of the route is: FOCUS or the reconciliation file (`lineitems`), in CSV or Parquet. */
const FILES: Readonly<Record<(typeof EXPORT_FILES)[number], { format: ExportFormat; encoding: ExportEncoding }>> = {
  'focus.csv': { format: 'focus', encoding: 'csv' },
  'focus.parquet': { format: 'focus', encoding: 'parquet' },
  'lineitems.csv': { format: 'reconciliation', encoding: 'csv' },
  'lineitems.parquet': { format: 'reconciliation', encoding: 'parquet' },
};

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', parquet: 'application/vnd.apache.parquet' } as const;

/**
 * GET /v1/partnerusage/exports/{file} (our extension; the dashboard's download): the caller's
 * lines of the period, streamed as FOCUS 1.2 or as the reconciliation file, CSV or Parquet.
 */
export const getExport: OperationHandler<'getExport'> = async ({ caller, values }, deps) => {
  const { format, encoding } = FILES[values.file];
  const period = resolvePeriod(values.period);
  const customer = values.customer;
  let prepared;
  try {
    prepared = await prepareExport(deps.store, {
      partnerTenantId: caller.partnerTenantId,
      periods: [period],
      customerTenantId: customer,
      format,
      encoding,
      // A grantee's view holds its lines at their prices already: FOCUS from the customer's side.
      ...(caller.grant ? { focusLayout: customerFocusLayout([]) } : {}),
    });
  } catch (error) {
    if (error instanceof ExportError) throw apiErrors.exportNotPossible(error.message);
    throw error;
  }
  return {
    download: {
      contentType: CONTENT_TYPES[encoding],
      filename: `${values.file.split('.')[0]}-${period}${customer ? `-${customer}` : ''}.${encoding}`,
      write: (out) => prepared.write(out),
    },
  };
};
