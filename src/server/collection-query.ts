import type { OperationFastifyRequest, Query } from './operation-request.js';
import { apiErrors } from '../contract/api-errors.js';
import { period as periodParameter, size as sizeParameter } from '../contract/parameters.js';
import { currentBillingPeriod } from '../domain/usage-model.js';

export { MAX_PAGE_SIZE } from '../contract/parameters.js';

/** The query of a usage collection route, validated. */
export interface CollectionQuery {
  /** `period=YYYY-MM` (an extension); absent: the current UTC month, as in Partner Center. */
  readonly period: string | undefined;
  /** `size=N` (1–1000): opt-in keyset paging; absent: the whole collection. */
  readonly size: number | undefined;
  /** `seek_operation=Next` with the MS-ContinuationToken header: the next page. */
  readonly continuationToken: string | undefined;
}

export function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw apiErrors.invalidInput(`The query parameter ${name} is given more than once.`);
  return value;
}

export function readCollectionQuery(req: OperationFastifyRequest): CollectionQuery {
  const query = req.query;
  const periodText = single(query, 'period');
  const period = periodText === undefined ? undefined : periodParameter.parse(periodText);
  const sizeText = single(query, 'size');
  const size = sizeText === undefined ? undefined : sizeParameter.parse(sizeText);
  // Partner Center's SDKs spell it seek_operation, seekOperation or seekoperation.
  const seek = single(query, 'seek_operation') ?? single(query, 'seekOperation') ?? single(query, 'seekoperation');
  const header = req.headers['ms-continuationtoken'];
  const token = Array.isArray(header) ? header[0] : header;
  if (seek !== undefined) {
    if (seek.toLowerCase() !== 'next')
      throw apiErrors.invalidInput(`Unable to parse enum: seek_operation '${seek.slice(0, 40)}'.`);
    if (!token) throw apiErrors.invalidInput('seek_operation=Next needs the MS-ContinuationToken header.');
  }
  return { period, size, continuationToken: seek === undefined ? undefined : token };
}

export function resolvePeriod(period: string | undefined): string {
  return period ?? currentBillingPeriod();
}
