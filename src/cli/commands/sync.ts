import { defineCommand } from 'citty';
import { isIso4217Currency } from '../../contract/currency-codes.js';
import { BILLING_CURRENCIES } from '../../domain/currency.js';
import { currentBillingPeriod, previousBillingPeriod } from '../../domain/usage-model.js';
import { isGuid } from '../../domain/field-syntax.js';
import { credentialsKey } from '../../sync/credential-vault.js';
import { graphRoot, partnerCenterRoot } from '../../sync/endpoints.js';
import { syncPartner, type SnapshotResult, type SyncSource } from '../../sync/sync-run.js';
import { syncStoredPartners } from '../../sync/sync-stored.js';
import { CliError, EXIT } from '../cli-error.js';
import { renderTable } from '../text-table.js';
import { cloudArg, cloudOf, dbArg, jsonArg, maxBytesArg, maxBytesOf, withStore } from '../shared-args.js';

/** The tid claim of a JWT, read without verifying it (the endpoint verifies; this only names the partner). */
function tenantOfToken(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      tid?: unknown;
    };
    return typeof payload.tid === 'string' && isGuid(payload.tid) ? payload.tid.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** --period as Graph's current/last: the open periods are all the unbilled exports serve. */
function openPeriod(text: string | undefined): 'current' | 'last' {
  const value = (text ?? 'current').toLowerCase();
  if (value === 'current' || value === 'last') return value;
  if (value === 'previous') return 'last';
  const current = currentBillingPeriod();
  if (value === current) return 'current';
  if (value === previousBillingPeriod(current)) return 'last';
  throw new CliError(
    /^\d{4}-\d\d$/.test(value)
      ? `--period ${value}: Microsoft's unbilled usage covers the current period (${current}) and the last one only; a billed month is synced by its invoice (--invoice <id>)`
      : `--period must be current, last or YYYY-MM, got ${JSON.stringify(text)}`,
    EXIT.usage,
  );
}

function currencies(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const list = text
    .split(',')
    .map((c) => c.trim().toUpperCase())
    .filter((c) => c !== '');
  const bad = list.find((c) => !/^[A-Z]{3}$/.test(c) || !isIso4217Currency(c));
  if (bad !== undefined || list.length === 0)
    throw new CliError(
      `--currency must be ISO 4217 currency codes separated by commas, got ${JSON.stringify(text)}${bad ? ` (${bad} is not one)` : ''}`,
      EXIT.usage,
    );
  return list;
}

/** Progress lines on a terminal (stderr); nothing when piped. */
const progress = process.stderr.isTTY ? (message: string) => console.error(`  ${message}`) : undefined;

