import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/**
 * The embedded deployment's secrets, created on first start and kept beside the database: an
 * RS256 key pair that signs the tokens `partner-usage token` prints, and the HMAC key of
 * continuation tokens. Real Entra ID tokens are verified against Entra's keys instead.
 */
export interface LocalKeys {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly hmacSecret: Buffer;
}

interface KeyFile {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
  readonly hmacSecret: string;
}

export const KEY_FILE_NAME = 'partner-usage-keys.json';

/** The keys in `dir` (created there when absent); in memory only when `dir` is undefined. */
export async function loadOrCreateLocalKeys(dir: string | undefined): Promise<LocalKeys> {
  const file = dir === undefined ? undefined : path.join(dir, KEY_FILE_NAME);
  if (file && fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
    return {
      kid: stored.kid,
      privateKey: (await importJWK(stored.privateJwk, 'RS256')) as CryptoKey,
      publicKey: (await importJWK(stored.publicJwk, 'RS256')) as CryptoKey,
      hmacSecret: Buffer.from(stored.hmacSecret, 'base64'),
    };
  }
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const keys: LocalKeys = { kid: crypto.randomUUID(), privateKey, publicKey, hmacSecret: crypto.randomBytes(32) };
  if (file) {
    const stored: KeyFile = {
      kid: keys.kid,
      privateJwk: await exportJWK(privateKey),
      publicJwk: await exportJWK(publicKey),
      hmacSecret: keys.hmacSecret.toString('base64'),
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process (a second server, `partner-usage token`) created them first: use theirs.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateLocalKeys(dir);
      throw error;
    }
  }
  return keys;
}
