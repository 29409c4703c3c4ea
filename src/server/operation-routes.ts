import http from 'node:http';
import { PassThrough, type Writable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiErrors } from '../contract/api-errors.js';
import { stringifyExact } from '../contract/exact-json.js';
import { operations, type Operation, type OperationId, type ParametersOf } from '../contract/operations.js';
import type { ValuesOf } from '../contract/parameters.js';
import { bodyReaders, type BodyOf } from './request-bodies.js';
import type { OperationFastifyRequest, OperationRoute } from './operation-request.js';
import { authorizeAppUser } from './auth/authorize.js';
import { accessOf, grantedOf, permits, roleFor } from '../contract/access.js';
import type { Store } from '../storage/store.js';
import { ViewCache } from './view-cache.js';
import { cachedAt } from './response-cache.js';
import type { Caller } from './auth/token-verifier.js';
import { single } from './collection-query.js';
import { contentTypeOf, logIds, negotiateMediaType } from './request-context.js';
import { answerCollection, type UsageCollectionRoute } from './routes/usage-collection.js';
import type { ServerDeps } from './server-deps.js';

/** What every handler's request has, whatever its operation. */
export interface RequestBase {
  readonly caller: Caller;
  /** The request path as Partner Center writes it in links: no /v1, parameters filled in. */
  readonly selfPath: string;
  readonly req: OperationFastifyRequest;
}

/**
 * What the handler of operation K gets: the caller and every declared parameter, validated and
 * defaulted, by wire name, typed from the operation's entry in the table (ValuesOf). `seek`: a
 * next-page request, whose token carries what the first request said (its required query
 * parameters may be absent).
 */
export type OperationRequest<K extends OperationId> = RequestBase & { readonly body: BodyOf<K> } & (
    | { readonly seek: false; readonly values: ValuesOf<ParametersOf<K>> }
    | { readonly seek: true; readonly values: ValuesOf<ParametersOf<K>, true> }
  );

/** What a handler answers; the engine writes it (negotiation, cache, exact JSON). */
export type Answer =
  | { readonly resource: object; readonly cache?: boolean }
  | { readonly collection: UsageCollectionRoute<unknown> }
  | { readonly notReady: { readonly retryAfterSeconds: number } }
  | {
      /** A file, streamed as it is written (its checks done before: an error after the first byte cuts it short). */
      readonly download: {
        readonly contentType: string;
        readonly filename: string;
        readonly write: (out: Writable) => Promise<unknown>;
      };
    };

export type OperationHandler<K extends OperationId> = (
  request: OperationRequest<K>,
  deps: ServerDeps,
) => Promise<Answer>;
export type OperationHandlers = { readonly [K in OperationId]: OperationHandler<K> };

/**
 * A handler as the engine calls it: with the values readValues() validated against the same
 * table entry its type was inferred from. The one place the typed handlers meet untyped input.
 */
type EngineHandler = (
  request: RequestBase & {
    readonly seek: boolean;
    readonly values: Readonly<Record<string, unknown>>;
    readonly body: unknown;
  },
  deps: ServerDeps,
) => Promise<Answer>;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;
/**
 * Every other method Node parses (QUERY, SEARCH, PROPFIND, …; CONNECT is a proxy's): taught to
 * Fastify so that, on a route of ours, they get 405 with Allow as PUT does — not a 404.
 */
const OTHER_METHODS = http.METHODS.filter((m) => m !== 'CONNECT' && !(METHODS as readonly string[]).includes(m));

/** Fastify's form of a path template: `{customer-tenant-id}` → `:p0` (a dash would split a parameter). */
function fastifyPath(o: Operation): { url: string; names: string[] } {
  const names: string[] = [];
  const url = o.path.replace(/\{([^}]+)\}/g, (_, name: string) => `:p${names.push(name) - 1}`);
  return { url, names };
}

