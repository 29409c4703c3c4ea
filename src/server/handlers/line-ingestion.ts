import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiErrors } from '../../contract/api-errors.js';
import { MAX_INGESTED_ITEMS } from '../../contract/resources.js';
import { ImportError, importFile } from '../../ingest/importer.js';
import { LineItemsError, lineItemsCsv, parseLineItems } from '../../ingest/json-line-items.js';
import type { OperationHandler } from '../operation-routes.js';

/**
 * POST /v1/partnerusage/lineitems (our extension): line items as JSON or NDJSON, imported through
 * the same importer as a file — atomic per request (all or nothing), idempotent by the line
 * identity the importer already uses (sending them again replaces, never adds), alerts evaluated
 * in the import's transaction. Needs the PartnerUsage.Ingest role (app) or scope (user).
 */
export const postLineItems: OperationHandler<'ingestLineItems'> = async ({ caller, req }, deps) => {
  if (!caller.canIngest) throw apiErrors.ingestNotAllowed();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const format =
    type === 'application/json'
      ? 'json'
      : type === 'application/x-ndjson' || type === 'application/jsonl'
        ? 'ndjson'
        : undefined;
  if (!format) {
    throw apiErrors.invalidBody(
      'Send line items as application/json (an array) or application/x-ndjson (an object a line).',
    );
  }
  let csv: string;
  let count: number;
  try {
    const items = parseLineItems(String(req.body ?? ''), format);
    if (items.length === 0) throw new LineItemsError(undefined, 'the body holds no line items');
    if (items.length > MAX_INGESTED_ITEMS) throw apiErrors.tooManyItems(MAX_INGESTED_ITEMS);
    count = items.length;
    csv = lineItemsCsv(items, caller.partnerTenantId);
  } catch (error) {
    if (error instanceof LineItemsError)
      throw apiErrors.invalidBody(`The line items cannot be read: ${error.message}.`);
    throw error;
  }
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'partner-usage-ingest-'));
  try {
    const file = path.join(dir, 'lineitems.csv');
    await fs.promises.writeFile(file, csv);
    const summary = await importFile(deps.store, file);
    return {
      resource: {
        lines: summary.lines,
        replaced: summary.replaced,
        customers: summary.customers,
        periods: summary.periods,
        alerts: summary.alerts,
      },
      cache: false,
    };
  } catch (error) {
    // Item n is the file's line n + 1 (after the header): the refusal names the item and field.
    if (error instanceof ImportError) {
      const reason = error.message.replace(/^.*?: (line \d+, )?/, '').replace(/^column /, 'field ');
      const where = error.line === undefined ? '' : `item ${error.line - 1} of ${count}: `;
      throw apiErrors.invalidBody(`Nothing was stored: ${where}${reason}`);
    }
    throw error;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
};
