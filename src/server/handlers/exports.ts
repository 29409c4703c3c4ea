import { apiErrors } from '../../contract/api-errors.js';
import type { EXPORT_FILES } from '../../contract/parameters.js';
import { currentBillingPeriod } from '../../domain/usage-model.js';
import { ExportError, prepareExport } from '../../export/write-export.js';
import type { OperationHandler } from '../operation-routes.js';

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', parquet: 'application/vnd.apache.parquet' } as const;

/**
 * GET /v1/partnerusage/exports/{file} (our extension; the dashboard's download): the caller's
 * lines of the period, streamed as FOCUS 1.2 or as the reconciliation file, CSV or Parquet.
 */
export const getExport: OperationHandler = async ({ caller, values }, deps) => {
  const file = values.file as (typeof EXPORT_FILES)[number];
  const [kind, encoding] = file.split('.') as ['focus' | 'lineitems', 'csv' | 'parquet'];
  const period = (values.period as string | undefined) ?? currentBillingPeriod();
  const customer = values.customer as string | undefined;
  let prepared;
  try {
    prepared = await prepareExport(deps.store, {
      partnerTenantId: caller.partnerTenantId,
      periods: [period],
      customerTenantId: customer,
      format: kind === 'focus' ? 'focus' : 'reconciliation',
      encoding,
    });
  } catch (error) {
    if (error instanceof ExportError) throw apiErrors.exportNotPossible(error.message);
    throw error;
  }
  return {
    download: {
      contentType: CONTENT_TYPES[encoding],
      filename: `${kind}-${period}${customer ? `-${customer}` : ''}.${encoding}`,
      write: (out) => prepared.write(out),
    },
  };
};
