/** A token and when it expires (ms since the epoch), as @azure/identity's AccessToken. */
export interface AccessToken {
  readonly token: string;
  readonly expiresOnTimestamp: number;
}

/** Asked for a token whenever the last one is about to expire (and once after a 401). */
export type TokenProvider = () => Promise<string | AccessToken>;

/** Refresh this long before a token expires, so a long walk over pages never sends an expired one. */
const REFRESH_MARGIN_MS = 2 * 60 * 1000;

/** The expiry of a JWT (ms), read without verifying it; undefined when it is not a JWT. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/'))) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Holds the current token of a static string or a provider. */
export class TokenCache {
  readonly #credential: string | TokenProvider;
  #current: AccessToken | undefined;

  constructor(credential: string | TokenProvider) {
    this.#credential = credential;
  }

  get refreshable(): boolean {
    return typeof this.#credential === 'function';
  }

  async token(forceRefresh = false): Promise<string> {
    const credential = this.#credential;
    if (typeof credential === 'string') return credential;
    const current = this.#current;
    if (!forceRefresh && current && current.expiresOnTimestamp - Date.now() > REFRESH_MARGIN_MS) return current.token;
    const given = await credential();
    this.#current = typeof given === 'string' ? { token: given, expiresOnTimestamp: jwtExpiry(given) ?? 0 } : given;
    return this.#current.token;
  }
}
