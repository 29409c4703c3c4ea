import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ImportError, importFile, maxFileBytes, REJECTS_HEADER } from '../ingest/importer.js';
import { MAX_RECORD_BYTES } from '../ingest/csv-scanner.js';
import { currentBillingPeriod, previousBillingPeriod } from '../domain/usage-model.js';
import type { Store } from '../storage/store.js';
import { recordSnapshot } from '../storage/sync-state.js';
import { describeStorageFailure } from '../storage/storage-failure.js';
import { GraphSource, type ExportedSnapshot } from './graph-source.js';
import type { HttpOptions } from './http.js';
import { LineFile, removeStaleSyncFolders } from './line-file.js';
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
  /** Blobs a manifest may list, and a manifest's bytes (EXPORT_LIMITS by default). */
  readonly maxBlobs?: number;
  readonly maxManifestBytes?: number;
  /** Inflated bytes a snapshot may have: the importer's --max-bytes. */
  readonly maxBytes?: number;
  /** Store the good lines and report the refused ones, as `import --skip-invalid` does. */
  readonly skipInvalid?: boolean;
  /** Where refused lines are kept for review (default ./sync-rejected). */
  readonly rejectsDir?: string;
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
  /** Lines refused (with --skip-invalid) or set aside (no customer): in `rejectsFile`. */
  readonly rejected: number;
  readonly rejectsFile?: string;
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
  // Folders of runs that were killed or crashed: nothing else removes them.
  await removeStaleSyncFolders();
  const blobLimits = { maxLineBytes: MAX_RECORD_BYTES, maxBytes: maxFileBytes(options, 'sync') };
  const graph = new GraphSource({
    graphUrl: options.graphUrl,
    token: options.token,
    http,
    blobLimits,
    ...(options.maxPolls === undefined ? {} : { maxPolls: options.maxPolls }),
    ...(options.maxBlobs === undefined ? {} : { maxBlobs: options.maxBlobs }),
    ...(options.maxManifestBytes === undefined ? {} : { maxManifestBytes: options.maxManifestBytes }),
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
    const base = { snapshot, lines: 0, rejected: 0, customers: 0, replaced: 0 };
    const seconds = () => (performance.now() - started) / 1000;
    const scope =
      options.invoiceId !== undefined
        ? `${options.partnerTenantId}|graph|invoice|${options.invoiceId}`
        : `${options.partnerTenantId}|${options.source}|${period}|${currency}`;
    let file: LineFile | undefined;
    // Every page of a line-item download is stored: from here on a failure fetches afresh next time.
    let downloaded = false;
    try {
      let etag: string;
      const stored = await store.sync.snapshot(scope);
      if (options.source === 'graph') {
        const exported: ExportedSnapshot | undefined = await graph.export(
          options.invoiceId !== undefined
            ? { kind: 'billed', invoiceId: options.invoiceId }
            : { kind: 'unbilled', billingPeriod: options.period, currency: currency! },
        );
        if (!exported) return { ...base, status: 'no-data', seconds: seconds() };
        etag = exported.etag;
        if (stored?.etag === etag) return { ...base, status: 'unchanged', etag, seconds: seconds() };
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
        downloaded = true;
        if (file.lines === 0 && file.setAside === 0) {
          await store.sync.clearPages(scope);
          return { ...base, status: 'no-data', seconds: seconds() };
        }
        if (stored?.etag === etag) {
          await store.sync.clearPages(scope);
          return { ...base, status: 'unchanged', etag, lines: file.lines, seconds: seconds() };
        }
      }
      await file.close();
      const lineFile = file;
      const importRejects = path.join(lineFile.dir, 'import-rejected.csv');
      const summary =
        lineFile.lines === 0
          ? undefined
          : await serialised(() =>
              importFile(store, lineFile.file, {
                ...(currency === undefined ? {} : { snapshotCurrency: currency }),
                ...(stored ? { snapshotPeriods: stored.periods } : {}),
                ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
                ...(options.skipInvalid ? { skipInvalid: true, rejectsFile: importRejects } : {}),
                beforeCommit: (db, periods) =>
                  recordSnapshot(db, { scope, etag, lines: lineFile.lines, syncedAt: now().toISOString(), periods }),
              }),
            );
      const rejected = (summary?.rejected ?? 0) + lineFile.setAside;
      const rejectsFile =
        rejected > 0 ? await keepRejects(lineFile, importRejects, options.rejectsDir, scope, now()) : undefined;
      progress?.(`${snapshot}: imported ${(summary?.lines ?? 0).toLocaleString('en-US')} lines`);
      return {
        ...base,
        status: 'imported',
        lines: summary?.lines ?? 0,
        rejected,
        ...(rejectsFile ? { rejectsFile } : {}),
        customers: lineFile.customers,
        replaced: summary?.replaced ?? 0,
        etag,
        seconds: seconds(),
      };
    } catch (error) {
      // Resuming is for an interrupted download: a whole one that failed is asked for afresh.
      if (downloaded) await store.sync.clearPages(scope).catch(() => {});
      return { ...base, status: 'failed', seconds: seconds(), error: syncFailure(error, snapshot) };
    } finally {
      await file?.remove();
    }
  };

  if (options.invoiceId !== undefined) return [await one(`invoice ${options.invoiceId}`, undefined)];
  return pool(options.currencies, options.concurrency ?? 4, (currency) => one(currency, currency));
}

/** Any failure of a snapshot as the SyncError that says what happened (never a crash). */
function syncFailure(error: unknown, snapshot: string): SyncError {
  if (error instanceof SyncError) return error;
  if (error instanceof ImportError)
    return new SyncError(
      'import',
      `${snapshot}: the lines were refused, nothing was stored: ${error.message.replace(/^[^:]*:\d*:? ?/, '')}`,
      { cause: error },
    );
  const storage = describeStorageFailure(error);
  if (storage)
    return new SyncError('storage', `${snapshot}: ${storage}; nothing of the snapshot was stored`, { cause: error });
  if (error instanceof Error) return new SyncError('protocol', `${snapshot}: ${error.message}`, { cause: error });
  return new SyncError('protocol', `${snapshot}: ${String(error)}`);
}

/**
 * The snapshot's refused lines — set aside by the line file (no customer) and refused by the
 * importer (--skip-invalid) — as one file for review in `dir`, named by scope and time.
 */
async function keepRejects(
  file: LineFile,
  importRejects: string,
  dir: string | undefined,
  scope: string,
  at: Date,
): Promise<string> {
  const folder = path.resolve(dir ?? 'sync-rejected');
  await fs.promises.mkdir(folder, { recursive: true });
  const name = `${scope.replaceAll('|', '-')}-${at.toISOString().replace(/[:.]/g, '')}.csv`;
  const target = path.join(folder, name);
  // Streamed, not read whole: a --skip-invalid snapshot may refuse millions of lines.
  await pipeline(fs.createReadStream(file.rejectsFile), fs.createWriteStream(target));
  if (fs.existsSync(importRejects)) {
    await pipeline(
      fs.createReadStream(importRejects, { start: REJECTS_HEADER.length + 1 }), // its own header once is enough
      fs.createWriteStream(target, { flags: 'a' }),
    );
  }
  return target;
}
