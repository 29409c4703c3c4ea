import crypto from 'node:crypto';
import type { CloudName } from '../contract/clouds.js';
import type { SyncState } from '../storage/sync-state.js';
import type { SyncSource } from './sync-run.js';

/** What `sync` signs in with for one partner, and where it pulls from. */
export interface SyncCredential {
  readonly partnerTenantId: string;
  /** The Entra ID application (client) id. */
  readonly clientId: string;
  /** A client secret, or a certificate's PEM private key and the certificate (for its thumbprint). */
  readonly secret:
    | { readonly kind: 'client-secret'; readonly value: string }
    | { readonly kind: 'certificate'; readonly privateKeyPem: string; readonly certificatePem: string };
  readonly source: SyncSource;
  /** The Microsoft cloud the partner lives in (the scopes asked for); stored before clouds: global. */
  readonly cloud?: CloudName;
  /** Entra ID's root (default: the cloud's; a test's). */
  readonly authorityUrl: string;
  readonly graphUrl: string;
  readonly partnerCenterUrl: string;
  /** Billing currencies to ask for (default: every one this project knows). */
  readonly currencies?: readonly string[];
}

export const CREDENTIALS_KEY_ENV = 'PARTNER_USAGE_CREDENTIALS_KEY';

/** The key secrets are sealed with: 32 bytes, base64 or hex, from PARTNER_USAGE_CREDENTIALS_KEY. */
export function credentialsKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const text = env[CREDENTIALS_KEY_ENV]?.trim() ?? '';
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new RangeError(
      `${CREDENTIALS_KEY_ENV} must hold a 32-byte key (base64 or hex; make one with \`openssl rand -base64 32\`): ` +
        'stored credentials are encrypted with it, and it is never stored beside them',
    );
  }
  return key;
}

/** AES-256-GCM: iv.tag.ciphertext (base64url); the tenant id is bound as associated data. */
function seal(key: Buffer, tenant: string, plain: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(tenant));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

/** A stored credential that cannot be read: the wrong key, or a secret or settings altered. */
export class CredentialError extends Error {
  override name = 'CredentialError';
}

function open(key: Buffer, tenant: string, sealed: string): string {
  const [iv, tag, body, ...rest] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  // GCM would accept a tag cut to 4 bytes, which a forger can guess: only the whole 16 are taken.
  if (iv?.length !== 12 || tag?.length !== 16 || body === undefined || rest.length > 0) {
    throw new CredentialError(`the stored secret of ${tenant} is damaged (not iv.tag.ciphertext with a 16-byte tag)`);
  }
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(tenant));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new CredentialError(
      `the stored secret of ${tenant} cannot be decrypted: ${CREDENTIALS_KEY_ENV} is not the key it was stored with, or the secret was altered`,
    );
  }
}

function parsed<T>(text: string, tenant: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CredentialError(`the stored ${what} of ${tenant} is damaged (not JSON)`);
  }
}

/** Stored credentials: settings in the clear, the secret (or private key) encrypted. */
export class CredentialVault {
  constructor(
    private readonly state: SyncState,
    private readonly key: Buffer,
  ) {}

  async save(credential: SyncCredential): Promise<void> {
    const { secret, partnerTenantId, ...settings } = credential;
    await this.state.saveCredential({
      partnerTenantId,
      settings: JSON.stringify(settings),
      secret: seal(this.key, partnerTenantId, JSON.stringify(secret)),
      updatedAt: new Date().toISOString(),
    });
  }

  async list(): Promise<SyncCredential[]> {
    return (await this.state.credentials()).map((c) => ({
      partnerTenantId: c.partnerTenantId,
      ...parsed<Omit<SyncCredential, 'partnerTenantId' | 'secret'>>(c.settings, c.partnerTenantId, 'settings'),
      secret: parsed<SyncCredential['secret']>(
        open(this.key, c.partnerTenantId, c.secret),
        c.partnerTenantId,
        'secret',
      ),
    }));
  }
}
