import { displayLocation, openStore, resolveDatabase } from '../storage/open-store.js';
import { alertEngine } from '../alerts/alert-engine.js';
import { NotFound } from '../storage/partner-scope.js';
import type { Store } from '../storage/store.js';
import { billingPeriodProblem } from '../contract/billing-period.js';
import { cloudNamed, type Cloud } from '../contract/clouds.js';
import { currentBillingPeriod } from '../domain/usage-model.js';
import { describeStorageFailure } from '../storage/storage-failure.js';
import { CliError, EXIT } from './cli-error.js';
import { printable } from './text-table.js';

export const dbArg = {
  db: {
    type: 'string',
    description: 'SQLite file or postgres:// URL (default ./data/partner-usage.db, or PARTNER_USAGE_DB)',
    valueHint: 'path',
  },
} as const;

export const partnerArg = {
  partner: {
    type: 'string',
    description: 'partner tenant id (default: the only partner in the database)',
    valueHint: 'tenant-id',
  },
} as const;

export const periodArg = {
  period: {
    type: 'string',
    description: 'billing period (default: the current UTC month)',
    valueHint: 'YYYY-MM',
  },
} as const;

export const maxBytesArg = {
  'max-bytes': {
    type: 'string',
    description:
      "the most content bytes a file (or a synced snapshot) may have, gzip's inflated bytes included (default PARTNER_USAGE_MAX_FILE_BYTES, else 64 GiB)",
    valueHint: 'n',
  },
} as const;

/** --max-bytes as a number of bytes; undefined when not given. */
export function maxBytesOf(text: string | undefined): number | undefined {
  const maxBytes = text === undefined ? undefined : /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (maxBytes !== undefined && !(maxBytes > 0)) {
    throw new CliError(`--max-bytes must be a whole number of bytes, got ${JSON.stringify(text)}`, EXIT.usage);
  }
  return maxBytes;
}

export const cloudArg = {
  cloud: {
    type: 'string',
    description:
      "Microsoft's cloud: global, usgov (US Government) or china (21Vianet); its endpoints and token audiences (default PARTNER_USAGE_CLOUD, else global)",
    valueHint: 'global|usgov|china',
  },
} as const;

/** The cloud --cloud (or PARTNER_USAGE_CLOUD) names; another name is a usage mistake. */
export function cloudOf(name: string | undefined): Cloud {
  try {
    return cloudNamed(name ?? (process.env.PARTNER_USAGE_CLOUD || undefined));
  } catch (error) {
    throw new CliError(`--cloud: ${(error as Error).message}`, EXIT.usage);
  }
}

export const jsonArg = {
  json: { type: 'boolean', description: 'print JSON instead of a table' },
} as const;

/** The flags of a command that reads or changes one partner's settings (rules, endpoints, grants). */
export const partnerSettingsArgs = { ...partnerArg, ...dbArg } as const;

/** The flags that narrow something to one customer's or one tier-2 reseller's lines. */
export const lineScopeArgs = {
  customer: { type: 'string', description: "one customer's lines", valueHint: 'customer tenant-id' },
  reseller: { type: 'string', description: "a tier-2 reseller's lines (its MPN id)", valueHint: 'mpn-id' },
} as const;

/** The flags of a command that shows a period's usage of a partner, as a table or JSON. */
export const usageReadArgs = { ...periodArg, ...partnerArg, ...dbArg, ...jsonArg } as const;

/** The store the --db / PARTNER_USAGE_DB setting names; a failure to open it is one clear line. */
export async function openDatabase(db: string | undefined): Promise<Store> {
  const location = resolveDatabase(db);
  try {
    return await openStore(location, alertEngine);
  } catch (error) {
    const reason = describeStorageFailure(error) ?? (error instanceof Error ? error.message : String(error));
    throw new CliError(`cannot open the database ${displayLocation(location)}: ${reason}`, EXIT.database);
  }
}

/** Runs `fn` with the store the --db / PARTNER_USAGE_DB setting names, closing it after. */
export async function withStore<T>(db: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openDatabase(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function billingPeriod(period: string | undefined): string {
  if (period === undefined || period === '') return currentBillingPeriod();
  const problem = billingPeriodProblem(period);
  if (problem) throw new CliError(`--period ${JSON.stringify(period)} ${problem}`, EXIT.usage);
  return period;
}

/** The partner a command is about: --partner, or the only one the database holds. */
export async function choosePartner(store: Store, partner: string | undefined): Promise<string> {
  const partners = await store.partners();
  if (partner) {
    const wanted = partner.toLowerCase();
    if (!partners.some((p) => p.tenantId === wanted)) throw new CliError(`no partner ${partner} in the database`);
    return wanted;
  }
  if (partners.length === 1) return partners[0]!.tenantId;
  if (partners.length === 0)
    throw new CliError('the database holds no usage yet: run `partner-usage import <file>` first');
  throw new CliError(
    `the database holds ${partners.length} partners; choose one with --partner:\n` +
      partners.map((p) => `  ${p.tenantId}  ${printable(p.name)} (${p.customers} customers)`).join('\n'),
    EXIT.usage,
  );
}

/**
 * Runs `fn` on the store and the chosen partner (--db, --partner); the alert store's refusals (no
 * such customer, endpoint or delivery; a bad URL or address) become one-line CLI errors.
 */
export async function withPartner<T>(
  args: { db?: string | undefined; partner?: string | undefined },
  fn: (store: Store, partner: string) => Promise<T>,
): Promise<T> {
  return withStore(args.db, async (store) => {
    const partner = await choosePartner(store, args.partner);
    try {
      return await fn(store, partner);
    } catch (error) {
      if (error instanceof NotFound) throw new CliError(error.message);
      if (error instanceof RangeError) throw new CliError(error.message, EXIT.usage);
      throw error;
    }
  });
}
