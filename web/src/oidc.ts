import * as oauth from 'oauth4webapi';
import type { SignIn } from '../../src/contract/sign-in.js';

// Sign-in with OpenID Connect (issue #30): the authorization code flow with PKCE, a public client
// (no secret in a page), through oauth4webapi. The verifier and state wait in session storage for
// the provider to send the browser back to /signed-in; the code is exchanged there and the URL
// replaced at once, so that no code or token stays in the address bar or the history.

const PENDING = 'partner-usage.sign-in';
export const CALLBACK_PATH = '/signed-in';

/** The configured provider, or undefined when the server has none (the pasted token only). */
export async function signInSettings(): Promise<SignIn | undefined> {
  const r = await fetch('/v1/partnerusage/sign-in');
  return r.ok ? ((await r.json()) as SignIn) : undefined;
}

const serverOf = (s: SignIn): oauth.AuthorizationServer => ({
  issuer: s.issuer,
  authorization_endpoint: s.authorizationEndpoint,
  token_endpoint: s.tokenEndpoint,
});
const redirectUri = () => `${window.location.origin}${CALLBACK_PATH}`;
/** Plain HTTP only to a provider on this machine (a test's, a developer's). */
const loopback = (s: SignIn) => /^http:\/\/(localhost|127\.[\d.]+|\[::1\])(:\d+)?\//.test(s.tokenEndpoint);

/** Sends the browser to the provider. */
export async function startSignIn(s: SignIn): Promise<void> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, settings: s }));
  const url = new URL(s.authorizationEndpoint);
  url.searchParams.set('client_id', s.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', s.scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  window.location.assign(url.toString());
}

/** Back from the provider: the access token for the code in the URL (which is then removed from it). */
export async function completeSignIn(): Promise<string> {
  const here = new URL(window.location.href);
  window.history.replaceState(null, '', '/');
  const pending = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (!pending) throw new Error('No sign-in was started in this tab: sign in again.');
  const { verifier, state, settings } = JSON.parse(pending) as { verifier: string; state: string; settings: SignIn };
  const as = serverOf(settings);
  const client: oauth.Client = { client_id: settings.clientId };
  const options = loopback(settings) ? { [oauth.allowInsecureRequests]: true } : {};
  const params = oauth.validateAuthResponse(as, client, here, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    verifier,
    options,
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response);
  return result.access_token;
}

/** When a JWT access token expires (ms since the epoch); undefined for a token that is not a JWT. */
export function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
