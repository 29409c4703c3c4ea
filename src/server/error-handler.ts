import crypto from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, apiErrors } from '../contract/api-errors.js';
import { GraphError, graphErrors } from '../contract/graph-errors.js';
import { ArchivedPeriodError } from '../storage/archived-periods.js';
import { describeStorageFailure } from '../storage/storage-failure.js';
import { REQUEST_LIMITS } from './request-limits.js';
import { isApiPath, type PageHandler } from './routes/dashboard.js';
import { contentTypeOf, logIds, negotiateMediaType, SERVER_ID, setTracingHeaders } from './request-context.js';

/**
 * The one place errors become responses: an ApiError is Partner Center's status and body;
 * Fastify's own client errors (a body too large, an unsupported body) keep their status with
 * that body; a database that cannot be used is 503 with Retry-After (it recovers by itself); anything
 * else is logged with the request ids and answered 500 with no detail. Every
 * answer, down to a request Node's HTTP parser refuses, carries the fault body and the ids.
 */
export function installErrorHandling(app: FastifyInstance, page?: PageHandler): void {
  app.setErrorHandler((error: FastifyError | ApiError | GraphError, req, reply) => {
    if (error instanceof GraphError) return sendGraphError(req, reply, error);
    let apiError: ApiError;
    if (error instanceof ApiError) apiError = error;
    // Lines asked for that were archived: gone for good from this database, their totals kept.
    // (Graph's export routes answer it as a failed operation themselves: billing-exports.ts.)
    else if (error instanceof ArchivedPeriodError) apiError = apiErrors.periodArchived(error.message);
    else if ('statusCode' in error && error.statusCode !== undefined && error.statusCode < 500) {
      apiError =
        error.statusCode === 413
          ? apiErrors.bodyTooLarge(req.routeOptions.bodyLimit ?? REQUEST_LIMITS.bodyBytes)
          : error.statusCode === 415
            ? apiErrors.unsupportedMediaType()
            : apiErrors.invalidInput(error.validation ? 'Invalid request input.' : error.message);
    } else {
      const storage = describeStorageFailure(error);
      // A database that is down or full is the operator's to fix, not a bug: 503, retried by clients.
      req.log[storage ? 'warn' : 'error']({ err: error, ...logIds(req) }, storage ?? 'unexpected error');
      apiError = storage ? apiErrors.storageUnavailable(storage) : apiErrors.unexpected();
    }
    return sendFault(req, reply, apiError);
  });
  app.setNotFoundHandler((req, reply) => {
    // The dashboard's own paths (its routes live in the URL); the API's keep Partner Center's 404.
    if (page && (req.method === 'GET' || req.method === 'HEAD') && !isApiPath(req.url)) return page(req, reply);
    // Graph's paths answer in Graph's envelope, so a Graph SDK caller sees a code and a message.
    if (/^\/(v1\.0|beta)(\/|$|\?)/i.test(req.url)) throw graphErrors.unknownSegment(req.url);
    throw apiErrors.routeNotFound();
  });
}

function sendFault(req: FastifyRequest, reply: FastifyReply, apiError: ApiError): FastifyReply {
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
}

/** Graph's error envelope, or Azure Storage's XML error for a blob download. */
function sendGraphError(req: FastifyRequest, reply: FastifyReply, error: GraphError): FastifyReply {
  reply.code(error.status).headers(error.headers);
  if (error.storage) {
    const message = `${error.message}\nRequestId:${req.id}\nTime:${new Date().toISOString()}`;
    return reply
      .header('x-ms-error-code', error.code)
      .type('application/xml')
      .send(
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${error.code}</Code><Message>${message}</Message></Error>`,
      );
  }
  const clientRequestId = req.headers['client-request-id'];
  return reply.type('application/json').send(
    JSON.stringify({
      error: {
        code: error.code,
        message: error.message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          'request-id': req.id,
          'client-request-id': typeof clientRequestId === 'string' ? clientRequestId : req.id,
        },
      },
    }),
  );
}

/**
 * Fastify's `frameworkErrors`: errors found before routing (a malformed percent-encoding in the
 * path), when no hook has run yet, so the tracing headers are set here.
 */
export function frameworkErrorHandler(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  setTracingHeaders(req, reply);
  void sendFault(
    req,
    reply,
    error.code === 'FST_ERR_BAD_URL' ? apiErrors.malformedUrl() : apiErrors.invalidInput(error.message),
  );
}

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses (headers over the limit, not
 * HTTP at all, too slow), answered on the socket itself, with new request ids.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const apiError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? apiErrors.headersTooLarge(REQUEST_LIMITS.headerBytes)
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? apiErrors.requestTimeout()
        : apiErrors.malformedRequest();
  const body = JSON.stringify(apiError.toFault());
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[
    apiError.status as 400 | 408 | 431
  ];
  const id = crypto.randomUUID();
  socket.end(
    [
      `HTTP/1.1 ${apiError.status} ${reason}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `MS-RequestId: ${id}`,
      `MS-CorrelationId: ${crypto.randomUUID()}`,
      `MS-CV: ${id}.0`,
      `MS-ServerId: ${SERVER_ID}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
