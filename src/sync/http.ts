import { SyncError } from './sync-error.js';

export interface HttpOptions {
  readonly fetch?: typeof fetch;
  /** Retries of a throttled request (429, 503) before giving up. */
  readonly maxRetries?: number;
  /** The longest wait honoured, in seconds: a larger Retry-After is capped to it. */
  readonly maxWaitSeconds?: number;
  /** The wait when a throttled answer or a running operation gives no Retry-After, in seconds. */
  readonly fallbackWaitSeconds?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The seconds a Retry-After header asks for (delta-seconds or an HTTP date), capped; the fallback when none. */
export function retryAfterSeconds(header: string | null, options: HttpOptions): number {
  const cap = options.maxWaitSeconds ?? 60;
  const fallback = options.fallbackWaitSeconds ?? 10;
  if (header === null || header.trim() === '') return Math.min(fallback, cap);
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), cap) : Math.min(fallback, cap);
}

/** The error an answer carries: Graph's error.message, Partner Center's description, Azure Storage's <Message>. */
export async function answerMessage(response: Response): Promise<string> {
  const text = (await response.text().catch(() => '')).slice(0, 4000);
  try {
    const body = JSON.parse(text) as {
      error?: { message?: string; code?: string } | string;
      error_description?: string;
      description?: string;
    };
    // Entra ID's token endpoint: {"error":"invalid_client","error_description":"…"}.
    if (typeof body.error === 'string') return `${body.error}: ${body.error_description ?? ''}`.trim();
    const message = body.error?.message ?? body.description;
    if (message) return body.error?.code ? `${body.error.code}: ${message}` : message;
  } catch {
    const xml = /<Message>([^<]*)/.exec(text);
    if (xml) return xml[1]!.split('\n')[0]!;
  }
  return text.trim().slice(0, 200) || response.statusText;
}

/**
 * A request to Microsoft's (or a partner-usage instance's) API: a throttled answer (429, 503) is
 * retried after its Retry-After, capped, a few times; an unreachable endpoint and a refused token
 * are SyncErrors; any other answer is the caller's to read.
 */
export async function send(url: string, init: RequestInit, options: HttpOptions, what: string): Promise<Response> {
  const doFetch = options.fetch ?? fetch;
  const wait = options.sleep ?? sleep;
  const retries = options.maxRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await doFetch(url, init);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new SyncError(
        'network',
        `${what}: cannot reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
        { cause: error },
      );
    }
    if (response.status === 429 || response.status === 503) {
      const seconds = retryAfterSeconds(response.headers.get('retry-after'), options);
      await response.body?.cancel();
      if (attempt >= retries) {
        throw new SyncError(
          'throttled',
          `${what}: still throttled (${response.status}) after ${retries} retries; try again later`,
        );
      }
      await wait(seconds * 1000);
      continue;
    }
    if (response.status === 401) {
      throw new SyncError('auth', `${what}: the token was refused (401: ${await answerMessage(response)})`);
    }
    return response;
  }
}
