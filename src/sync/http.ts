import { SyncError } from './sync-error.js';

export interface HttpOptions {
  readonly fetch?: typeof fetch;
  /** Retries of a throttled request (429, 503) before giving up (default 5). */
  readonly maxRetries?: number;
  /** The longest wait honoured, in seconds: a larger Retry-After is capped to it (default 60). */
  readonly maxWaitSeconds?: number;
  /** The wait when a throttled answer or a running operation gives no Retry-After, in seconds. */
  readonly fallbackWaitSeconds?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The longest wait for an answer's headers, and for the whole of an API answer (default 120 s). */
  readonly requestTimeoutSeconds?: number;
  /** The slowest download accepted, in bytes a second over each window (default 1,024). */
  readonly minBytesPerSecond?: number;
  /** The window the transfer rate is measured over, in seconds (default 60). */
  readonly rateWindowSeconds?: number;
}

/** The defaults of the limits above: docs/sync.md lists them. */
export const HTTP_LIMITS = {
  maxRetries: 5,
  maxWaitSeconds: 60,
  fallbackWaitSeconds: 10,
  requestTimeoutSeconds: 120,
  minBytesPerSecond: 1024,
  rateWindowSeconds: 60,
} as const;

/** An API answer read whole (within its size and time limits). */
export interface Reply {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Headers;
  readonly text: string;
  /** Sent by the endpoint the sync was pointed at: its error bodies may be quoted. */
  readonly trusted: boolean;
}

export interface RequestSpec {
  readonly what: string;
  /** The endpoint the sync was pointed at (its error bodies are quoted; others' are not). */
  readonly trusted: boolean;
  /** The largest answer read (default 16 MiB); past it the request fails naming the limit. */
  readonly maxBytes?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The seconds a Retry-After header asks for (delta-seconds or an HTTP date), capped; the fallback when none. */
export function retryAfterSeconds(header: string | null, options: HttpOptions): number {
  const cap = options.maxWaitSeconds ?? HTTP_LIMITS.maxWaitSeconds;
  const fallback = options.fallbackWaitSeconds ?? HTTP_LIMITS.fallbackWaitSeconds;
  if (header === null || header.trim() === '') return Math.min(fallback, cap);
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), cap) : Math.min(fallback, cap);
}

/** A URL as it may appear in a message or a log: no query (a SAS signature lives there), no credentials. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(a malformed URL)';
  }
}

/** An error code as a host sent it, if it looks like one (letters, digits, dots, dashes). */
const plainCode = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : undefined;

/**
 * What an answer's error says, for a message: Graph's error.message, Partner Center's description,
 * Entra ID's error_description. A host the sync was not pointed at (a blob store, a host a
 * Location header named) gets its status and error code quoted at most, never its body's text.
 */
export function answerMessage(reply: Reply): string {
  const text = reply.text.slice(0, 4000);
  let body: { error?: { message?: string; code?: string } | string; error_description?: string; description?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    const code = plainCode(/<Code>([^<]*)/.exec(text)?.[1]);
    if (!reply.trusted) return code ?? 'no detail quoted from that host';
    const xml = /<Message>([^<]*)/.exec(text);
    if (xml) return xml[1]!.split('\n')[0]!;
    return text.trim().slice(0, 200) || String(reply.status);
  }
  const code = typeof body?.error === 'string' ? body.error : body?.error?.code;
  if (!reply.trusted) return plainCode(code) ?? 'no detail quoted from that host';
  // Entra ID's token endpoint: {"error":"invalid_client","error_description":"…"}.
  if (typeof body?.error === 'string') return `${body.error}: ${body.error_description ?? ''}`.trim();
  const message = body?.error?.message ?? body?.description;
  if (message) return code ? `${code}: ${message}` : message;
  return text.trim().slice(0, 200) || String(reply.status);
}

