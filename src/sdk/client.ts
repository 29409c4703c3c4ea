import { CLOUDS, CLOUD_NAMES, type CloudName } from '../contract/clouds.js';
import { parseExact, type JsonDecimal } from '../contract/exact-json.js';
import { TokenCache, type TokenProvider } from './credentials.js';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  DataNotReadyError,
  retryAfterSeconds,
} from './errors.js';

export const PARTNER_CENTER_URL = CLOUDS.global.partnerCenter;
/** Partner Center operated by 21Vianet (China). */
export const PARTNER_CENTER_CHINA_URL = CLOUDS.china.partnerCenter;

export interface ClientOptions {
  /** A partner-usage server's origin, or Partner Center elsewhere; default: the cloud's Partner Center. */
  readonly baseUrl?: string;
  /** Microsoft's cloud whose Partner Center is the default baseUrl: global (default), usgov or china. */
  readonly cloud?: CloudName;
  /** A bearer token, or a provider asked again when its token is about to expire. */
  readonly credential: string | TokenProvider;
  /** Retries of a call after 408, 429, 5xx, a network error or a timeout (default 2). */
  readonly maxRetries?: number;
  /** Per attempt (default 180 s, as Partner Center's .NET SDK). */
  readonly timeoutMs?: number;
  /** MS-PartnerCenter-Application. */
  readonly application?: string;
  /** X-Locale (default en-US). */
  readonly locale?: string;
  /** MS-CorrelationId for every call of this client (default: a new GUID per client). */
  readonly correlationId?: string;
  /** Another fetch (tests, proxies). */
  readonly fetch?: typeof fetch;
}

export interface RequestOptions {
  readonly maxRetries?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly correlationId?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A successful response, its body parsed with exact numbers (JsonDecimal). */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
  readonly requestId: string;
  readonly correlationId: string | undefined;
}

/**
 * Refuses options that would only fail later, naming what is wrong: a missing credential, or one
 * under another name (`token`, `accessToken`…).
 */
