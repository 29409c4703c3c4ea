/**
 * Errors of the Microsoft Graph routes partner-usage emulates (the partner billing exports) and
 * of their blob downloads: Graph answers `{"error":{"code","message","innerError"}}`, Azure
 * Storage an XML `<Error>`. Mapped to their bodies in one place (src/server/error-handler.ts).
 */
export class GraphError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 415,
    readonly code: string,
    message: string,
    /** Azure Storage's XML error (blob downloads) rather than Graph's JSON. */
    readonly storage = false,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

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
};
