import { BILLING_CURRENCIES } from '../domain/currency.js';
import type { Store } from '../storage/store.js';
import { CredentialVault, type SyncCredential } from './credential-vault.js';
import { graphRoot, partnerCenterRoot } from './endpoints.js';
import { defaultScope } from '../contract/clouds.js';
import { clientCredentialsToken } from './entra-token.js';
import { syncPartner, type SnapshotResult, type SyncOptions } from './sync-run.js';

export interface StoredSyncResult {
  readonly partnerTenantId: string;
  readonly results: SnapshotResult[];
}

/**
 * Syncs every partner the database holds credentials for (or one of them), each with its stored
 * source, endpoints and currencies, signing in with its stored secret or certificate: what
 * `partner-usage sync` does without --token, and `serve`'s schedule.
 */
export async function syncStoredPartners(
  store: Store,
  key: Buffer,
  options: Pick<
    SyncOptions,
    'period' | 'http' | 'maxPolls' | 'onProgress' | 'maxBytes' | 'skipInvalid' | 'rejectsDir'
  > & {
    readonly partnerTenantId?: string | undefined;
    readonly source?: SyncCredential['source'] | undefined;
    readonly currencies?: readonly string[] | undefined;
  },
): Promise<StoredSyncResult[]> {
  const credentials = (await new CredentialVault(store.sync, key).list()).filter(
    (c) => options.partnerTenantId === undefined || c.partnerTenantId === options.partnerTenantId,
  );
  const out: StoredSyncResult[] = [];
  for (const credential of credentials) {
    const source = options.source ?? credential.source;
    const results = await syncPartner(store, {
      ...options,
      source,
      partnerTenantId: credential.partnerTenantId,
      currencies: options.currencies ?? credential.currencies ?? BILLING_CURRENCIES,
      // The API's .default scope in the credential's cloud (Graph's exports need PartnerBilling.Read.All).
      token: clientCredentialsToken(credential, defaultScope(source, credential.cloud)),
      graphUrl: graphRoot(credential.graphUrl),
      partnerCenterUrl: partnerCenterRoot(credential.partnerCenterUrl),
    });
    out.push({ partnerTenantId: credential.partnerTenantId, results });
  }
  return out;
}
