import { discoverJwks, TokenVerifier, type Discovered } from './auth/token-verifier.js';
import type { Store } from '../storage/store.js';
import { ROLES, type Role } from '../contract/access.js';
import type { SignIn } from '../contract/sign-in.js';
import { loadOrCreateLocalKeys, type LocalKeys } from './auth/local-keys.js';
import { LOCAL_ISSUER } from './auth/token-settings.js';
import { CLOUDS, cloudNamed, graphAudiences, type Cloud } from '../contract/clouds.js';
import { ContinuationTokens } from './paging/continuation-token.js';

/** How tokens are verified: the local key pair (embedded default), or Entra ID via OIDC discovery. */
export interface AuthSettings {
  /** PARTNER_USAGE_OIDC_DISCOVERY: an OpenID configuration URL; set, only its tokens are accepted. */
  readonly oidcDiscoveryUrl?: string | undefined;
  /** PARTNER_USAGE_ISSUERS: accepted issuers, `{tid}` for the token's tenant (default: the discovered one). */
  readonly issuers?: readonly string[] | undefined;
  /** PARTNER_USAGE_CLOUD (`serve --cloud`): the cloud whose Partner Center and Graph audiences tokens carry. */
  readonly cloud?: Cloud | undefined;
  /** PARTNER_USAGE_AUDIENCE, comma-separated (default: the cloud's Partner Center, https://api.partnercenter.microsoft.com). */
  readonly audience?: string | readonly string[] | undefined;
  /** PARTNER_USAGE_TENANTS: the partner tenants served (default: any whose token verifies). */
  readonly tenants?: readonly string[] | undefined;
  /** PARTNER_USAGE_ROLE_GROUPS: `<group object id>=<role>,…`, roles from the `groups` claim. */
  readonly roleGroups?: ReadonlyMap<string, Role> | undefined;
  /** PARTNER_USAGE_OIDC_CLIENT_ID: the dashboard's application (client) id; with discovery, its "Sign in with …" button. */
  readonly oidcClientId?: string | undefined;
  /** PARTNER_USAGE_OIDC_SCOPE: what the dashboard asks for (Entra ID: api://<app id>/user_impersonation). */
  readonly oidcScope?: string | undefined;
  /** PARTNER_USAGE_OIDC_PROVIDER_NAME: the button's provider (default Microsoft for Entra ID, else the issuer's host). */
  readonly oidcProviderName?: string | undefined;
}

export function authSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AuthSettings {
  // A comma-separated setting; unset or empty: undefined (the default).
  const list = (v: string | undefined) => {
    const items = v
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return items?.length ? items : undefined;
  };
  return {
    cloud: env.PARTNER_USAGE_CLOUD?.trim() ? cloudNamed(env.PARTNER_USAGE_CLOUD) : undefined,
    oidcDiscoveryUrl: env.PARTNER_USAGE_OIDC_DISCOVERY?.trim() || undefined,
    issuers: list(env.PARTNER_USAGE_ISSUERS),
    // Comma-separated: Partner Center's audience for its clients and the dashboard's own API's, for example.
    audience: list(env.PARTNER_USAGE_AUDIENCE),
    tenants: list(env.PARTNER_USAGE_TENANTS)?.map((t) => t.toLowerCase()),
    roleGroups: roleGroupsOf(list(env.PARTNER_USAGE_ROLE_GROUPS)),
    oidcClientId: env.PARTNER_USAGE_OIDC_CLIENT_ID?.trim() || undefined,
    oidcScope: env.PARTNER_USAGE_OIDC_SCOPE?.trim() || undefined,
    oidcProviderName: env.PARTNER_USAGE_OIDC_PROVIDER_NAME?.trim() || undefined,
  };
}

