import type { AccessToken, TokenProvider } from './credentials.js';

/** Partner Center's scope for Entra ID v2 tokens. */
export const PARTNER_CENTER_SCOPE = 'https://api.partnercenter.microsoft.com/.default';

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
  /** Default https://login.microsoftonline.com. */
  readonly authorityHost?: string;
  /** Default Partner Center's .default scope. */
  readonly scopes?: readonly string[];
  /** @internal another msal-node (tests). */
  readonly msal?: MsalModule;
}

async function confidentialClient(options: EntraAppOptions): Promise<ConfidentialClient> {
  const msal = options.msal ?? ((await import('@azure/msal-node' as string)) as MsalModule);
  return new msal.ConfidentialClientApplication({
    auth: {
      clientId: options.clientId,
      authority: `${options.authorityHost ?? 'https://login.microsoftonline.com'}/${options.tenantId}`,
      clientSecret: options.clientSecret,
    },
  });
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
      scopes: [...(options.scopes ?? [PARTNER_CENTER_SCOPE])],
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
    const result = await (
      await client
    ).acquireTokenByClientCredential({ scopes: [...(options.scopes ?? [PARTNER_CENTER_SCOPE])] });
    return accessToken(result, 'client credentials');
  };
}
