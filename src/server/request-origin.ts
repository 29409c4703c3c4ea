const LOOPBACK_PEER = /^(127\.|::1$|::ffff:127\.)/;
/** A Host (or an Origin's host) naming this machine: localhost, 127.x.x.x or [::1], with any port. */
const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?$/i;

/**
 * Whether a request comes from this machine: a loopback peer that no proxy forwarded. A reverse
 * proxy on the same machine connects from 127.0.0.1 for everyone it serves; the headers it adds
 * (X-Forwarded-For, Forwarded, X-Real-IP) say the request is not this machine's own.
 */
export function fromThisMachine(req: {
  readonly socket: { readonly remoteAddress?: string | undefined };
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}): boolean {
  const { headers } = req;
  return (
    LOOPBACK_PEER.test(req.socket.remoteAddress ?? '') &&
    headers['x-forwarded-for'] === undefined &&
    headers.forwarded === undefined &&
    headers['x-real-ip'] === undefined
  );
}

/** Whether an Origin, when a browser sent one, is the request's own Host: not another site's page. */
export function sameOrigin(host: string | undefined, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Whether a request comes from this machine's own pages or tools: its Host names this machine (a
 * rebinding name pointing at 127.0.0.1 does not), and an Origin, when sent, is that same host.
 */
export function sameMachine(host: string | undefined, origin: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host) && sameOrigin(host, origin);
}
