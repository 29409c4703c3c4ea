import type { PartnerGrant } from '../../storage/access-grant-store.js';
import { createRemoteJWKSet, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { apiErrors } from '../../contract/api-errors.js';
import { BoundedCache, stringBytes } from '../bounded-cache.js';
import { isGuid } from '../../domain/field-syntax.js';
import { roleOf, type Role } from '../../contract/access.js';
import { BILLING_PERMISSION, CLOCK_TOLERANCE_SECONDS, PARTNER_CENTER_AUDIENCE } from './token-settings.js';

/** Who is calling, from a verified token. */
/** The role (application tokens) or scope (user tokens) that lets a caller send line items. */
export const INGEST_PERMISSION = 'PartnerUsage.Ingest';

export interface Caller {
  readonly partnerTenantId: string;
  /** An application token (client credentials), as opposed to App+User. */
  readonly appOnly: boolean;
  readonly user: string | undefined;
  /** May send line items (POST /v1/partnerusage/lineitems): the PartnerUsage.Ingest role or scope. */
  readonly canIngest: boolean;
  /** May use Graph's partner billing exports: the PartnerBilling.Read.All role or scope. */
  readonly canReadBilling: boolean;
  /** partner-usage's role (contract/access.ts): from the app roles, else the mapped groups; undefined without any. */
  readonly role: Role | undefined;
  /**
   * A grantee's grant (issue #30): its token's tenant is a customer's or reseller's given a view
   * of that scope; `partnerTenantId` is then the partner that gave it (operation-routes: authorize).
   */
  readonly grant?: PartnerGrant;
}

export interface TokenVerifierOptions {
  /** The local public key, or a JWKS (e.g. Entra ID's, found through OIDC discovery). */
  readonly keys: CryptoKey | JWTVerifyGetKey;
  /** Accepted issuers; `{tid}` stands for the token's own tenant. */
  readonly issuers: readonly string[];
  readonly audience?: string | readonly string[];
  /** Partner tenants served; undefined = any whose token verifies. */
  readonly allowedTenants?: readonly string[];
  /** Group object ids (the `groups` claim) that give a role, for providers without app roles. */
  readonly roleGroups?: ReadonlyMap<string, Role>;
}

/** Verified tokens remembered, in bytes of token text (a token is a few KB; headers cap it at 16 KiB). */
const TOKEN_CACHE_BYTES = 8 * 2 ** 20;
/** What a remembered caller and its expiry take besides the token, about. */
const CALLER_BYTES = 200;

/**
 * Verifies bearer tokens: signature (RS256 or ES256 only: never `none`, never an HMAC key taken
 * for a public key), audience, issuer from the allow-list, exp/nbf with a small skew. A verified
 * token is remembered until it expires, so a client's repeated calls verify once.
 */
export class TokenVerifier {
  readonly #options: TokenVerifierOptions;
  readonly #cache = new BoundedCache<{ caller: Caller; expiresAt: number }>(
    TOKEN_CACHE_BYTES,
    (token) => stringBytes(token) + CALLER_BYTES,
  );

  /** The last header verified, its caller and when its token expires. */
  #last: { readonly header: string; readonly caller: Caller; readonly expiresAt: number } | undefined;

  constructor(options: TokenVerifierOptions) {
    this.#options = { ...options, issuers: [...options.issuers] };
  }

  /** The caller of an Authorization header value; throws a 401 ApiError. */
  async verify(authorization: string | undefined): Promise<Caller> {
    // A client sends its token request after request: the header last verified is answered
    // without its parsing or the cache's look-up, which hashes a ~1 KB key (2.8 → 0.45 µs a call).
    const last = this.#last;
    if (last && authorization === last.header && last.expiresAt > Date.now()) return last.caller;
    if (!authorization) throw apiErrors.tokenMissing();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw apiErrors.tokenInvalid('the Authorization header is not a Bearer token');
    const token = match[1]!;
    const cached = this.#cache.get(token);
    if (cached && cached.expiresAt > Date.now()) return cached.caller;
    if (cached) this.#cache.delete(token);

    let payload: JWTPayload;
    try {
      const options = {
        algorithms: ['RS256', 'ES256'],
        audience: (this.#options.audience ?? PARTNER_CENTER_AUDIENCE) as string | string[],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iss', 'tid'],
      };
      const keys = this.#options.keys;
      ({ payload } =
        typeof keys === 'function' ? await jwtVerify(token, keys, options) : await jwtVerify(token, keys, options));
    } catch (error) {
      throw apiErrors.tokenInvalid(describe(error));
    }
    const tid = typeof payload.tid === 'string' ? payload.tid.toLowerCase() : '';
    if (!isGuid(tid)) throw apiErrors.tokenInvalid('the token has no tenant (tid)');
    if (!this.#options.issuers.some((i) => i.replace('{tid}', tid) === payload.iss)) {
      throw apiErrors.tokenInvalid('the token issuer is not accepted');
    }
    if (this.#options.allowedTenants && !this.#options.allowedTenants.includes(tid)) {
      throw apiErrors.tokenInvalid('the tenant is not served here');
    }
    const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
    const roles: unknown[] = Array.isArray(payload.roles) ? payload.roles : [];
    const granted = (permission: string) => scopes.includes(permission) || roles.includes(permission);
    const user = [payload.upn, payload.unique_name, payload.preferred_username].find((v) => typeof v === 'string') as
      string | undefined;
    const caller: Caller = {
      partnerTenantId: tid,
      appOnly: !scopes.includes('user_impersonation') || payload.idtyp === 'app',
      user,
      canIngest: granted(INGEST_PERMISSION),
      canReadBilling: granted(BILLING_PERMISSION),
      role: roleOf([
        ...roles.filter((r): r is string => typeof r === 'string'),
        ...(Array.isArray(payload.groups) ? payload.groups : []).flatMap((g: unknown) => {
          const role = typeof g === 'string' ? this.#options.roleGroups?.get(g.toLowerCase()) : undefined;
          return role ? [role] : [];
        }),
      ]),
    };
    const expiresAt = (payload.exp! + CLOCK_TOLERANCE_SECONDS) * 1000;
    this.#cache.set(token, { caller, expiresAt });
    this.#last = { header: authorization, caller, expiresAt };
    return caller;
  }
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    if (error.claim === 'aud') return 'the token is not for this audience';
    return `the token claim ${error.claim} is not valid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token algorithm is not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token was signed by an unknown key';
  return 'the token is malformed';
}

/** What a discovery document says that partner-usage uses: the keys to verify with, and where the dashboard signs in. */
export interface Discovered {
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string;
  readonly authorizationEndpoint: string | undefined;
  readonly tokenEndpoint: string | undefined;
}

/** Keys and endpoints from an OpenID Connect discovery document (e.g. Entra ID's), fetched once and cached. */
export async function discoverJwks(discoveryUrl: string): Promise<Discovered> {
  const response = await fetch(discoveryUrl);
  if (!response.ok) throw new Error(`OIDC discovery at ${discoveryUrl} answered ${response.status}`);
  const document = (await response.json()) as {
    jwks_uri?: string;
    issuer?: string;
    authorization_endpoint?: string;
    token_endpoint?: string;
  };
  if (!document.jwks_uri || !document.issuer) throw new Error(`${discoveryUrl} has no jwks_uri or issuer`);
  // jose caches the key set and refetches it on an unknown kid, not on every request.
  return {
    keys: createRemoteJWKSet(new URL(document.jwks_uri)),
    issuer: document.issuer,
    authorizationEndpoint: document.authorization_endpoint,
    tokenEndpoint: document.token_endpoint,
  };
}
