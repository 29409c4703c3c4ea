import crypto from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { SyncCredential } from './credential-vault.js';
import { answerMessage, jsonOf, send } from './http.js';
import { SyncError } from './sync-error.js';

/** A certificate's x5t: the base64url SHA-1 thumbprint of its DER bytes, as Entra ID identifies it. */
function thumbprint(certificatePem: string): string {
  const der = Buffer.from(certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return crypto.createHash('sha1').update(der).digest('base64url');
}

/**
 * App-only tokens by OAuth 2.0 client credentials at Entra ID's v2 token endpoint, with a client
 * secret or a certificate's signed assertion (RFC 7523). A token is reused until a minute before
 * it expires. Written on fetch and jose rather than msal-node: msal's instance discovery calls
 * Microsoft on every authority, so it cannot be pointed at a national cloud's or a test's
 * endpoint offline (docs/sync.md).
 */
export function clientCredentialsToken(credential: SyncCredential, scope: string): () => Promise<string> {
  let cached: { token: string; until: number } | undefined;
  const endpoint = `${credential.authorityUrl.replace(/\/$/, '')}/${credential.partnerTenantId}/oauth2/v2.0/token`;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.token;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: credential.clientId, scope });
    if (credential.secret.kind === 'client-secret') form.set('client_secret', credential.secret.value);
    else {
      const key = await importPKCS8(credential.secret.privateKeyPem, 'RS256');
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5t: thumbprint(credential.secret.certificatePem) })
        .setIssuer(credential.clientId)
        .setSubject(credential.clientId)
        .setAudience(endpoint)
        .setJti(crypto.randomUUID())
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('10m')
        .sign(key);
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', assertion);
    }
    const what = `signing in as ${credential.clientId} to ${credential.partnerTenantId}`;
    const reply = await send(
      endpoint,
      { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() },
      {},
      { what, trusted: true },
    );
    if (!reply.ok) throw new SyncError('auth', `${what}: ${reply.status} ${answerMessage(reply)}`);
    const body = jsonOf(reply, what) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new SyncError('auth', `${what}: the answer has no access_token`);
    cached = { token: body.access_token, until: Date.now() + ((body.expires_in ?? 3600) - 60) * 1000 };
    return body.access_token;
  };
}