function readValues(
  o: Operation,
  req: OperationFastifyRequest,
  names: string[],
  seek: boolean,
): Record<string, unknown> {
  const { params, query } = req;
  const values: Record<string, unknown> = {};
  for (const p of o.parameters) {
    const raw = p.in === 'path' ? params[`p${names.indexOf(p.name)}`] : single(query, p.name);
    if (raw === undefined) {
      // A next page needs only its token: the first request's parameters are in it.
      if (p.required && !seek) throw apiErrors.invalidInput(`The query parameter ${p.name} is required.`);
      if (p.default !== undefined) values[p.name] = p.default;
      continue;
    }
    values[p.name] = p.parse(raw);
  }
  return values;
}

const readers = new Map<string, (req: FastifyRequest) => unknown>(Object.entries(bodyReaders));

/** The operation's parsed body (request-bodies.ts), or undefined when its handler takes none. */
function readBody(id: OperationId, req: FastifyRequest): unknown {
  return readers.get(id)?.(req);
}

function selfPathOf(o: Operation, values: Record<string, unknown>): string {
  return o.path.replace(/^\/v1/, '').replace(/\{([^}]+)\}/g, (_, name: string) => String(values[name]));
}

/**
 * The caller, if it may do what the operation does (its role: contract/access.ts); else 401 or 403.
 * A grantee's token (its tenant has an access grant) is the granting partner's caller with the
 * grant's role and the grant; what grantees never get is 404, as a path that does not exist.
 */
async function authorize(o: Operation, deps: ServerDeps, req: FastifyRequest): Promise<Caller> {
  const verified =
    o.auth === 'app+user'
      ? await authorizeAppUser(deps.verifier, req)
      : await deps.verifier.verify(req.headers.authorization);
  const grant = await deps.grants.grantOf(verified.partnerTenantId);
  const access = accessOf(o);
  if (!grant) {
    if (!permits(verified.role, access)) throw apiErrors.roleNotAllowed(verified.role!, roleFor(access));
    return verified;
  }
  const caller = { ...verified, partnerTenantId: grant.partnerTenantId, role: grant.role, grant };
  const use = grantedOf(o);
  if (use === 'none') throw apiErrors.routeNotFound();
  if (use === 'own' ? grant.role !== 'analyst' : !permits(grant.role, access))
    throw apiErrors.roleNotAllowed(grant.role, 'analyst');
  return caller;
}

/** Per grantee view, the dependencies its requests are answered with (its own customers view cache). */
const viewDeps = new WeakMap<Store, ServerDeps>();

/**
 * What a request is answered from: the server's store, or a grantee's priced view of its scope
 * (pricing/priced-view.ts) — for its changes, the server's store once the customer named is in it.
 */
async function servedFrom(o: Operation, deps: ServerDeps, caller: Caller, customer: unknown): Promise<ServerDeps> {
  if (!caller.grant) return deps;
  const view = await deps.grants.viewOf(caller.grant);
  if (grantedOf(o) === 'own') {
    const id = String(customer);
    if ((await view.subscriptionIds(caller.partnerTenantId, id)) === undefined) throw apiErrors.customerNotFound(id);
    return deps;
  }
  let served = viewDeps.get(view);
  if (!served) viewDeps.set(view, (served = { ...deps, store: view, views: new ViewCache() }));
  return served;
}

/**
 * Registers every operation of the table: its route, auth rule, parameter validation, media type
 * negotiation and response cache, then its handler; and, per path, 405 with an Allow header for
 * the methods the table does not list.
 */
