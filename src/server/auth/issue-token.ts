import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import type { LocalKeys } from './local-keys.js';
import { ROLE_CLAIMS, type Role } from '../../contract/access.js';
import { INGEST_PERMISSION } from './token-verifier.js';
import { CLOUDS, type CloudName } from '../../contract/clouds.js';
import { BILLING_PERMISSION, LOCAL_ISSUER } from './token-settings.js';

export interface TokenRequest {
  /** The partner tenant id (the `tid` claim). */
  readonly tenant: string;
  /** App+User tokens: the user's UPN. */
  readonly user?: string;
  /** An application token (client credentials): no `scp`, `idtyp: app`. */
  readonly appOnly?: boolean;
  /** Adds the PartnerUsage.Ingest role (application) or scope (user): may send line items. */
  readonly ingest?: boolean;
  /**
   * An application token for Microsoft Graph's audience with the PartnerBilling.Read.All role:
   * what Graph's partner billing exports (served by partner-usage too) require.
   */
  readonly graph?: boolean;
  /** partner-usage's role, as the Entra ID app role a user was assigned (the `roles` claim). */
  readonly role?: Role;
  readonly expiresInSeconds?: number;
  /** Whose audience the token carries (default global): a server started with `--cloud` expects its own. */
  readonly cloud?: CloudName;
}

/**
 * A token shaped like an Entra ID v1 access token for Partner Center, signed with the local key:
 * delegated (App+User, `scp: user_impersonation`) unless `appOnly`.
 */
export async function issueLocalToken(keys: LocalKeys, request: TokenRequest): Promise<string> {
  const tid = request.tenant.toLowerCase();
  const cloud = CLOUDS[request.cloud ?? 'global'];
  const claims = request.graph
    ? {
        tid,
        idtyp: 'app',
        roles: [BILLING_PERMISSION],
        appid: crypto.randomUUID(),
        oid: crypto.randomUUID(),
        ver: '1.0',
      }
    : request.appOnly
      ? {
          tid,
          idtyp: 'app',
          roles: request.ingest ? ['Partner.Read.All', INGEST_PERMISSION] : ['Partner.Read.All'],
          appid: crypto.randomUUID(),
          oid: crypto.randomUUID(),
          ver: '1.0',
        }
      : {
          tid,
          idtyp: 'user',
          scp: request.ingest ? `user_impersonation ${INGEST_PERMISSION}` : 'user_impersonation',
          upn: request.user ?? `admin@${tid.slice(0, 8)}.onmicrosoft.com`,
          ...(request.role ? { roles: [ROLE_CLAIMS[request.role]] } : {}),
          oid: crypto.randomUUID(),
          appid: crypto.randomUUID(),
          ver: '1.0',
        };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER.replace('{tid}', tid))
    .setAudience(request.graph ? cloud.graph : cloud.partnerCenter)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(`${request.expiresInSeconds ?? 3600}s`)
    .sign(keys.privateKey);
}
