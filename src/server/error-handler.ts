import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, apiErrors } from '../contract/api-errors.js';
import { contentTypeOf, negotiateMediaType } from './request-context.js';

/**
 * The one place errors become responses: an ApiError is Partner Center's status and body;
 * Fastify's own client errors (bad JSON, unsupported body) a 400; anything else is logged with
 * the request ids and answered 500 with no detail.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, req, reply) => {
    let apiError: ApiError;
    if (error instanceof ApiError) apiError = error;
    else if ('statusCode' in error && error.statusCode !== undefined && error.statusCode < 500) {
      apiError = apiErrors.invalidInput(error.validation ? 'Invalid request input.' : error.message);
    } else {
      req.log.error({ err: error }, 'unexpected error');
      apiError = apiErrors.unexpected();
    }
    let mediaType: 'application/json' | 'text/json' = 'application/json';
    try {
      mediaType = negotiateMediaType(req.headers.accept);
    } catch {
      // a 406 is answered in JSON
    }
    return reply
      .code(apiError.status)
      .headers(apiError.headers)
      .type(contentTypeOf(mediaType))
      .send(JSON.stringify(apiError.toFault()));
  });
  app.setNotFoundHandler(() => {
    throw apiErrors.routeNotFound();
  });
}