export const syncCommand = defineCommand({
  meta: {
    name: 'sync',
    description:
      "Pull daily rated usage from Microsoft (Graph's billing export, or Partner Center's older line-item API) and store it",
  },
  args: {
    source: { type: 'string', description: 'graph (default) or partner-center', valueHint: 'graph|partner-center' },
    period: {
      type: 'string',
      description: 'current (default), last, or that month as YYYY-MM',
      valueHint: 'current|last|YYYY-MM',
    },
    currency: {
      type: 'string',
      description: `billing currencies, comma-separated (default: the stored credential's, else all ${BILLING_CURRENCIES.length} known)`,
      valueHint: 'USD,EUR',
    },
    invoice: {
      type: 'string',
      description: "graph: one invoice's billed usage instead of an open period",
      valueHint: 'id',
    },
    token: {
      type: 'string',
      description:
        'a bearer token obtained elsewhere (e.g. az account get-access-token); default: sign in with stored credentials',
      valueHint: 'jwt',
    },
    partner: {
      type: 'string',
      description: 'the partner tenant (default: from --token, or every stored credential)',
      valueHint: 'tid',
    },
    'graph-url': {
      type: 'string',
      description: "Graph's endpoint (default: the cloud's; /v1.0 is added)",
      valueHint: 'url',
    },
    'partner-center-url': {
      type: 'string',
      description: "Partner Center's endpoint (default: the cloud's; /v1 is added)",
      valueHint: 'url',
    },
    ...cloudArg,
    'max-polls': { type: 'string', description: 'polls of an export before giving up (default 60)', valueHint: 'n' },
    'skip-invalid': {
      type: 'boolean',
      description:
        'store the good lines; report the refused ones (kept in --rejects-dir) instead of failing the snapshot',
    },
    'rejects-dir': {
      type: 'string',
      description: 'where refused and set-aside lines are kept for review (default ./sync-rejected)',
      valueHint: 'dir',
    },
    ...maxBytesArg,
    ...dbArg,
    ...jsonArg,
  },
  async run({ args }) {
    const source = (args.source ?? 'graph').toLowerCase();
    if (source !== 'graph' && source !== 'partner-center')
      throw new CliError(`--source must be graph or partner-center, got ${JSON.stringify(args.source)}`, EXIT.usage);
    if (args.invoice !== undefined && source !== 'graph')
      throw new CliError('--invoice is for --source graph (the billed usage export)', EXIT.usage);
    const period = args.invoice === undefined ? openPeriod(args.period) : 'current';
    const maxPolls = args['max-polls'] === undefined ? undefined : Number(args['max-polls']);
    if (maxPolls !== undefined && !(Number.isInteger(maxPolls) && maxPolls > 0))
      throw new CliError('--max-polls must be a positive whole number', EXIT.usage);
    const maxBytes = maxBytesOf(args['max-bytes']);
    // With --token; stored credentials carry the cloud they were added with.
    const cloud = cloudOf(args.cloud);
    if (args.cloud !== undefined && args.token === undefined)
      throw new CliError(
        '--cloud is for --token: stored credentials sync from the cloud they were added with (credentials add --cloud)',
        EXIT.usage,
      );
    const common = {
      period,
      ...(maxBytes === undefined ? {} : { maxBytes }),
      ...(args['skip-invalid'] ? { skipInvalid: true } : {}),
      ...(args['rejects-dir'] === undefined ? {} : { rejectsDir: args['rejects-dir'] }),
      ...(maxPolls === undefined ? {} : { maxPolls }),
      ...(progress ? { onProgress: progress } : {}),
    };
    const started = performance.now();
    const outcome = await withStore(args.db, async (store) => {
      if (args.token !== undefined) {
        const partner = args.partner?.toLowerCase() ?? tenantOfToken(args.token);
        if (!partner) throw new CliError('--token names no tenant (tid): give --partner', EXIT.usage);
        const token = args.token;
        const results = await syncPartner(store, {
          ...common,
          source: source as SyncSource,
          partnerTenantId: partner,
          invoiceId: args.invoice,
          currencies: currencies(args.currency) ?? BILLING_CURRENCIES,
          token: () => Promise.resolve(token),
          graphUrl: graphRoot(args['graph-url'] ?? cloud.graph),
          partnerCenterUrl: partnerCenterRoot(args['partner-center-url'] ?? cloud.partnerCenter),
        });
        return [{ partnerTenantId: partner, results }];
      }
      let key: Buffer;
      try {
        key = credentialsKey();
      } catch (error) {
        throw new CliError(
          `no --token, and stored credentials cannot be read: ${(error as Error).message}`,
          EXIT.usage,
        );
      }
      const synced = await syncStoredPartners(store, key, {
        ...common,
        partnerTenantId: args.partner?.toLowerCase(),
        source: args.source === undefined ? undefined : (source as SyncSource),
        currencies: currencies(args.currency),
      });
      if (synced.length === 0)
        throw new CliError(
          'no --token, and the database holds no credentials: add some with `partner-usage credentials add`',
        );
      return synced;
    });
    const seconds = (performance.now() - started) / 1000;
    if (args.json) {
      console.log(
        JSON.stringify(
          outcome.map((o) => ({
            partnerTenantId: o.partnerTenantId,
            snapshots: o.results.map(({ error, ...r }) => ({
              ...r,
              ...(error ? { error: error.message, failure: error.kind } : {}),
            })),
          })),
          null,
          2,
        ),
      );
    } else {
      for (const { partnerTenantId, results } of outcome)
        console.log(describe(partnerTenantId, source, results, seconds));
    }
    const failed = outcome.flatMap((o) => o.results).filter((r) => r.error);
    for (const r of failed) console.error(`partner-usage: ${r.error!.message}`);
    if (failed.length > 0) {
      throw new CliError(
        `${failed.length} snapshot${failed.length === 1 ? '' : 's'} failed (nothing of ${failed.length === 1 ? 'it' : 'them'} was stored); the others are as listed`,
      );
    }
  },
});

function describe(partner: string, source: string, results: readonly SnapshotResult[], seconds: number): string {
  const shown = results.filter((r) => r.status !== 'no-data');
  const lines = results.reduce((n, r) => n + (r.status === 'imported' ? r.lines : 0), 0);
  const rejected = results.reduce((n, r) => n + r.rejected, 0);
  const customers = results.reduce((n, r) => n + r.customers, 0);
  const rows = shown.map((r) => [
    r.snapshot,
    r.status,
    r.lines.toLocaleString('en-US'),
    r.rejected.toLocaleString('en-US'),
    String(r.customers),
    r.seconds.toFixed(2),
    r.etag ?? '',
  ]);
  const noData = results.length - shown.length;
  return [
    `partner ${partner} from ${source}: ${lines.toLocaleString('en-US')} lines imported for ${customers} customers in ${seconds.toFixed(1)} s` +
      (noData > 0 ? ` (${noData} currenc${noData === 1 ? 'y' : 'ies'} without data)` : '') +
      (rejected > 0
        ? `; ${rejected.toLocaleString('en-US')} lines rejected, kept in ${results
            .filter((r) => r.rejectsFile)
            .map((r) => r.rejectsFile)
            .join(', ')}`
        : ''),
    ...(rows.length > 0
      ? [renderTable(['snapshot', 'status', 'lines', 'rejected', 'customers', 'seconds', 'eTag'], rows, [2, 3, 4, 5])]
      : []),
  ].join('\n');
}
