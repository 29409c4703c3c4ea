import type { Me } from '../../src/contract/resources.js';
import { PartnerCenter } from '../../src/sdk/partner-center.js';

/** What the signed-in user may do (GET /v1/partnerusage/me): the pages hide the rest. */
export type May = Me['may'];

const KEY = 'partner-usage.token';

/** The token lives in session storage: gone with the tab, never in a URL or a log. */
export const savedToken = (): string | null => sessionStorage.getItem(KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);

/** Our own SDK against this server's origin: Partner Center's routes and our documented extensions. */
export const clientFor = (token: string): PartnerCenter =>
  new PartnerCenter({ baseUrl: window.location.origin, credential: token, maxRetries: 1, timeoutMs: 30_000 });

/** Embedded mode on this machine: the server hands out a token for its partner. */
export async function developmentToken(): Promise<string> {
  const r = await fetch('/v1/partnerusage/dev-token', { method: 'POST' });
  if (!r.ok) throw new Error('This server gives no development token (embedded mode on localhost only).');
  return ((await r.json()) as { token: string }).token;
}

export const isLocalhost = (): boolean => /^(localhost|127\.[\d.]+|\[::1\])$/.test(window.location.hostname);

/** A failure as a sentence: Partner Center's fault description when there is one. */
export function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'description' in error && typeof error.description === 'string') {
    return error.description;
  }
  return error instanceof Error ? error.message : String(error);
}
