import type { Link, ResourceCollection } from '../contract/resources.js';
import { numberOf, type ApiClient, type ApiResponse, type RequestOptions } from './client.js';

/** The response's ids, on every result (not enumerable: JSON.stringify of a result is the body). */
export interface ResponseIds {
  readonly requestId: string;
  readonly correlationId: string | undefined;
}

export type Page<T> = ResourceCollection<T> & ResponseIds;

export interface ListOptions extends RequestOptions {
  /** `period=YYYY-MM`: a past billing period (a partner-usage extension; Partner Center serves the current one). */
  readonly period?: string;
  /** `size=N`: pages of N (a partner-usage extension); without it the server answers in one response. */
  readonly size?: number;
}

/** Attaches the response ids to a parsed body. */
export function withIds<T extends object>(body: T, response: ApiResponse): T & ResponseIds {
  Object.defineProperty(body, 'requestId', { value: response.requestId, enumerable: false });
  Object.defineProperty(body, 'correlationId', { value: response.correlationId, enumerable: false });
  return body as T & ResponseIds;
}

function asPage<T>(response: ApiResponse): Page<T> {
  const body = response.body as ResourceCollection<T> & { totalCount: unknown };
  return withIds({ ...body, totalCount: numberOf(body.totalCount) } as ResourceCollection<T>, response);
}

/**
 * A collection route: `get()` answers the collection as served; `pages()` follows `links.next`
 * (sending its MS-ContinuationToken header) page by page; `list()` yields every item.
 */
export class CollectionRequest<T> {
  constructor(
    private readonly client: ApiClient,
    private readonly path: string,
  ) {}

  async get(options: ListOptions = {}): Promise<Page<T>> {
    const query = new URLSearchParams();
    if (options.period !== undefined) query.set('period', options.period);
    if (options.size !== undefined) query.set('size', String(options.size));
    const search = query.size > 0 ? `?${query.toString()}` : '';
    return this.at(`${this.path}${search}`, options);
  }

  /** The page at a path with its query. */
  async at(pathAndQuery: string, options: RequestOptions = {}): Promise<Page<T>> {
    return asPage<T>(await this.client.request('GET', pathAndQuery, options));
  }

  async *pages(options: ListOptions = {}): AsyncGenerator<Page<T>> {
    let page = await this.get(options);
    yield page;
    while (page.links.next) {
      page = await this.next(page.links.next, options);
      yield page;
    }
  }

  async *list(options: ListOptions = {}): AsyncGenerator<T> {
    for await (const page of this.pages(options)) yield* page.items;
  }

  /** The page a `links.next` points at. */
  async next(link: Link, options: RequestOptions = {}): Promise<Page<T>> {
    const headers = Object.fromEntries(link.headers.map((h) => [h.key, h.value]));
    return asPage<T>(
      await this.client.request(link.method || 'GET', link.uri, {
        ...options,
        headers: { ...options.headers, ...headers },
      }),
    );
  }
}

/** A route answering one resource. */
export class ResourceRequest<T extends object> {
  constructor(
    protected readonly client: ApiClient,
    protected readonly path: string,
  ) {}

  /** `period` (a partner-usage extension) asks for a past billing period. */
  async get(options: RequestOptions & { readonly period?: string } = {}): Promise<T & ResponseIds> {
    const search = options.period === undefined ? '' : `?period=${encodeURIComponent(options.period)}`;
    const response = await this.client.request('GET', `${this.path}${search}`, options);
    return withIds(response.body as T, response);
  }
}
