import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hostOf, mayReach, webhookAllowList } from '../domain/webhook-target.js';

/** How long a receiver has to answer one attempt. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** A failed attempt, said as the delivery log shows it: never the socket's detail. */
export class DeliveryFailure extends Error {}

/** The address to connect to: the name resolved once, every address checked, the first one pinned. */
async function pinnedAddress(url: URL): Promise<{ address: string; family: number }> {
  const host = hostOf(url);
  const allow = webhookAllowList();
  let addresses: dns.LookupAddress[];
  if (net.isIP(host) !== 0) addresses = [{ address: host, family: net.isIP(host) }];
  else {
    try {
      addresses = await dns.promises.lookup(host, { all: true, verbatim: true });
    } catch {
      throw new DeliveryFailure('name not resolved');
    }
  }
  // Every address must be reachable: a name resolving to a public and a private one is refused.
  if (addresses.length === 0 || !addresses.every((a) => mayReach(host, a.address, allow))) {
    throw new DeliveryFailure('refused: the address is private');
  }
  return addresses[0]!;
}

/**
 * Posts one webhook signed as the Standard Webhooks specification says: `webhook-id` (the same on
 * every attempt, so receivers deduplicate), `webhook-timestamp` (seconds) and `webhook-signature`
 * (`v1,` + HMAC-SHA256 of `id.timestamp.body` with the endpoint's `whsec_` secret), through the
 * specification's own library. The host is resolved here and the connection made to that very
 * address (a name that rebinds to a private address between check and connect cannot switch it);
 * redirects are not followed. A 2xx answer is delivered; anything else throws a DeliveryFailure.
 */
export async function sendWebhook(
  url: string,
  secret: string,
  messageId: string,
  body: string,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<void> {
  const target = new URL(url);
  const now = new Date();
  const signature = new Webhook(secret).sign(messageId, now, body);
  const deadline = AbortSignal.timeout(timeoutMs);
  const pinned = await pinnedAddress(target);
  const client = target.protocol === 'https:' ? https : http;
  const status = await new Promise<number>((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'partner-usage-webhooks',
          'webhook-id': messageId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
        signal: deadline,
        // Node asks for every address (all: true) when it may try several families: one, pinned.
        lookup: ((_host: string, options: { all?: boolean }, done: (...args: unknown[]) => void) =>
          options.all
            ? done(null, [pinned])
            : done(null, pinned.address, pinned.family)) as unknown as typeof dns.lookup,
        agent: false,
      },
      (response) => {
        response.resume(); // the body is not read: only the status counts
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', () =>
      reject(new DeliveryFailure(deadline.aborted ? `timeout after ${timeoutMs / 1000} s` : 'connection failed')),
    );
    request.end(body);
  });
  if (status < 200 || status > 299) throw new DeliveryFailure(`HTTP ${status}`);
}
