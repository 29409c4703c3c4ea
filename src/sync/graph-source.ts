import crypto from 'node:crypto';
import { parseExact } from '../contract/exact-json.js';
import { LineItemsError } from '../ingest/json-line-items.js';
import { readBlobLines, type BlobLimits } from './blob-lines.js';
import { answerMessage, jsonOf, open, retryAfterSeconds, send, sleep, type HttpOptions, type Opened } from './http.js';
import type { LineFile } from './line-file.js';
import { SyncError } from './sync-error.js';

/** The defaults of the export's own limits: docs/sync.md lists them. */
export const EXPORT_LIMITS = {
  /** Polls of one export's operation, the re-polls for a fresh SAS included. */
  maxPolls: 60,
  /** Blobs one manifest may list. */
  maxBlobs: 1000,
  /** Bytes of a manifest (or an operation's answer holding one). */
  maxManifestBytes: 1 << 20,
} as const;

/** What to export: an open period's unbilled usage in one currency, or one invoice's billed usage. */
export type GraphExport =
  | { readonly kind: 'unbilled'; readonly billingPeriod: 'current' | 'last'; readonly currency: string }
  | { readonly kind: 'billed'; readonly invoiceId: string };

export interface GraphSourceOptions {
  /** Graph's root with its version, e.g. https://graph.microsoft.com/v1.0. */
  readonly graphUrl: string;
  readonly token: () => Promise<string>;
  readonly http: HttpOptions;
  /** Polls of an export's operation before giving up (Microsoft's samples: 5; exports can take half an hour). */
  readonly maxPolls?: number;
  readonly maxBlobs?: number;
  readonly maxManifestBytes?: number;
  /** The line and snapshot limits of the importer, applied as the blobs inflate. */
  readonly blobLimits: BlobLimits;
  readonly onProgress?: (message: string) => void;
}

interface Manifest {
  readonly eTag: string;
  readonly rootDirectory: string;
  readonly sasToken: string;
  readonly blobs: readonly { readonly name: string }[];
}

/** A finished export: its manifest, and how to fetch the operation again (a fresh SAS). */
export interface ExportedSnapshot {
  readonly etag: string;
  readonly blobCount: number;
  /** Downloads every blob into `file`, checking each one's length and gzip stream. */
  download(file: LineFile): Promise<void>;
}

/** Member `name` of a JSON object, whatever its case (Microsoft's samples use PascalCase). */
function member(body: unknown, name: string): unknown {
  if (body === null || typeof body !== 'object') return undefined;
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (body as Record<string, unknown>)[key];
}

function readManifest(value: unknown): Manifest | undefined {
  const eTag = member(value, 'eTag');
  const rootDirectory = member(value, 'rootDirectory');
  const sasToken = member(value, 'sasToken');
  const blobs = member(value, 'blobs');
  if (
    typeof eTag !== 'string' ||
    typeof rootDirectory !== 'string' ||
    typeof sasToken !== 'string' ||
    !Array.isArray(blobs)
  )
    return undefined;
  const names = blobs.map((b) => member(b, 'name'));
  if (!names.every((n): n is string => typeof n === 'string')) return undefined;
  return { eTag, rootDirectory, sasToken: sasToken.replace(/^\?/, ''), blobs: names.map((name) => ({ name })) };
}

/**
 * Microsoft Graph's partner billing export (billing-export-api.md §1–§6): POST the export, poll
 * its operation honouring Retry-After (capped) for a bounded number of polls, read the manifest
 * (inline, or at its navigation link), and download the gzip JSON Lines blobs it lists. The same
 * code talks to Microsoft, a national cloud, or another partner-usage instance: only the URL differs.
 */
export class GraphSource {
  readonly #origin: string;

  constructor(private readonly options: GraphSourceOptions) {
    this.#origin = new URL(options.graphUrl).origin;
  }

  /** The token goes to Graph's own origin only: never to a host a Location or a link names. */
  async #headers(url: string, json = false): Promise<Record<string, string>> {
    return {
      ...(this.#trusts(url) ? { Authorization: `Bearer ${await this.options.token()}` } : {}),
      'client-request-id': crypto.randomUUID(),
      Accept: 'application/json',
      ...(json ? { 'Content-Type': 'application/json' } : {}),
    };
  }

