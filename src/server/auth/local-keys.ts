import crypto from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Store } from '../../storage/store.js';

/**
 * The deployment's secrets, created on first start and kept in the database, so that every
 * server process on it shares them: an RS256 key pair that signs the tokens `partner-usage token`
 * prints, and the HMAC key of continuation tokens. Real Entra ID tokens are verified against
 * Entra's keys instead.
 */
export interface LocalKeys {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly hmacSecret: Buffer;
}

interface StoredKeys {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
  readonly hmacSecret: string;
}

const SECRET_NAME = 'local-keys-v1';

export async function loadOrCreateLocalKeys(store: Pick<Store, 'secret'>): Promise<LocalKeys> {
  const text = await store.secret(SECRET_NAME, async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const created: StoredKeys = {
      kid: crypto.randomUUID(),
      privateJwk: await exportJWK(privateKey),
      publicJwk: await exportJWK(publicKey),
      hmacSecret: crypto.randomBytes(32).toString('base64'),
    };
    return JSON.stringify(created);
  });
  const stored = JSON.parse(text) as StoredKeys;
  return {
    kid: stored.kid,
    privateKey: (await importJWK(stored.privateJwk, 'RS256')) as CryptoKey,
    publicKey: (await importJWK(stored.publicJwk, 'RS256')) as CryptoKey,
    hmacSecret: Buffer.from(stored.hmacSecret, 'base64'),
  };
}
