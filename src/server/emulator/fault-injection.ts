import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { Readable, Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiErrors } from '../../contract/api-errors.js';
import { graphErrors } from '../../contract/graph-errors.js';
import type { FaultRule, FaultRules } from './fault-rules.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation a route serves (the operations table's id, or a Graph route's): what fault rules and metrics name. */
    operationId?: string;
  }
}

const CUSTOMER_IN_PATH = /\/customers\/([^/?#]+)/i;

/** The `tid` of a bearer token, read without verifying it: a rule only chooses whom to fail. */
function tenantOf(authorization: string | undefined): string | undefined {
  const payload = authorization?.match(/^Bearer\s+[^.]+\.([^.]+)\./i)?.[1];
  if (!payload) return undefined;
  try {
    const tid = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { tid?: unknown }).tid;
    return typeof tid === 'string' ? tid.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** The first `bytes` of a body, then the connection broken: a download cut short. */
function cutShort(payload: unknown, bytes: number, socket: Socket): Readable {
  let left = bytes;
  const cut = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (chunk.length < left) {
        left -= chunk.length;
        return done(null, chunk);
      }
      this.push(chunk.subarray(0, left));
      left = 0;
      // After the bytes are written, so the client sees them before the break.
      done();
      setTimeout(() => socket.destroy(), 10);
    },
  });
  const source =
    payload instanceof Readable
      ? payload
      : Readable.from([Buffer.from(payload as string | Buffer)], { objectMode: false });
  return source.pipe(cut);
}

function errorFor(rule: FaultRule & { status: number }, req: FastifyRequest): Error {
  const graph = /^\/(v1\.0|beta)\//i.test(req.url);
  const blob = /^\/blobs\//i.test(req.url);
  const retryAfter = rule.retryAfter ?? (rule.status === 429 || rule.status === 503 ? 1 : undefined);
  if (graph || blob) return graphErrors.injected(rule.status as 403, blob, retryAfter);
  return rule.status === 429
    ? apiErrors.throttled(retryAfter ?? 1)
    : apiErrors.injected(rule.status as 403, retryAfter);
}

/**
 * Applies the emulator's fault rules to every request but the emulator's own (/_emulator): a delay,
 * then a dropped connection, a status with the route's own error body (Partner Center's, Graph's,
 * Azure Storage's), or a body cut short after some bytes.
 */
export function injectFaults(app: FastifyInstance, rules: FaultRules): void {
  const cuts = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (rules.size === 0 || req.url.startsWith('/_emulator')) return;
    const path = req.url.split('?', 1)[0]!;
    const rule = rules.pick({
      operation: req.routeOptions.config.operationId,
      method: req.method,
      path,
      partner: () => tenantOf(req.headers.authorization),
      customer: CUSTOMER_IN_PATH.exec(path)?.[1]?.toLowerCase(),
    });
    if (!rule) return;
    req.log.info({ rule: rule.id, reqId: req.id }, 'emulated fault');
    if (rule.delayMs) await sleep(rule.delayMs);
    if (rule.drop) {
      req.raw.socket.destroy();
      return reply.hijack();
    }
    if (rule.status !== undefined) throw errorFor(rule as FaultRule & { status: number }, req);
    if (rule.cutAfterBytes !== undefined) cuts.set(req, rule.cutAfterBytes);
  });
  app.addHook('onSend', async (req, _reply, payload) => {
    const bytes = cuts.get(req);
    return bytes === undefined ? payload : cutShort(payload, bytes, req.raw.socket);
  });
}
