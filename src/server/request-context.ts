import crypto from 'node:crypto';
import os from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiErrors } from '../contract/api-errors.js';

/** A server id for MS-ServerId, stable for this process, in Partner Center's digits-only form. */
export const SERVER_ID = String(
  parseInt(crypto.createHash('sha1').update(`${os.hostname()}:${process.pid}`).digest('hex').slice(0, 8), 16),
)
  .padStart(9, '0')
  .slice(-9);

const SAFE_ID = /^[\w.:=+/{}-]{1,128}$/;

// Correlation vectors for requests without one: unique per process and request, without asking
// the system for random bytes on every request (measured at 5% of a cached response's time).
const CV_PREFIX = crypto.randomBytes(9).toString('base64url');
let cvCounter = 0;

/** An id header's value when it is safe to echo (no control characters, bounded length). */
function safeHeader(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && SAFE_ID.test(v) ? v : undefined;
}

/** Fastify's request id: the client's MS-RequestId when usable, else a new GUID. */
export function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  return safeHeader(req.headers['ms-requestid']) ?? crypto.randomUUID();
}

// Kept on the request itself: a WeakMap entry a request was ~2 % of a small cached answer.
const CORRELATION_ID = Symbol('correlationId');

/** The request's correlation id: the client's MS-CorrelationId when usable, else a new GUID (one per request). */
export function correlationIdOf(raw: {
  headers: Record<string, string | string[] | undefined>;
  [CORRELATION_ID]?: string;
}): string {
  return (raw[CORRELATION_ID] ??= safeHeader(raw.headers['ms-correlationid']) ?? crypto.randomUUID());
}

/**
 * Partner Center's tracing headers on every response, errors included: MS-RequestId and
 * MS-CorrelationId echoed (new GUIDs when absent), MS-CV, MS-ServerId. (Log lines carry the
 * correlation id through the request's logger: create-server.ts, childLoggerFactory.)
 */
export function setTracingHeaders(req: FastifyRequest, reply: FastifyReply): void {
  const cv = safeHeader(req.headers['ms-cv']) ?? `${CV_PREFIX}${(cvCounter++).toString(36)}.0`;
  reply.header('MS-RequestId', req.id);
  reply.header('MS-CorrelationId', correlationIdOf(req.raw));
  reply.header('MS-CV', cv);
  reply.header('MS-ServerId', SERVER_ID);
}

/**
 * The request's ids for an error's log line, where its logger does not carry them: the server's
 * own logger when there is no line per request (create-server.ts, childLoggerFactory).
 */
export const logIds = (req: FastifyRequest): { reqId?: string; correlationId?: string } =>
  req.log === req.server.log ? { reqId: req.id, correlationId: correlationIdOf(req.raw) } : {};

export type ResponseMediaType = 'application/json' | 'text/json';

/**
 * The media type to answer with: text/json when the client names it and prefers it to
 * application/json, else application/json; a 406 ApiError when the Accept header allows neither.
 */
export function negotiateMediaType(accept: string | undefined): ResponseMediaType {
  // What clients send nearly always (Partner Center's SDKs: application/json), without parsing it.
  if (!accept || accept === 'application/json' || accept === '*/*' || accept.trim() === '') return 'application/json';
  const ranges = new Map<string, number>();
  for (const part of accept.toLowerCase().split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim());
    const q = params.find((p) => p.startsWith('q='));
    ranges.set(type, Math.max(ranges.get(type) ?? 0, q === undefined ? 1 : Number(q.slice(2)) || 0));
  }
  const quality = (type: string) => ranges.get(type) ?? ranges.get(`${type.split('/')[0]}/*`) ?? ranges.get('*/*') ?? 0;
  const json = quality('application/json');
  const textJson = quality('text/json');
  if (json <= 0 && textJson <= 0) throw apiErrors.notAcceptable();
  // text/json only when named, and preferred (or named alone: a wildcard ties).
  if (!ranges.has('text/json')) return 'application/json';
  return textJson > json || (!ranges.has('application/json') && textJson >= json) ? 'text/json' : 'application/json';
}

const CONTENT_TYPES: Record<ResponseMediaType, string> = {
  'application/json': 'application/json; charset=utf-8',
  'text/json': 'text/json; charset=utf-8',
};

/** The Content-Type header of a media type (one string each, not one made a request). */
export function contentTypeOf(mediaType: ResponseMediaType): string {
  return CONTENT_TYPES[mediaType];
}
