import fs from 'node:fs';
import { defineCommand } from 'citty';
import { isGuid } from '../../domain/field-syntax.js';
import { CredentialVault, credentialsKey, type SyncCredential } from '../../sync/credential-vault.js';
import { CliError, EXIT } from '../cli-error.js';
import { renderTable } from '../text-table.js';
import { cloudArg, cloudOf, dbArg, withStore } from '../shared-args.js';

function vaultKey(): Buffer {
  try {
    return credentialsKey();
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
}

const tenantArg = {
  tenant: { type: 'string', description: 'the partner tenant id', valueHint: 'tid', required: true },
} as const;

function tenantOf(text: string): string {
  if (!isGuid(text)) throw new CliError(`--tenant must be a tenant id (GUID), got ${JSON.stringify(text)}`, EXIT.usage);
  return text.toLowerCase();
}

/** A PEM file's certificate and PKCS#8 private key (one file, as `az ad sp create-for-rbac --create-cert` writes). */
function readCertificate(file: string): { privateKeyPem: string; certificatePem: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --certificate ${file}: ${(error as Error).message}`, EXIT.usage);
  }
  const block = (label: string) =>
    new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`).exec(text)?.[0];
  const privateKeyPem = block('PRIVATE KEY');
  const certificatePem = block('CERTIFICATE');
  if (!privateKeyPem || !certificatePem) {
    throw new CliError(
      `--certificate ${file} must hold a CERTIFICATE and an unencrypted PKCS#8 PRIVATE KEY block (PEM)`,
      EXIT.usage,
    );
  }
  return { privateKeyPem, certificatePem };
}

const add = defineCommand({
  meta: {
    name: 'add',
    description: 'Store (or replace) the Entra ID application a partner is synced with; the secret is encrypted',
  },
  args: {
    ...tenantArg,
    'client-id': { type: 'string', description: 'the application (client) id', valueHint: 'guid', required: true },
    'client-secret': {
      type: 'string',
      description: 'a client secret (default PARTNER_USAGE_CLIENT_SECRET)',
      valueHint: 'secret',
    },
    certificate: {
      type: 'string',
      description: 'or a PEM file with the certificate and its private key',
      valueHint: 'file',
    },
    source: { type: 'string', description: 'graph (default) or partner-center', valueHint: 'graph|partner-center' },
    currency: {
      type: 'string',
      description: 'billing currencies to sync, comma-separated (default: all known)',
      valueHint: 'USD,EUR',
    },
    ...cloudArg,
    'authority-url': { type: 'string', description: "Entra ID (default: the cloud's)", valueHint: 'url' },
    'graph-url': { type: 'string', description: "Graph (default: the cloud's)", valueHint: 'url' },
    'partner-center-url': { type: 'string', description: "Partner Center (default: the cloud's)", valueHint: 'url' },
    ...dbArg,
  },
  async run({ args }) {
    const tenant = tenantOf(args.tenant);
    const secretText = args['client-secret'] ?? (process.env.PARTNER_USAGE_CLIENT_SECRET || undefined);
    if ((secretText === undefined) === (args.certificate === undefined))
      throw new CliError('give either --client-secret (or PARTNER_USAGE_CLIENT_SECRET) or --certificate', EXIT.usage);
    const source = (args.source ?? 'graph').toLowerCase();
    if (source !== 'graph' && source !== 'partner-center')
      throw new CliError(`--source must be graph or partner-center, got ${JSON.stringify(args.source)}`, EXIT.usage);
    const currencies = args.currency
      ?.split(',')
      .map((c) => c.trim().toUpperCase())
      .filter((c) => c !== '');
    if (currencies?.some((c) => !/^[A-Z]{3}$/.test(c)))
      throw new CliError(
        `--currency must be three-letter codes separated by commas, got ${JSON.stringify(args.currency)}`,
        EXIT.usage,
      );
    const cloud = cloudOf(args.cloud);
    const credential: SyncCredential = {
      partnerTenantId: tenant,
      clientId: args['client-id'],
      secret:
        secretText !== undefined
          ? { kind: 'client-secret', value: secretText }
          : { kind: 'certificate', ...readCertificate(args.certificate!) },
      source,
      cloud: cloud.name,
      authorityUrl: args['authority-url'] ?? cloud.authority,
      graphUrl: args['graph-url'] ?? cloud.graph,
      partnerCenterUrl: args['partner-center-url'] ?? cloud.partnerCenter,
      ...(currencies && currencies.length > 0 ? { currencies } : {}),
    };
    const key = vaultKey();
    await withStore(args.db, (store) => new CredentialVault(store.sync, key).save(credential));
    console.log(
      `stored the credentials of ${tenant} (${credential.secret.kind}, encrypted); \`partner-usage sync\` uses them`,
    );
  },
});

const list = defineCommand({
  meta: { name: 'list', description: 'The stored credentials (never their secrets)' },
  args: { ...dbArg },
  async run({ args }) {
    const key = vaultKey();
    const credentials = await withStore(args.db, (store) => new CredentialVault(store.sync, key).list());
    if (credentials.length === 0) {
      console.log('no credentials stored');
      return;
    }
    console.log(
      renderTable(
        ['partner', 'client id', 'secret', 'source', 'currencies', 'Graph', 'Partner Center'],
        credentials.map((c) => [
          c.partnerTenantId,
          c.clientId,
          c.secret.kind,
          c.source,
          c.currencies?.join(',') ?? 'all',
          c.graphUrl,
          c.partnerCenterUrl,
        ]),
      ),
    );
  },
});

const remove = defineCommand({
  meta: { name: 'remove', description: "Delete a partner's stored credentials" },
  args: { ...tenantArg, ...dbArg },
  async run({ args }) {
    const tenant = tenantOf(args.tenant);
    const removed = await withStore(args.db, (store) => store.sync.removeCredential(tenant));
    if (!removed) throw new CliError(`no credentials stored for ${tenant}`);
    console.log(`removed the credentials of ${tenant}`);
  },
});

export const credentialsCommand = defineCommand({
  meta: {
    name: 'credentials',
    description: 'Credentials `sync` and `serve --sync-schedule` sign in to Microsoft with',
  },
  subCommands: { add, list, remove },
});
