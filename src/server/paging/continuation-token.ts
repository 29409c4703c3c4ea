import crypto from 'node:crypto';
import { apiErrors } from '../../contract/api-errors.js';

/** Where a page ends, and what the token may be used for. */
export interface PageCursor {
  readonly partner: string;
  readonly route: string;
  readonly period: string;
  readonly size: number;
  /** The last key of the page just served. */
  readonly after: string;
}

/**
 * Continuation tokens: opaque to clients, tamper-evident (HMAC-SHA256 over the cursor), and bound
 * to the partner, route and billing period they were issued for. Format (docs/api.md):
 * base64url(JSON cursor) "." base64url(HMAC).
 */
export class ContinuationTokens {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  issue(cursor: PageCursor): string {
    const body = Buffer.from(
      JSON.stringify([1, cursor.partner, cursor.route, cursor.period, cursor.size, cursor.after]),
    ).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /**
   * The cursor of a token issued for this partner and route (and period, when the request names
   * one); a 400 ApiError otherwise.
   */
  read(token: string, expect: { partner: string; route: string; period: string | undefined }): PageCursor {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined || token.length > 2048) throw apiErrors.invalidContinuationToken();
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
      throw apiErrors.invalidContinuationToken();
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw apiErrors.invalidContinuationToken();
    }
    if (!Array.isArray(fields) || fields[0] !== 1 || fields.length !== 6) throw apiErrors.invalidContinuationToken();
    const [, partner, route, period, size, after] = fields as [number, string, string, string, number, string];
    if (partner !== expect.partner || route !== expect.route) throw apiErrors.invalidContinuationToken();
    if (expect.period !== undefined && period !== expect.period) throw apiErrors.invalidContinuationToken();
    return { partner, route, period, size, after };
  }

  #mac(body: string): string {
    return crypto.createHmac('sha256', this.#secret).update(body).digest('base64url');
  }
}
