import { apiErrors } from '../contract/api-errors.js';

/**
 * What one request may be: each limit answered with Partner Center's fault body and the ids
 * (docs/api.md, "Limits"). Page size (1000) is the collection query's; cached bytes the cache's.
 */
export const REQUEST_LIMITS = {
  /** Request line and headers together: Node's parser answers 431 past it. */
  headerBytes: 16 * 1024,
  /** The URL, path and query: 414 past it (IIS's default maxUrl; Partner Center runs on it). */
  urlLength: 4096,
  /** A request body: 413 past it. The usage routes take none. */
  bodyBytes: 64 * 1024,
} as const;

/** Refuses a URL over the limit, before routing parses its query. */
export function checkUrlLength(url: string): void {
  if (url.length > REQUEST_LIMITS.urlLength) throw apiErrors.urlTooLong(REQUEST_LIMITS.urlLength);
}
