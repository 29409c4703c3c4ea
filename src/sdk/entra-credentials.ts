import { CLOUDS, defaultScope, type CloudName } from '../contract/clouds.js';
import type { AccessToken, TokenProvider } from './credentials.js';

/** Partner Center's scope for Entra ID v2 tokens (the global cloud's). */
export const PARTNER_CENTER_SCOPE = defaultScope('partner-center');

// The slice of @azure/msal-node these helpers use, typed here so that msal-node stays an
// optional peer dependency: it is loaded only when a helper is called.
interface AuthenticationResult {
  readonly accessToken: string;
  readonly expiresOn: Date | null;
}
interface ConfidentialClient {
  acquireTokenByClientCredential(request: { scopes: string[] }): Promise<AuthenticationResult | null>;
  acquireTokenByRefreshToken(request: { scopes: string[]; refreshToken: string }): Promise<AuthenticationResult | null>;
}
export interface MsalModule {
  ConfidentialClientApplication: new (config: {
    auth: { clientId: string; authority: string; clientSecret: string };
  }) => ConfidentialClient;
}

export interface EntraAppOptions {
  /** The partner's tenant (id or domain). */
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Microsoft's cloud: global (default), usgov or china; sets the authority and the scope. */
  readonly cloud?: CloudName;
  /** Default: the cloud's Entra ID (https://login.microsoftonline.com). */
  readonly authorityHost?: string;
  /** Default: the cloud's Partner Center .default scope. */
  readonly scopes?: readonly string[];
  /** @internal another msal-node (tests). */
  readonly msal?: MsalModule;
}

async function confidentialClient(options: EntraAppOptions): Promise<ConfidentialClient> {
  const msal = options.msal ?? ((await import('@azure/msal-node' as string)) as MsalModule);
  return new msal.ConfidentialClientApplication({
    auth: {
      clientId: options.clientId,
      authority: `${options.authorityHost ?? CLOUDS[options.cloud ?? 'global'].authority}/${options.tenantId}`,
      clientSecret: options.clientSecret,
    },
  });
}

function scopesOf(options: EntraAppOptions): string[] {
  return [...(options.scopes ?? [defaultScope('partner-center', options.cloud)])];
}

function accessToken(result: AuthenticationResult | null, flow: string): AccessToken {
  if (!result) throw new Error(`Entra ID returned no token for the ${flow} flow`);
  return { token: result.accessToken, expiresOnTimestamp: result.expiresOn?.getTime() ?? Date.now() + 5 * 60_000 };
}

/**
 * App+User tokens from a stored refresh token (Partner Center's "secure application model"),
 * through @azure/msal-node (install it beside this package).
 */
export function refreshTokenCredential(options: EntraAppOptions & { readonly refreshToken: string }): TokenProvider {
  let client: Promise<ConfidentialClient> | undefined;
  return async () => {
    client ??= confidentialClient(options);
    const result = await (
      await client
    ).acquireTokenByRefreshToken({
      scopes: scopesOf(options),
      refreshToken: options.refreshToken,
    });
    return accessToken(result, 'refresh token');
  };
}

/**
 * App-only tokens (client credentials), through @azure/msal-node. Partner Center's usage-record
 * routes are App+User only and answer such tokens with 403; budgets and utilization take them.
 */
export function clientCredentialsCredential(options: EntraAppOptions): TokenProvider {
  let client: Promise<ConfidentialClient> | undefined;
  return async () => {
    client ??= confidentialClient(options);
    const result = await (await client).acquireTokenByClientCredential({ scopes: scopesOf(options) });
    return accessToken(result, 'client credentials');
  };
}