/** `<group id>=<role>` pairs; throws on one that is not, so that a typo never silently grants nothing. */
function roleGroupsOf(pairs: string[] | undefined): ReadonlyMap<string, Role> | undefined {
  if (!pairs) return undefined;
  return new Map(
    pairs.map((pair) => {
      const [group = '', role = ''] = pair.split('=').map((s) => s.trim());
      const known = ROLES.find((r) => r === role.toLowerCase());
      if (!group || !known)
        throw new Error(`PARTNER_USAGE_ROLE_GROUPS: '${pair}' is not <group id>=admin|analyst|viewer`);
      return [group.toLowerCase(), known];
    }),
  );
}

export interface ServerAuth {
  readonly verifier: TokenVerifier;
  /** Tokens for Microsoft Graph's audience: the emulated partner billing exports take these. */
  readonly graphVerifier: TokenVerifier;
  readonly tokens: ContinuationTokens;
  readonly keys: LocalKeys;
  readonly mode: 'local' | 'oidc';
  /** The dashboard's sign-in (authorization code with PKCE), where discovery and a client id are set. */
  readonly signIn?: SignIn;
}

/** The sign-in of a discovery document and the settings, or undefined without a client id. */
function signInOf(settings: AuthSettings, cloud: Cloud, discovered: Discovered): SignIn | undefined {
  const { authorizationEndpoint, tokenEndpoint, issuer } = discovered;
  if (!settings.oidcClientId) return undefined;
  if (!authorizationEndpoint || !tokenEndpoint)
    throw new Error(
      'PARTNER_USAGE_OIDC_CLIENT_ID is set, but the discovery document has no authorization or token endpoint',
    );
  const host = new URL(authorizationEndpoint).hostname;
  return {
    providerName:
      settings.oidcProviderName ??
      (/(^|\.)login\.(microsoftonline\.(com|us)|chinacloudapi\.cn)$/.test(host) ? 'Microsoft' : host),
    issuer,
    authorizationEndpoint,
    tokenEndpoint,
    clientId: settings.oidcClientId,
    // Partner Center's delegated scope: what an Entra ID app registered for Partner Center asks for.
    scope: settings.oidcScope ?? `${cloud.partnerCenter}/user_impersonation`,
  };
}

/** The verifier and continuation tokens of a server on `store` (whose secrets every node shares). */
export async function createServerAuth(store: Pick<Store, 'secret'>, settings: AuthSettings = {}): Promise<ServerAuth> {
  const keys = await loadOrCreateLocalKeys(store);
  const tokens = new ContinuationTokens(keys.hmacSecret);
  const cloud = settings.cloud ?? CLOUDS.global;
  const graphAudience = graphAudiences(cloud);
  const common = {
    audience: settings.audience ?? cloud.partnerCenter,
    ...(settings.tenants ? { allowedTenants: settings.tenants } : {}),
    ...(settings.roleGroups ? { roleGroups: settings.roleGroups } : {}),
  };
  if (settings.oidcDiscoveryUrl) {
    const discovered = await discoverJwks(settings.oidcDiscoveryUrl);
    const { keys: jwks, issuer } = discovered;
    const signIn = signInOf(settings, cloud, discovered);
    // Entra ID's multi-tenant documents write the tenant as {tenantid}.
    const issuers = settings.issuers ?? [issuer.replace('{tenantid}', '{tid}')];
    return {
      verifier: new TokenVerifier({ keys: jwks, issuers, ...common }),
      graphVerifier: new TokenVerifier({ keys: jwks, issuers, ...common, audience: graphAudience }),
      tokens,
      keys,
      mode: 'oidc',
      ...(signIn ? { signIn } : {}),
    };
  }
  const issuers = settings.issuers ?? [LOCAL_ISSUER];
  return {
    verifier: new TokenVerifier({ keys: keys.publicKey, issuers, ...common }),
    graphVerifier: new TokenVerifier({ keys: keys.publicKey, issuers, ...common, audience: graphAudience }),
    tokens,
    keys,
    mode: 'local',
  };
}
