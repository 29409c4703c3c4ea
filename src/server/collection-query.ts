import type { FastifyRequest } from 'fastify';
import { apiErrors } from '../contract/api-errors.js';
import { BILLING_PERIOD, currentBillingPeriod } from '../domain/usage-model.js';
import { isGuid } from '../ingest/field-parsers.js';

export const MAX_PAGE_SIZE = 1000;

/** The query of a usage collection route, validated. */
export interface CollectionQuery {
  /** `period=YYYY-MM` (an extension); absent: the current UTC month, as in Partner Center. */
  readonly period: string | undefined;
  /** `size=N` (1–1000): opt-in keyset paging; absent: the whole collection. */
  readonly size: number | undefined;
  /** `seek_operation=Next` with the MS-ContinuationToken header: the next page. */
  readonly continuationToken: string | undefined;
}

type Query = Record<string, string | string[] | undefined>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw apiErrors.invalidInput(`The query parameter ${name} is given more than once.`);
  return value;
}

export function readCollectionQuery(req: FastifyRequest): CollectionQuery {
  const query = req.query as Query;
  const period = single(query, 'period');
  if (period !== undefined && !BILLING_PERIOD.test(period)) {
    throw apiErrors.invalidInput(`The period '${period.slice(0, 40)}' is not a billing period (YYYY-MM).`);
  }
  const sizeText = single(query, 'size');
  let size: number | undefined;
  if (sizeText !== undefined) {
    size = /^\d{1,4}$/.test(sizeText) ? Number(sizeText) : NaN;
    if (!(size >= 1 && size <= MAX_PAGE_SIZE)) {
      throw apiErrors.invalidInput(
        `The size '${sizeText.slice(0, 40)}' is not a page size from 1 to ${MAX_PAGE_SIZE}.`,
      );
    }
  }
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

export function guidParam(name: string, value: string): string {
  if (!isGuid(value)) throw apiErrors.invalidGuid(name, value);
  return value.toLowerCase();
}
