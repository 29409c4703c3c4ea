import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { ROLE_CLAIMS, type Role } from '../../src/contract/access.js';
import { PARTNER_CENTER_AUDIENCE } from '../../src/server/auth/token-settings.js';

/** A person who signs in at the test provider: its tenant (the `tid` claim) and app role. */
export interface OidcUser {
  readonly tenant: string;
  readonly role?: Role;
  /** Its access tokens' lifetime (default an hour). */
  readonly tokenSeconds?: number;
}

export interface TestOidcProvider {
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly clientId: string;
  close(): Promise<void>;
}

/**
 * A real OpenID provider in the test process — `oidc-provider`, a certified implementation — on
 * 127.0.0.1: one public client (authorization code with PKCE) whose redirect URI is the
 * dashboard's, and users by login name. Access tokens are JWTs for Partner Center's audience with
 * the claims Entra ID puts in one (tid, upn, scp, roles), signed with the provider's own key and
 * verified by partner-usage through discovery, as Entra ID's are. Its own login and consent pages
 * (the "dev interactions") are what a browser fills in and clicks through.
 */
export async function startOidcProvider(options: {
  readonly redirectUri: string;
  readonly users: Readonly<Record<string, OidcUser>>;
}): Promise<TestOidcProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const clientId = 'partner-usage-dashboard';
  const userOf = (id: string) => options.users[id];
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test-key' }] },
    cookies: { keys: ['a cookie key for the test provider only'] },
    pkce: { required: () => true },
    ttl: {
      AccessToken: (_ctx, token) => ('accountId' in token && userOf(String(token.accountId))?.tokenSeconds) || 3600,
    },
    scopes: ['openid', 'user_impersonation'],
    findAccount: (_ctx, id) =>
      userOf(id) ? { accountId: id, claims: () => ({ sub: id, preferred_username: id }) } : undefined,
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => PARTNER_CENTER_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'user_impersonation',
          audience: PARTNER_CENTER_AUDIENCE,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // What Entra ID puts in a delegated access token, so that partner-usage reads it as it reads Entra ID's.
    extraTokenClaims: (_ctx, token) => {
      const id = 'accountId' in token ? token.accountId : undefined;
      const user = id ? userOf(id) : undefined;
      if (!user) return undefined;
      return {
        tid: user.tenant,
        upn: id,
        scp: 'user_impersonation',
        idtyp: 'user',
        ...(user.role ? { roles: [ROLE_CLAIMS[user.role]] } : {}),
      };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    clientId,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