/** Turns an abort (ours, by a limit) or a socket failure into the SyncError that names it. */
function failure(error: unknown, url: string, what: string, timeoutSeconds: number, timedOut: boolean): SyncError {
  if (error instanceof SyncError) return error;
  if (timedOut)
    return new SyncError(
      'network',
      `${what}: no answer from ${new URL(url).origin} within ${timeoutSeconds} s (the request timeout)`,
      { cause: error },
    );
  const cause = (error as { cause?: { code?: string } }).cause;
  const code = plainCode(cause?.code) ?? plainCode((error as { code?: string }).code);
  return new SyncError(
    'network',
    `${what}: the connection to ${new URL(url).origin} failed${code ? ` (${code})` : ''}`,
    { cause: error },
  );
}

/** An answer whose body is not read yet: streamed by the caller, or read whole (capped) with `read`. */
export interface Opened {
  readonly response: Response;
  /** Aborts the body (the transfer-rate guard uses it). */
  readonly abort: AbortController;
  read(maxBytes?: number): Promise<Reply>;
}

/**
 * A request to Microsoft (or a partner-usage instance, or a blob store) whose answer is streamed:
 * the headers must come within the request timeout; a throttled answer (429, 503) is retried after
 * its Retry-After, capped, a few times; an unreachable endpoint and a refused token are SyncErrors.
 */
export async function open(url: string, init: RequestInit, options: HttpOptions, spec: RequestSpec): Promise<Opened> {
  const doFetch = options.fetch ?? fetch;
  const wait = options.sleep ?? sleep;
  const retries = options.maxRetries ?? HTTP_LIMITS.maxRetries;
  const timeoutSeconds = options.requestTimeoutSeconds ?? HTTP_LIMITS.requestTimeoutSeconds;
  for (let attempt = 0; ; attempt++) {
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutSeconds * 1000);
    let response: Response;
    try {
      response = await doFetch(url, { ...init, signal: abort.signal, redirect: 'manual' });
    } catch (error) {
      throw failure(error, url, spec.what, timeoutSeconds, timedOut);
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 429 || response.status === 503) {
      const seconds = retryAfterSeconds(response.headers.get('retry-after'), options);
      await response.body?.cancel().catch(() => {});
      if (attempt >= retries) {
        throw new SyncError(
          'throttled',
          `${spec.what}: still throttled (${response.status}) after ${retries} retries; try again later`,
        );
      }
      await wait(seconds * 1000);
      continue;
    }
    const opened: Opened = {
      response,
      abort,
      read: (maxBytes) =>
        readReply(response, abort, options, maxBytes === undefined ? spec : { ...spec, maxBytes }, url),
    };
    if (response.status === 401) {
      throw new SyncError('auth', `${spec.what}: the token was refused (401: ${answerMessage(await opened.read())})`);
    }
    return opened;
  }
}

/** The largest API answer read by default: a page of 2,000 line items is about 4 MB. */
const MAX_ANSWER_BYTES = 16 << 20;

async function readReply(
  response: Response,
  abort: AbortController,
  options: HttpOptions,
  spec: RequestSpec,
  url: string,
): Promise<Reply> {
  const maxBytes = spec.maxBytes ?? MAX_ANSWER_BYTES;
  const timeoutSeconds = options.requestTimeoutSeconds ?? HTTP_LIMITS.requestTimeoutSeconds;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutSeconds * 1000);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        size += chunk.length;
        if (size > maxBytes) {
          abort.abort();
          throw new SyncError('protocol', `${spec.what}: the answer is larger than ${maxBytes} bytes (its limit)`);
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (error) {
    throw failure(error, url, spec.what, timeoutSeconds, timedOut);
  } finally {
    clearTimeout(timer);
  }
  return {
    status: response.status,
    ok: response.ok,
    headers: response.headers,
    text: Buffer.concat(chunks).toString('utf8'),
    trusted: spec.trusted,
  };
}

/** A request whose answer is read whole, within the request timeout and `spec.maxBytes`. */
export async function send(url: string, init: RequestInit, options: HttpOptions, spec: RequestSpec): Promise<Reply> {
  return (await open(url, init, options, spec)).read();
}

/** The answer's JSON body, or a protocol SyncError naming what was expected. */
export function jsonOf(reply: Reply, what: string, parse: (text: string) => unknown = JSON.parse): unknown {
  try {
    return parse(reply.text);
  } catch {
    throw new SyncError('protocol', `${what}: the answer is not JSON`);
  }
}