function checkOptions(options: ClientOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('PartnerCenter needs options: { baseUrl?, credential }');
  }
  const known = new Set([
    'baseUrl',
    'cloud',
    'credential',
    'maxRetries',
    'timeoutMs',
    'application',
    'locale',
    'correlationId',
    'fetch',
  ]);
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  const credential = (options as { credential?: unknown }).credential;
  if (typeof credential !== 'string' && typeof credential !== 'function') {
    const hint =
      unknown.length > 0 ? ` (got ${unknown.map((k) => `'${k}'`).join(', ')}: the option is named 'credential')` : '';
    throw new TypeError(`PartnerCenter needs a credential: a bearer token string or a function returning one${hint}`);
  }
  if (typeof credential === 'string' && credential.trim() === '')
    throw new TypeError('The credential is an empty string');
  if (unknown.length > 0)
    throw new TypeError(`Unknown PartnerCenter option${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  if (options.cloud !== undefined && !CLOUD_NAMES.includes(options.cloud)) {
    throw new TypeError(`cloud must be ${CLOUD_NAMES.join(', ')}, got ${JSON.stringify(options.cloud)}`);
  }
  if (options.baseUrl !== undefined && !/^https?:\/\/[^/]/i.test(options.baseUrl)) {
    throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
  }
}

const RETRY_AFTER_CAP_S = 60;
const INITIAL_DELAY_S = 0.5;
const MAX_DELAY_S = 8;

/**
 * The request pipeline: auth, Partner Center's headers (one MS-RequestId per logical call, the
 * same on every retry), timeouts, aborts, retries with backoff, and errors by status.
 */
export class ApiClient {
  readonly baseUrl: string;
  readonly #tokens: TokenCache;
  readonly #options: ClientOptions;
  readonly #fetch: typeof fetch;
  readonly #correlationId: string;

  constructor(options: ClientOptions) {
    checkOptions(options);
    this.#options = { ...options };
    this.baseUrl = (options.baseUrl ?? CLOUDS[options.cloud ?? 'global'].partnerCenter).replace(/\/+$/, '');
    this.#tokens = new TokenCache(options.credential);
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#correlationId = options.correlationId ?? crypto.randomUUID();
  }

  /** The absolute URL of a path or link uri, in any of Partner Center's forms (with or without /v1, leading /). */
  url(pathOrUri: string): string {
    if (/^https?:\/\//i.test(pathOrUri)) return pathOrUri;
    const path = pathOrUri.startsWith('/') ? pathOrUri : `/${pathOrUri}`;
    return `${this.baseUrl}${/^\/v1(\/|\?|$)/.test(path) ? '' : '/v1'}${path}`;
  }

  /**
   * One logical call. `file`: a successful answer's body is left unread and handed back as the
   * Response (a download: read it as a stream or a Blob); errors are read and thrown as always.
   */
  async request(
    method: string,
    pathOrUri: string,
    options: RequestOptions & { body?: string; file?: boolean } = {},
  ): Promise<ApiResponse> {
    const requestId = crypto.randomUUID();
    const correlationId = options.correlationId ?? this.#correlationId;
    const maxRetries = options.maxRetries ?? this.#options.maxRetries ?? 2;
    let refreshedAfter401 = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.#tokens.token();
      const headers: Record<string, string> = {
        Accept: 'application/json',
        Authorization: `Bearer ${token}`,
        'MS-RequestId': requestId,
        'MS-CorrelationId': correlationId,
        'X-Locale': this.#options.locale ?? 'en-US',
        ...(this.#options.application ? { 'MS-PartnerCenter-Application': this.#options.application } : {}),
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...options.headers,
      };
      let response: Response;
      try {
        const init: RequestInit =
          options.body === undefined ? { method, headers } : { method, headers, body: options.body };
        response = await this.#fetchWithTimeout(this.url(pathOrUri), init, options);
      } catch (error) {
        if (error instanceof APIUserAbortError || attempt >= maxRetries) throw error;
        await sleep(backoff(attempt), options.signal);
        continue;
      }
      const retryAfter = retryAfterSeconds(response.headers);
      if (response.status === 204 && retryAfter !== undefined) {
        // Partner Center's "the data is not ready yet".
        if (attempt >= maxRetries)
          throw new DataNotReadyError(retryAfter, response.headers.get('ms-requestid') ?? requestId);
        await sleep(Math.min(retryAfter, RETRY_AFTER_CAP_S), options.signal);
        continue;
      }
      const body = response.ok && options.file ? response : parseBody(await response.text());
      if (response.ok) {
        return {
          status: response.status,
          body,
          headers: response.headers,
          requestId: response.headers.get('ms-requestid') ?? requestId,
          correlationId: response.headers.get('ms-correlationid') ?? undefined,
        };
      }
      if (response.status === 401 && this.#tokens.refreshable && !refreshedAfter401) {
        refreshedAfter401 = true; // the token may have been revoked or expired early: ask once more
        await this.#tokens.token(true);
        attempt--;
        continue;
      }
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      if (retryable && attempt < maxRetries) {
        await sleep(
          retryAfter !== undefined ? Math.min(retryAfter, RETRY_AFTER_CAP_S) : backoff(attempt),
          options.signal,
        );
        continue;
      }
      throw APIError.generate(response.status, body, response.headers);
    }
  }

  async #fetchWithTimeout(url: string, init: RequestInit, options: RequestOptions): Promise<Response> {
    // Before the timer: a call aborted already must not leave a timer keeping the process alive.
    if (options.signal?.aborted) throw new APIUserAbortError('the request was aborted');
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 180_000;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#fetch(url, { ...init, signal: controller.signal });
    } catch (error) {
      if (options.signal?.aborted) throw new APIUserAbortError('the request was aborted', { cause: error });
      if (timedOut) throw new APIConnectionTimeoutError(`no response within ${timeoutMs} ms`, { cause: error });
      throw new APIConnectionError(`the request failed: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return parseExact(text);
  } catch {
    return text;
  }
}

/** Exponential backoff with up to 25% jitter: 0.5 s, 1 s, 2 s … at most 8 s. */
function backoff(attempt: number): number {
  return Math.min(INITIAL_DELAY_S * 2 ** attempt, MAX_DELAY_S) * (1 - Math.random() * 0.25);
}

function sleep(seconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError('the request was aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, seconds * 1000);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError('the request was aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A JSON number read exactly, as a double (counts, codes). */
export function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : Number((value as JsonDecimal | undefined)?.text ?? NaN);
}
