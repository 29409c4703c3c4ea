import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { stringifyExact } from '../../contract/exact-json.js';
import type { Link } from '../../contract/resources.js';
import type { CachedState } from '../../contract/operations.js';
import { collection } from '../../domain/usage-records.js';
import type { Caller } from '../auth/token-verifier.js';
import { readCollectionQuery, resolvePeriod } from '../collection-query.js';
import type { OperationFastifyRequest } from '../operation-request.js';
import type { ServerDeps } from '../server-deps.js';

/** One page of a collection in its keyset order: the items, and the key after which more follow. */
export interface CollectionPage<T> {
  readonly items: readonly T[];
  readonly lastKey: string | undefined;
  readonly more: boolean;
}

export interface UsageCollectionRoute<T> {
  /** What continuation tokens are bound to, besides the partner: the route and its parameters. */
  readonly route: string;
  /** The collection's own link, as Partner Center writes it (no /v1). */
  readonly selfUri: string;
  /** The path the next page is fetched from (no /v1, as Partner Center writes links). */
  readonly path: string;
  /**
   * What the pages are of, when not a billing period (utilization's time window): carried in the
   * continuation token, so that a next-page request needs only the token.
   */
  readonly scope?: string;
  /** Paged even without `size` (utilization: 1000). */
  readonly defaultSize?: number;
  /** A page (`limit` given) or the whole collection after `after`, of a period (or the scope). */
  readonly fetch: (period: string, page: { after?: string; limit: number } | undefined) => Promise<CollectionPage<T>>;
  /** The collection's size, for routes whose whole collection can be too large to hold at once. */
  readonly count?: () => Promise<number>;
}

// A whole collection larger than this is streamed page by page, so memory stays flat.
const STREAM_ABOVE = 2000;
const STREAM_PAGE = 1000;

/**
 * Answers a usage collection route: the whole collection, or with `size` one keyset page and a
 * next link carrying an MS-ContinuationToken, stored in the response cache (the engine answers
 * from it while the data has not changed; the media type is set there too).
 */
export async function answerCollection<T>(
  deps: ServerDeps,
  caller: Caller,
  req: OperationFastifyRequest,
  reply: FastifyReply,
  route: UsageCollectionRoute<T>,
  /** Where the answer goes in the response cache (the caller looked it up already). */
  cacheAs: { readonly key: string; readonly version: string; readonly state: CachedState },
): Promise<FastifyReply> {
  const query = readCollectionQuery(req);
  const partner = caller.partnerTenantId;
  let period = route.scope ?? resolvePeriod(query.period);
  let size = query.size ?? route.defaultSize;
  let after: string | undefined;
  if (query.continuationToken !== undefined) {
    const cursor = deps.tokens.read(query.continuationToken, { partner, route: route.route, period: query.period });
    ({ period, size, after } = cursor);
  }
  const { key, version, state } = cacheAs;

  if (size === undefined && route.count) {
    const total = await route.count();
    if (total > STREAM_ABOVE) return reply.send(Readable.from(streamCollection(route, period, total)));
  }
  const page = await route.fetch(
    period,
    size === undefined ? undefined : { ...(after === undefined ? {} : { after }), limit: size },
  );
  let next: Link | undefined;
  if (size !== undefined && page.more && page.lastKey !== undefined) {
    const token = deps.tokens.issue({ partner, route: route.route, period, size, after: page.lastKey });
    next = {
      uri: `${route.path}?seek_operation=Next`,
      method: 'GET',
      headers: [{ key: 'MS-ContinuationToken', value: token }],
    };
  }
  return reply.send(deps.cache.set(key, version, stringifyExact(collection(page.items, route.selfUri, next)), state));
}

/**
 * The whole collection, written as it is read, a thousand items at a time. totalCount comes
 * first (as Partner Center writes it), so it is the count taken before the items are read.
 */
async function* streamCollection<T>(
  route: UsageCollectionRoute<T>,
  period: string,
  total: number,
): AsyncGenerator<string> {
  const shell = stringifyExact(collection([], route.selfUri));
  yield `{"totalCount":${total},"items":[`;
  let after: string | undefined;
  let first = true;
  for (;;) {
    const page = await route.fetch(period, { ...(after === undefined ? {} : { after }), limit: STREAM_PAGE });
    if (page.items.length > 0) {
      const items = stringifyExact(page.items);
      yield (first ? '' : ',') + items.slice(1, -1);
      first = false;
    }
    if (!page.more || page.lastKey === undefined) break;
    after = page.lastKey;
  }
  yield shell.slice(shell.indexOf('],"links"'));
}
