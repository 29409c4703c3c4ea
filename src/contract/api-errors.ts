/**
 * Partner Center's error kinds, each with its HTTP status and error code (shared/docs/
 * partner-center-api.md §7). One class, one catalogue; the server turns an ApiError into the
 * ApiFault body in one place (src/server/error-handler.ts).
 */

import type { ApiFault } from './resources.js';

export type ApiStatus =
  400 | 401 | 403 | 404 | 405 | 406 | 408 | 410 | 413 | 414 | 415 | 429 | 431 | 500 | 502 | 503 | 504;

/** Partner Center's throttling body, which is not an ApiFault (partner-center-api.md §7.3). */
export interface ThrottleFault {
  readonly statusCode: 429;
  readonly message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: ApiStatus,
    readonly code: number,
    description: string,
    /** Extra response headers (WWW-Authenticate on 401). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
    this.name = 'ApiError';
  }

  toFault(): ApiFault | ThrottleFault {
    if (this.status === 429) return { statusCode: 429, message: this.message };
    return { code: this.code, description: this.message, data: [], source: 'PartnerFD' };
  }
}

const WWW_AUTHENTICATE = 'Bearer realm="https://api.partnercenter.microsoft.com"';

/** The catalogue: every error the API answers with. */
export const apiErrors = {
  invalidInput: (description: string) => new ApiError(400, 800002, description),
  invalidEnum: (name: string, value: string) =>
    new ApiError(400, 900126, `Unable to parse enum: ${name} '${value.slice(0, 40)}'.`),
  invalidGuid: (name: string, value: string) =>
    new ApiError(400, 800002, `The ${name} '${value.slice(0, 80)}' is not a valid GUID.`),
  invalidContinuationToken: () => new ApiError(400, 800002, 'The continuation token is not valid for this request.'),
  staleContinuationToken: () =>
    new ApiError(
      400,
      800002,
      'The lines changed since the continuation token was issued: start again from the first page.',
    ),
  tokenMissing: () =>
    new ApiError(401, 800001, 'Partner token missing in request context.', { 'WWW-Authenticate': WWW_AUTHENTICATE }),
  tokenInvalid: (reason: string) =>
    new ApiError(401, 400, `Access denied: ${reason}.`, {
      'WWW-Authenticate': `${WWW_AUTHENTICATE}, error="invalid_token"`,
    }),
  ingestNotAllowed: () =>
    new ApiError(403, 900150, 'Sending line items needs the PartnerUsage.Ingest role (application) or scope (user).'),
  tooManyItems: (limit: number) => new ApiError(413, 800002, `The request holds more than ${limit} line items.`),
  emulatorCrossSite: () =>
    new ApiError(
      403,
      900150,
      "The emulator's routes answer tools and this server's own pages, not a page of another site.",
    ),
  otherOrigin: () =>
    new ApiError(403, 900150, 'A development token is given only to a page of this server on this machine.'),
  ingestBusy: (seconds: number) =>
    new ApiError(503, 800002, 'Too many line-item requests are being stored: try again shortly.', {
      'Retry-After': String(seconds),
    }),
  /** The database cannot be used for now (PostgreSQL down, a full disk): nothing was changed, try again. */
  storageUnavailable: (reason: string) =>
    new ApiError(503, 800003, `The service is temporarily unavailable: ${reason}. Nothing was changed; try again.`, {
      'Retry-After': '5',
    }),
  roleNotAllowed: (role: string, needed: string) =>
    new ApiError(403, 900150, `The ${role} role may not do this: it needs the ${needed} role.`),
  appOnlyNotAllowed: () => new ApiError(403, 900150, "This resource can't be accessed by application credentials."),
  customerNotFound: (id: string) => new ApiError(404, 60003, `Customer ${id} was not found.`),
  subscriptionNotFound: (id: string) => new ApiError(404, 20003, `Subscription with id ${id} not found.`),
  /** Partner Center's code 3000 text (ISSUE Partner-Center-PowerShell#76); 404: there is no summary to give. */
  noUsageData: () => new ApiError(404, 3000, 'Customer does not have usage data.'),
  /** A route that serves one kind of subscription, asked for the other (docs/api.md). */
  wrongPlanKind: (id: string, served: string) =>
    new ApiError(400, 800002, `The subscription ${id} is not ${served}: this route does not serve it.`),
  invalidBody: (description: string) => new ApiError(400, 800002, description),
  exportNotPossible: (description: string) => new ApiError(400, 800002, description),
  routeNotFound: () => new ApiError(404, 1000, 'The requested resource was not found.'),
  methodNotAllowed: (method: string, allow: string) =>
    new ApiError(405, 800002, `The method ${method.slice(0, 20)} is not allowed on this resource.`, { Allow: allow }),
  malformedUrl: () => new ApiError(400, 800002, 'The request path is not a valid URL (a malformed percent-encoding).'),
  malformedRequest: () => new ApiError(400, 800002, 'The request is not valid HTTP.'),
  requestTimeout: () => new ApiError(408, 800002, 'The request was not received in time.'),
  bodyTooLarge: (limit: number) => new ApiError(413, 800002, `The request body is larger than ${limit} bytes.`),
  urlTooLong: (limit: number) => new ApiError(414, 800002, `The request URL is longer than ${limit} characters.`),
  unsupportedMediaType: () => new ApiError(415, 800002, 'The request body media type is not supported.'),
  headersTooLarge: (limit: number) => new ApiError(431, 800002, `The request headers are larger than ${limit} bytes.`),
  notAcceptable: () =>
    new ApiError(406, 800002, 'The requested media type is not supported: use application/json or text/json.'),
  unexpected: () => new ApiError(500, 800003, 'Unexpected service error.'),
  /** The period's lines were archived to a file (`partner-usage archive`): its totals are still served. */
  periodArchived: (reason: string) => new ApiError(410, 800002, `${reason[0]!.toUpperCase()}${reason.slice(1)}.`),
  throttled: (seconds: number) =>
    new ApiError(429, 0, `Rate limit is exceeded. Try again in ${seconds} seconds.`, {
      'Retry-After': String(seconds),
    }),
  /** An emulator's fault rule (`serve --faults`): the status it names, with Partner Center's words for it. */
  injected: (status: 403 | 408 | 500 | 502 | 503 | 504, retryAfter?: number) =>
    new ApiError(
      status,
      status === 403 ? 900150 : status === 408 ? 800002 : 800003,
      {
        403: 'Access to this resource is denied (an emulated fault).',
        408: 'The request timed out (an emulated fault).',
        500: 'Unexpected service error.',
        502: 'Bad gateway (an emulated fault).',
        503: 'The service is temporarily unavailable (an emulated fault).',
        504: 'The gateway timed out (an emulated fault).',
      }[status],
      retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
    ),
} as const;
