/**
 * Errors of the Microsoft Graph routes partner-usage emulates (the partner billing exports) and
 * of their blob downloads: Graph answers `{"error":{"code","message","innerError"}}`, Azure
 * Storage an XML `<Error>`. Mapped to their bodies in one place (src/server/error-handler.ts).
 */
export class GraphError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 408 | 415 | 429 | 500 | 502 | 503 | 504,
    readonly code: string,
    message: string,
    /** Azure Storage's XML error (blob downloads) rather than Graph's JSON. */
    readonly storage = false,
    /** Extra response headers (Retry-After on throttling). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

type InjectedStatus = 403 | 408 | 429 | 500 | 502 | 503 | 504;
// Azure Storage's own words, shared by two statuses each.
const INTERNAL = ['InternalError', 'The server encountered an internal error. Please retry the request.'] as const;
const TOO_LONG = ['OperationTimedOut', 'The operation could not be completed within the permitted time.'] as const;

/** An emulated fault's code and message: in Graph's words, and in Azure Storage's (a blob). */
const INJECTED: Readonly<
  Record<InjectedStatus, { graph: readonly [string, string]; storage: readonly [string, string] }>
> = {
  403: {
    graph: ['Forbidden', 'Access is denied (an emulated fault).'],
    storage: ['AuthenticationFailed', 'Signature not valid in the specified time frame (an emulated fault).'],
  },
  408: {
    graph: ['RequestTimeout', 'The request timed out (an emulated fault).'],
    storage: TOO_LONG,
  },
  429: {
    graph: ['TooManyRequests', 'Too many requests (an emulated fault).'],
    storage: ['ServerBusy', 'The server is busy.'],
  },
  500: {
    graph: ['InternalServerError', 'An internal server error occurred (an emulated fault).'],
    storage: INTERNAL,
  },
  502: {
    graph: ['BadGateway', 'Bad gateway (an emulated fault).'],
    storage: INTERNAL,
  },
  503: {
    graph: ['ServiceNotAvailable', 'The service is temporarily unavailable (an emulated fault).'],
    storage: ['ServerBusy', 'The server is currently unable to receive requests. Please retry your request.'],
  },
  504: {
    graph: ['GatewayTimeout', 'The gateway timed out (an emulated fault).'],
    storage: TOO_LONG,
  },
};

export const graphErrors = {
  unauthenticated: (reason: string) => new GraphError(401, 'InvalidAuthenticationToken', reason),
  forbidden: () =>
    new GraphError(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation: the token needs PartnerBilling.Read.All.',
    ),
  badRequest: (message: string) => new GraphError(400, 'BadRequest', message),
  notFound: (what: string) => new GraphError(404, 'ResourceNotFound', `${what} was not found.`),
  /** As Graph answers a path it has no resource for: 400 naming the first segment it does not know. */
  unknownSegment: (url: string) => {
    const segments = url.split('?')[0]!.split('/').filter(Boolean).slice(1);
    const known = [
      'reports',
      'partners',
      'billing',
      'usage',
      'unbilled',
      'billed',
      'export',
      'operations',
      'manifests',
    ];
    const segment = segments.find((s) => !known.includes(s.toLowerCase())) ?? segments.at(-1) ?? '';
    return new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment.slice(0, 80)}'.`);
  },
  unsupportedMediaType: () => new GraphError(415, 'UnsupportedMediaType', 'The request body must be application/json.'),
  sasRefused: (reason: string) => new GraphError(403, 'AuthenticationFailed', reason, true),
  blobNotFound: () =>
    new GraphError(404, 'BlobNotFound', 'The specified blob does not exist (its snapshot is no longer held).', true),
  /**
   * An emulator's fault rule (`serve --faults`) on a Graph route, or on a blob in Azure Storage's
   * words (403 there is an expired SAS).
   */
  injected: (status: InjectedStatus, blob: boolean, retryAfter?: number) => {
    const headers = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
    const [code, message] = INJECTED[status][blob ? 'storage' : 'graph'];
    return new GraphError(status, code, message, blob, headers);
  },
};
