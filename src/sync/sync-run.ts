import { ImportError, importFile } from '../ingest/importer.js';
import { currentBillingPeriod, previousBillingPeriod } from '../domain/usage-model.js';
import type { Store } from '../storage/store.js';
import { recordSnapshot } from '../storage/sync-state.js';
import { GraphSource, type ExportedSnapshot } from './graph-source.js';
import type { HttpOptions } from './http.js';
import { LineFile } from './line-file.js';
import { PartnerCenterSource } from './partner-center-source.js';
import { SyncError } from './sync-error.js';

export type SyncSource = 'graph' | 'partner-center';

export interface SyncOptions {
  readonly source: SyncSource;
  readonly partnerTenantId: string;
  /** Graph's `current`/`last` (Partner Center's `current`/`previous`). */
  readonly period: 'current' | 'last';
  /** Graph only: one invoice's billed usage instead of an open period's. */
  readonly invoiceId?: string | undefined;
  /** Billing currencies to ask for: one snapshot each. */
  readonly currencies: readonly string[];
  readonly token: () => Promise<string>;
  /** Graph's root with its version (…/v1.0). */
  readonly graphUrl: string;
  /** Partner Center's root with its version (…/v1). */
  readonly partnerCenterUrl: string;
  readonly http?: HttpOptions;
  readonly maxPolls?: number;
  /** Partner Center's page size (default 2,000, its largest). */
  readonly pageSize?: number;
  /** Exports or downloads run at once (imports run one at a time). */
  readonly concurrency?: number;
  readonly onProgress?: (message: string) => void;
  readonly now?: () => Date;
}

export interface SnapshotResult {
  /** The currency, or `invoice <id>`. */
  readonly snapshot: string;
  readonly status: 'imported' | 'unchanged' | 'no-data' | 'failed';
  readonly lines: number;
  readonly customers: number;
  /** Stored lines the snapshot replaced. */
  readonly replaced: number;
  readonly seconds: number;
  /** Microsoft's eTag (Graph), or a hash of the pages' content (Partner Center). */
  readonly etag?: string;
  readonly error?: SyncError;
}

/** Runs tasks with at most `limit` at once, keeping their order in the results. */
async function pool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Pulls a partner's daily rated usage from Microsoft (or another partner-usage instance) and
 * stores it: one snapshot per (period, currency), each imported in one transaction that replaces
 * the snapshot before it and records its eTag, so a snapshot whose eTag has not changed is not
 * imported again, and a failed one leaves the database as it was.
 */
export async function syncPartner(store: Store, options: SyncOptions): Promise<SnapshotResult[]> {
  const now = options.now ?? (() => new Date());
  const current = currentBillingPeriod(now());
  const period = options.period === 'current' ? current : previousBillingPeriod(current);
  const http = options.http ?? {};
  const progress = options.onProgress;
  const graph = new GraphSource({
    graphUrl: options.graphUrl,
    token: options.token,
    http,
    ...(options.maxPolls === undefined ? {} : { maxPolls: options.maxPolls }),
    ...(progress ? { onProgress: progress } : {}),
  });
  const partnerCenter = new PartnerCenterSource({
    partnerCenterUrl: options.partnerCenterUrl,
    token: options.token,
    http,
    state: store.sync,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(progress ? { onProgress: progress } : {}),
  });
  let importing: Promise<unknown> = Promise.resolve();
  // One import at a time: the database takes one writer, and each is a whole snapshot.
  const serialised = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = importing.then(fn, fn);
    importing = run.catch(() => {});
    return run;
  };

  const one = async (snapshot: string, currency: string | undefined): Promise<SnapshotResult> => {
    const started = performance.now();
    const base = { snapshot, lines: 0, customers: 0, replaced: 0 };
    const seconds = () => (performance.now() - started) / 1000;
    const scope =
      options.invoiceId !== undefined
        ? `${options.partnerTenantId}|graph|invoice|${options.invoiceId}`
        : `${options.partnerTenantId}|${options.source}|${period}|${currency}`;
    let file: LineFile | undefined;
    try {
      let etag: string;
      if (options.source === 'graph') {
        const exported: ExportedSnapshot | undefined = await graph.export(
          options.invoiceId !== undefined
            ? { kind: 'billed', invoiceId: options.invoiceId }
            : { kind: 'unbilled', billingPeriod: options.period, currency: currency! },
        );
        if (!exported) return { ...base, status: 'no-data', seconds: seconds() };
        etag = exported.etag;
        if ((await store.sync.snapshotTag(scope)) === etag)
          return { ...base, status: 'unchanged', etag, seconds: seconds() };
        file = await LineFile.create(options.partnerTenantId);
        await exported.download(file);
      } else {
        file = await LineFile.create(options.partnerTenantId);
        etag = await partnerCenter.download(
          scope,
          options.period === 'current' ? 'current' : 'previous',
          currency!,
          file,
        );
        if (file.lines === 0) {
          await store.sync.clearPages(scope);
          return { ...base, status: 'no-data', seconds: seconds() };
        }
        if ((await store.sync.snapshotTag(scope)) === etag) {
          await store.sync.clearPages(scope);
          return { ...base, status: 'unchanged', etag, lines: file.lines, seconds: seconds() };
        }
      }
      await file.close();
      const lineFile = file;
      const summary = await serialised(() =>
        importFile(store, lineFile.file, {
          ...(currency === undefined ? {} : { snapshotCurrency: currency }),
          beforeCommit: (db) =>
            recordSnapshot(db, { scope, etag, lines: lineFile.lines, syncedAt: now().toISOString() }),
        }),
      );
      progress?.(`${snapshot}: imported ${summary.lines.toLocaleString('en-US')} lines`);
      return {
        ...base,
        status: 'imported',
        lines: summary.lines,
        customers: lineFile.customers,
        replaced: summary.replaced,
        etag,
        seconds: seconds(),
      };
    } catch (error) {
      const failure =
        error instanceof SyncError
          ? error
          : error instanceof ImportError
            ? new SyncError(
                'import',
                `${snapshot}: the lines were refused, nothing was stored: ${error.message.replace(/^[^:]*:\d*:? ?/, '')}`,
                { cause: error },
              )
            : error instanceof Error
              ? new SyncError('protocol', `${snapshot}: ${error.message}`, { cause: error })
              : new SyncError('protocol', `${snapshot}: ${String(error)}`);
      return { ...base, status: 'failed', seconds: seconds(), error: failure };
    } finally {
      await file?.remove();
    }
  };

  if (options.invoiceId !== undefined) return [await one(`invoice ${options.invoiceId}`, undefined)];
  return pool(options.currencies, options.concurrency ?? 4, (currency) => one(currency, currency));
}