  #trusts(url: string): boolean {
    try {
      return new URL(url).origin === this.#origin;
    } catch {
      return false;
    }
  }

  #url(link: string, what: string): string {
    try {
      const url = new URL(link, this.options.graphUrl);
      if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
    } catch {
      // named below
    }
    throw new SyncError('protocol', `${what}: the answer names a link that is not an http(s) URL`);
  }

  /** Runs an export to its end: its snapshot, or undefined when Microsoft has no data for it (code 5000). */
  async export(request: GraphExport): Promise<ExportedSnapshot | undefined> {
    const { graphUrl, http } = this.options;
    const what =
      request.kind === 'unbilled' ? `export of ${request.currency} usage` : `export of invoice ${request.invoiceId}`;
    const body =
      request.kind === 'unbilled'
        ? { currencyCode: request.currency, billingPeriod: request.billingPeriod, attributeSet: 'full' }
        : { invoiceId: request.invoiceId, attributeSet: 'full' };
    const url = `${graphUrl}/reports/partners/billing/usage/${request.kind}/export`;
    const reply = await send(
      url,
      { method: 'POST', headers: await this.#headers(url, true), body: JSON.stringify(body) },
      http,
      { what, trusted: true },
    );
    if (reply.status === 403) throw new SyncError('auth', `${what}: ${answerMessage(reply)} (403)`);
    if (reply.status !== 202) {
      throw new SyncError('protocol', `${what}: expected 202 Accepted, got ${reply.status}: ${answerMessage(reply)}`);
    }
    const header = reply.headers.get('location');
    if (!header) throw new SyncError('protocol', `${what}: the 202 answer has no Location header`);
    const location = this.#url(header, what);
    this.options.onProgress?.(`${what}: requested`);
    const polls = {
      left: this.options.maxPolls ?? EXPORT_LIMITS.maxPolls,
      max: this.options.maxPolls ?? EXPORT_LIMITS.maxPolls,
    };
    const manifest = await this.#poll(location, what, polls);
    if (!manifest) return undefined;
    return {
      etag: manifest.eTag,
      blobCount: manifest.blobs.length,
      download: (file) => this.#download(manifest, location, what, file, polls),
    };
  }

  async #operation(location: string, what: string): Promise<{ body: unknown; retryAfter: string | null }> {
    const reply = await send(location, { headers: await this.#headers(location) }, this.options.http, {
      what,
      trusted: this.#trusts(location),
      maxBytes: this.options.maxManifestBytes ?? EXPORT_LIMITS.maxManifestBytes,
    });
    if (reply.status === 403) throw new SyncError('auth', `${what}: ${answerMessage(reply)} (403)`);
    if (!reply.ok) {
      throw new SyncError('protocol', `${what}: the operation answered ${reply.status}: ${answerMessage(reply)}`);
    }
    return { body: jsonOf(reply, what), retryAfter: reply.headers.get('retry-after') };
  }

  /**
   * Polls until the operation ends: its manifest, or undefined when it failed with "no data".
   * `polls` is the export's whole allowance (a fresh SAS costs polls too); no wait follows the last.
   */
  async #poll(location: string, what: string, polls: { left: number; max: number }): Promise<Manifest | undefined> {
    const wait = this.options.http.sleep ?? sleep;
    while (polls.left > 0) {
      polls.left--;
      const poll = polls.max - polls.left;
      const { body, retryAfter } = await this.#operation(location, what);
      // The docs say "completed", the wire says "succeeded"; compare without case.
      const status = String(member(body, 'status') ?? '').toLowerCase();
      if (status === 'succeeded' || status === 'completed') return this.#manifestOf(body, what);
      if (status === 'failed') {
        const error = member(body, 'error');
        const code = String(member(error, 'code') ?? '');
        // "No data available": nothing for this period and currency (yet), not a fault.
        if (code === '5000') return undefined;
        throw new SyncError(
          'operation',
          `${what}: the export failed (${code.slice(0, 64) || 'no code'}: ${String(member(error, 'message') ?? 'no message').slice(0, 500)})`,
        );
      }
      if (status !== 'running' && status !== 'notstarted') {
        throw new SyncError(
          'protocol',
          `${what}: the operation's status ${JSON.stringify(status.slice(0, 40))} is not one Graph documents`,
        );
      }
      if (polls.left === 0) break;
      const seconds = retryAfterSeconds(retryAfter, this.options.http);
      this.options.onProgress?.(`${what}: ${status}, poll ${poll} of ${polls.max}, next in ${seconds} s`);
      await wait(seconds * 1000);
    }
    throw new SyncError(
      'operation',
      `${what}: the export had not finished after ${polls.max} polls (the poll limit, --max-polls); run sync again later`,
    );
  }

  async #manifestOf(body: unknown, what: string): Promise<Manifest> {
    const inline = this.#checked(readManifest(member(body, 'resourceLocation')), what);
    if (inline) return inline;
    // Documented form: a navigation link to GET the manifest from.
    const link = member(body, 'resourceLocation@odata.navigationLink') ?? member(body, 'resourceLocation');
    if (typeof link !== 'string') throw new SyncError('protocol', `${what}: the finished operation names no manifest`);
    const url = this.#url(link, what);
    const reply = await send(url, { headers: await this.#headers(url) }, this.options.http, {
      what: `${what}: the manifest`,
      trusted: this.#trusts(url),
      maxBytes: this.options.maxManifestBytes ?? EXPORT_LIMITS.maxManifestBytes,
    });
    if (!reply.ok) throw new SyncError('protocol', `${what}: the manifest answered ${reply.status}`);
    const manifest = this.#checked(readManifest(jsonOf(reply, `${what}: the manifest`)), what);
    if (!manifest)
      throw new SyncError('protocol', `${what}: the manifest lacks eTag, rootDirectory, sasToken or blobs`);
    return manifest;
  }

  #checked(manifest: Manifest | undefined, what: string): Manifest | undefined {
    const max = this.options.maxBlobs ?? EXPORT_LIMITS.maxBlobs;
    if (manifest && manifest.blobs.length > max)
      throw new SyncError(
        'protocol',
        `${what}: the manifest lists ${manifest.blobs.length} blobs, over the limit of ${max}`,
      );
    if (manifest) this.#url(manifest.rootDirectory, what);
    return manifest;
  }

  async #download(
    first: Manifest,
    location: string,
    what: string,
    file: LineFile,
    polls: { left: number; max: number },
  ): Promise<void> {
    let manifest = first;
    for (const [i, blob] of first.blobs.entries()) {
      const label = `${what}: blob ${i + 1} of ${first.blobs.length}`;
      let opened = await this.#getBlob(manifest, blob.name, label);
      if (opened.response.status === 403) {
        // An expired SAS (an hour, at Microsoft): the operation hands out a fresh one.
        await opened.response.body?.cancel().catch(() => {});
        const again = await this.#poll(location, what, polls);
        if (!again || again.eTag !== first.eTag) {
          throw new SyncError(
            'sas-expired',
            `${label}: the SAS expired and the snapshot changed meanwhile; run sync again`,
          );
        }
        manifest = again;
        opened = await this.#getBlob(manifest, blob.name, label);
        if (opened.response.status === 403) {
          await opened.response.body?.cancel().catch(() => {});
          throw new SyncError('sas-expired', `${label}: the SAS was refused even when fetched again (403)`);
        }
      }
      const { response, abort } = opened;
      if (!response.ok || !response.body) {
        // A foreign host's error body: read up to 64 KiB, for its error code at most.
        throw new SyncError('blob', `${label}: ${response.status} ${answerMessage(await opened.read(64 << 10))}`);
      }
      const before = file.lines;
      const expected = response.headers.get('content-length');
      const { compressed, inflated } = await readBlobLines(
        response,
        abort,
        this.options.http,
        label,
        { ...this.options.blobLimits, inflated: file.inflatedBytes },
        async (line, n) => {
          let item: unknown;
          try {
            item = parseExact(line);
          } catch {
            throw new SyncError('blob', `${label}: line ${n} is not JSON`);
          }
          try {
            await file.add(item);
          } catch (error) {
            if (error instanceof LineItemsError)
              throw new SyncError('blob', `${label}: line ${n}: ${error.message.replace(/^item \d+: /, '')}`);
            throw error;
          }
        },
      );
      file.inflatedBytes = inflated;
      if (expected !== null && Number(expected) !== compressed) {
        throw new SyncError('blob', `${label}: ${compressed} bytes received of the ${expected} the blob has`);
      }
      this.options.onProgress?.(`${label}: ${(file.lines - before).toLocaleString('en-US')} lines`);
    }
  }

  async #getBlob(manifest: Manifest, name: string, label: string): Promise<Opened> {
    // Plain HTTPS with the SAS as the query, as Microsoft's and others' clients do (no Authorization).
    const url = `${manifest.rootDirectory.replace(/\/$/, '')}/${name}?${manifest.sasToken}`;
    return open(url, { headers: { 'x-ms-version': '2021-08-06' } }, this.options.http, { what: label, trusted: false });
  }
}
