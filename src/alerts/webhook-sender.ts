import { Webhook } from 'standardwebhooks';

/** How long a receiver has to answer one attempt. */
const TIMEOUT_MS = 10_000;

/**
 * Posts one webhook signed as the Standard Webhooks specification says: `webhook-id` (the same on
 * every attempt, so receivers deduplicate), `webhook-timestamp` (seconds) and `webhook-signature`
 * (`v1,` + HMAC-SHA256 of `id.timestamp.body` with the endpoint's `whsec_` secret), through the
 * specification's own library. A 2xx answer is delivered; anything else throws, saying what.
 */
export async function sendWebhook(url: string, secret: string, messageId: string, body: string): Promise<void> {
  const now = new Date();
  const signature = new Webhook(secret).sign(messageId, now, body);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'partner-usage-webhooks',
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
  } catch (error) {
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new Error(`could not reach ${url}: ${cause}`);
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) throw new Error(`${url} answered ${response.status}`);
}