export function registerOperations(app: FastifyInstance, deps: ServerDeps, handlers: OperationHandlers): void {
  for (const m of OTHER_METHODS) {
    if (!app.supportedMethods.includes(m)) app.addHttpMethod(m);
  }
  const methodsByUrl = new Map<string, Set<string>>();
  for (const [id, o] of Object.entries(operations) as [OperationId, Operation][]) {
    const { url, names } = fastifyPath(o);
    const methods = methodsByUrl.get(url) ?? new Set<string>();
    methodsByUrl.set(url, methods);
    methods.add(o.method);
    if (o.method === 'GET') methods.add('HEAD');
    const handler = handlers[id] as EngineHandler;
    const customerParam = names.indexOf('customer-tenant-id');
    const customerOf = (req: OperationFastifyRequest): string | undefined =>
      customerParam < 0 ? undefined : req.params[`p${customerParam}`];
    // Bounded concurrency: counted before the body is read (onRequest), released when answered.
    let inFlight = 0;
    const limit = o.concurrency;
    // The requests that hold one of the operation's slots (released when answered).
    const holding = new WeakSet<FastifyRequest>();
    app.route<OperationRoute>({
      method: o.method,
      url,
      config: { operationId: id },
      ...(o.bodyLimit === undefined ? {} : { bodyLimit: o.bodyLimit }),
      ...(limit === undefined
        ? {}
        : {
            onRequest: async (req: FastifyRequest) => {
              if (inFlight >= limit) throw apiErrors.ingestBusy(2);
              inFlight++;
              holding.add(req);
            },
            onResponse: async (req: FastifyRequest) => {
              if (holding.delete(req)) inFlight--;
            },
          }),
      handler: async (req, reply) => {
        const mediaType = o.download ? 'application/json' : negotiateMediaType(req.headers.accept);
        const caller = await authorize(o, deps, req);
        // Budgets count every request of a caller that is who it says, cached answers too.
        deps.limits?.consume(caller.partnerTenantId, customerOf(req));
        reply.type(contentTypeOf(mediaType));
        // A GET answer is cached by the request (its URL, and a page's token): a hit skips the
        // handler and even parameter validation, since only a valid request was ever stored.
        const state = o.state ?? 'usage';
        const version = cachedAt(state === 'alerts' ? deps.store.alertsVersion() : deps.store.dataVersion());
        const token = req.headers['ms-continuationtoken'];
        // A grantee's answers are its view's: cached apart from its partner's.
        const who = caller.grant ? `${caller.partnerTenantId}/${caller.grant.tenantId}` : caller.partnerTenantId;
        const cacheKey =
          o.method === 'GET'
            ? `${who}|${id}|${req.url.toLowerCase()}|${Array.isArray(token) ? token[0] : (token ?? '')}`
            : undefined;
        if (cacheKey !== undefined) {
          const cached = deps.cache.get(cacheKey, version, state);
          if (cached !== undefined) return reply.send(cached);
        }
        const seek = o.collection && single(req.query, 'seek_operation') !== undefined;
        const values = readValues(o, req, names, seek);
        const parsed = readBody(id, req);
        const served = await servedFrom(o, deps, caller, values['customer-tenant-id']);
        const answer = await handler(
          { caller, values, body: parsed, selfPath: selfPathOf(o, values), seek, req },
          served,
        );
        if ('notReady' in answer) {
          return reply.code(204).header('Retry-After', String(answer.notReady.retryAfterSeconds)).send();
        }
        if ('download' in answer) {
          const { contentType, filename, write } = answer.download;
          const body = new PassThrough();
          write(body).catch((error: unknown) => {
            req.log.error({ err: error, ...logIds(req) }, 'export failed after its first bytes');
            body.destroy(error as Error);
          });
          return reply
            .type(contentType)
            .header('Content-Disposition', `attachment; filename="${filename}"`)
            .header('Cache-Control', 'no-store')
            .send(body);
        }
        if ('collection' in answer) {
          if (cacheKey === undefined) throw new Error(`${id}: a collection is answered to GET only`);
          return answerCollection(served, caller, req, reply, answer.collection, { key: cacheKey, version, state });
        }
        const body = stringifyExact(answer.resource);
        return reply.send(
          cacheKey !== undefined && answer.cache !== false ? deps.cache.set(cacheKey, version, body, state) : body,
        );
      },
    });
  }
  for (const [url, allowed] of methodsByUrl) {
    const allow = METHODS.filter((m) => allowed.has(m)).join(', ');
    app.route({
      method: [...METHODS.filter((m) => !allowed.has(m)), ...OTHER_METHODS],
      url,
      handler: (req) => {
        throw apiErrors.methodNotAllowed(req.method, allow);
      },
    });
  }
}
