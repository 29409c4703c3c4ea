/**
 * The SDK's errors, all built in one place (APIError.generate) from Partner Center's ApiFault
 * body: one class per status, plus connection, timeout, abort and "data not ready" errors.
 */
export class PartnerCenterError extends Error {
  override name = 'PartnerCenterError';
}

/** Partner Center's error body fields, and the response's request ids. */
export interface ApiErrorDetails {
  readonly status: number;
  /** ApiFault.code (a number on the wire). */
  readonly code: number | undefined;
  readonly description: string;
  readonly data: readonly unknown[];
  readonly source: string | undefined;
  readonly requestId: string | undefined;
  readonly correlationId: string | undefined;
  readonly headers: Headers;
}

export class APIError extends PartnerCenterError {
  override name = 'APIError';
  readonly status: number;
  readonly code: number | undefined;
  readonly description: string;
  readonly data: readonly unknown[];
  readonly source: string | undefined;
  readonly requestId: string | undefined;
  readonly correlationId: string | undefined;
  readonly headers: Headers;

  constructor(details: ApiErrorDetails) {
    super(`${details.status}${details.code === undefined ? '' : ` (code ${details.code})`}: ${details.description}`);
    this.status = details.status;
    this.code = details.code;
    this.description = details.description;
    this.data = details.data;
    this.source = details.source;
    this.requestId = details.requestId;
    this.correlationId = details.correlationId;
    this.headers = details.headers;
  }

  /** The error for a response: its class by status, its fields from the ApiFault body. */
  static generate(status: number, body: unknown, headers: Headers): APIError {
    const fault = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    // Throttling answers {statusCode, message} instead of an ApiFault.
    const description =
      typeof fault.description === 'string'
        ? fault.description
        : typeof fault.message === 'string'
          ? fault.message
          : typeof body === 'string' && body !== ''
            ? body.slice(0, 500)
            : `HTTP ${status}`;
    const code = fault.code === undefined || fault.code === null ? undefined : Number(String(fault.code));
    const details: ApiErrorDetails = {
      status,
      code: Number.isFinite(code) ? code : undefined,
      description,
      data: Array.isArray(fault.data) ? fault.data : [],
      source: typeof fault.source === 'string' ? fault.source : undefined,
      requestId: headers.get('ms-requestid') ?? undefined,
      correlationId: headers.get('ms-correlationid') ?? undefined,
      headers,
    };
    switch (status) {
      case 400:
        return new BadRequestError(details);
      case 401:
        return new UnauthorizedError(details);
      case 403:
        return new ForbiddenError(details);
      case 404:
        return new NotFoundError(details);
      case 405:
        return new MethodNotAllowedError(details);
      case 406:
        return new NotAcceptableError(details);
      case 409:
        return new ConflictError(details);
      case 429:
        return new TooManyRequestsError(details, retryAfterSeconds(headers));
      case 503:
        return new ServiceUnavailableError(details);
      default:
        return status >= 500 ? new InternalServerError(details) : new APIError(details);
    }
  }
}

/** 400: a parameter or the body is not valid; `code` and `description` say which (Partner Center's fault body). */
export class BadRequestError extends APIError {
  override name = 'BadRequestError';
}
/** 401: no bearer token, or one that is expired, not signed by a trusted issuer, or for another audience. */
export class UnauthorizedError extends APIError {
  override name = 'UnauthorizedError';
}
/** 403: the token is valid but may not do this (an app-only token on a user-only route, a role without the right). */
export class ForbiddenError extends APIError {
  override name = 'ForbiddenError';
}
/** 404: no such customer or subscription for this partner, or no such route. */
export class NotFoundError extends APIError {
  override name = 'NotFoundError';
}
/** 405: the route exists, not with this method (the `Allow` header lists those it has). */
export class MethodNotAllowedError extends APIError {
  override name = 'MethodNotAllowedError';
}
/** 406: the `Accept` header names no media type the route answers in. */
export class NotAcceptableError extends APIError {
  override name = 'NotAcceptableError';
}
/** 409: Partner Center refused the change as conflicting with what it holds (this server does not answer it). */
export class ConflictError extends APIError {
  override name = 'ConflictError';
}
/** 429: throttled; `retryAfter` says how long to wait. Retried (after that wait, up to `maxRetries`) before it is thrown. */
export class TooManyRequestsError extends APIError {
  override name = 'TooManyRequestsError';
  constructor(
    details: ApiErrorDetails,
    /** Seconds the service asked to wait (Retry-After), when it said. */
    readonly retryAfter: number | undefined,
  ) {
    super(details);
  }
}
/** 500 and any other 5xx but 503: the service failed; retried (up to `maxRetries`) before it is thrown. */
export class InternalServerError extends APIError {
  override name = 'InternalServerError';
}
/** 503: the service or its database is unavailable for now (`Retry-After`); retried (up to `maxRetries`) before it is thrown. */
export class ServiceUnavailableError extends APIError {
  override name = 'ServiceUnavailableError';
}

/** No response: the network failed. `cause` holds the underlying error. */
export class APIConnectionError extends PartnerCenterError {
  override name = 'APIConnectionError';
}
/** No response within the timeout. */
export class APIConnectionTimeoutError extends APIConnectionError {
  override name = 'APIConnectionTimeoutError';
}
/** The caller's AbortSignal fired. */
export class APIUserAbortError extends PartnerCenterError {
  override name = 'APIUserAbortError';
}

/**
 * Partner Center answered 204 with Retry-After ("the data is not ready yet") on every attempt;
 * ask again after `retryAfter` seconds.
 */
export class DataNotReadyError extends PartnerCenterError {
  override name = 'DataNotReadyError';
  constructor(
    readonly retryAfter: number | undefined,
    readonly requestId: string | undefined,
  ) {
    super(`the data is not ready yet${retryAfter === undefined ? '' : `; retry after ${retryAfter} s`}`);
  }
}

/** Retry-After in seconds: a number of seconds or an HTTP date. */
export function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
