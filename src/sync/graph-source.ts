import crypto from 'node:crypto';
import readline from 'node:readline';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';
import { parseExact } from '../contract/exact-json.js';
import { LineItemsError } from '../ingest/json-line-items.js';
import { answerMessage, retryAfterSeconds, send, sleep, type HttpOptions } from './http.js';
import type { LineFile } from './line-file.js';
import { SyncError } from './sync-error.js';

/** What to export: an open period's unbilled usage in one currency, or one invoice's billed usage. */
export type GraphExport =
  | { readonly kind: 'unbilled'; readonly billingPeriod: 'current' | 'last'; readonly currency: string }
  | { readonly kind: 'billed'; readonly invoiceId: string };

export interface GraphSourceOptions {
  /** Graph's root with its version, e.g. https://graph.microsoft.com/v1.0. */
  readonly graphUrl: string;
  readonly token: () => Promise<string>;
  readonly http: HttpOptions;
  /** Polls of the operation before giving up (Microsoft's samples: 5; exports can take half an hour). */
  readonly maxPolls?: number;
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
  constructor(private readonly options: GraphSourceOptions) {}

  async #headers(json = false): Promise<Record<string, string>> {
    return {
      Authorization: `Bearer ${await this.options.token()}`,
      'client-request-id': crypto.randomUUID(),
      Accept: 'application/json',
      ...(json ? { 'Content-Type': 'application/json' } : {}),
    };
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
    const response = await send(
      `${graphUrl}/reports/partners/billing/usage/${request.kind}/export`,
      { method: 'POST', headers: await this.#headers(true), body: JSON.stringify(body) },
      http,
      what,
    );
    if (response.status === 403) throw new SyncError('auth', `${what}: ${await answerMessage(response)} (403)`);
    if (response.status !== 202) {
      throw new SyncError(
        'protocol',
        `${what}: expected 202 Accepted, got ${response.status}: ${await answerMessage(response)}`,
      );
    }
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (!location) throw new SyncError('protocol', `${what}: the 202 answer has no Location header`);
    this.options.onProgress?.(`${what}: requested`);
    const manifest = await this.#poll(location, what);
    if (!manifest) return undefined;
    return {
      etag: manifest.eTag,
      blobCount: manifest.blobs.length,
      download: (file) => this.#download(manifest, location, what, file),
    };
  }

  async #operation(location: string, what: string): Promise<unknown> {
    const response = await send(location, { headers: await this.#headers() }, this.options.http, what);
    if (response.status === 403) throw new SyncError('auth', `${what}: ${await answerMessage(response)} (403)`);
    if (!response.ok) {
      throw new SyncError(
        'protocol',
        `${what}: the operation answered ${response.status}: ${await answerMessage(response)}`,
      );
    }
    const body = (await response.json()) as unknown;
    return Object.assign(body as object, { retryAfter: response.headers.get('retry-after') });
  }

  /** Polls until the operation ends: its manifest, or undefined when it failed with "no data". */
  async #poll(location: string, what: string): Promise<Manifest | undefined> {
    const maxPolls = this.options.maxPolls ?? 60;
    const wait = this.options.http.sleep ?? sleep;
    for (let poll = 1; poll <= maxPolls; poll++) {
      const body = await this.#operation(location, what);
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
          `${what}: the export failed (${code || 'no code'}: ${String(member(error, 'message') ?? 'no message')})`,
        );
      }
      if (status !== 'running' && status !== 'notstarted') {
        throw new SyncError(
          'protocol',
          `${what}: the operation's status ${JSON.stringify(status)} is not one Graph documents`,
        );
      }
      const seconds = retryAfterSeconds((body as { retryAfter: string | null }).retryAfter, this.options.http);
      this.options.onProgress?.(`${what}: ${status}, poll ${poll} of ${maxPolls}, next in ${seconds} s`);
      await wait(seconds * 1000);
    }
    throw new SyncError(
      'operation',
      `${what}: the export had not finished after ${maxPolls} polls; run sync again later`,
    );
  }

  async #manifestOf(body: unknown, what: string): Promise<Manifest> {
    const inline = readManifest(member(body, 'resourceLocation'));
    if (inline) return inline;
    // Documented form: a navigation link to GET the manifest from.
    const link = member(body, 'resourceLocation@odata.navigationLink') ?? member(body, 'resourceLocation');
    if (typeof link !== 'string') throw new SyncError('protocol', `${what}: the finished operation names no manifest`);
    const response = await send(link, { headers: await this.#headers() }, this.options.http, what);
    if (!response.ok) throw new SyncError('protocol', `${what}: the manifest answered ${response.status}`);
    const manifest = readManifest(await response.json());
    if (!manifest)
      throw new SyncError('protocol', `${what}: the manifest lacks eTag, rootDirectory, sasToken or blobs`);
    return manifest;
  }

  async #download(first: Manifest, location: string, what: string, file: LineFile): Promise<void> {
    let manifest = first;
    for (const [i, blob] of first.blobs.entries()) {
      const label = `${what}: blob ${i + 1} of ${first.blobs.length}`;
      let response = await this.#getBlob(manifest, blob.name, label);
      if (response.status === 403) {
        // An expired SAS (an hour, at Microsoft): the operation hands out a fresh one.
        await response.body?.cancel();
        const again = await this.#poll(location, what);
        if (!again || again.eTag !== first.eTag) {
          throw new SyncError(
            'sas-expired',
            `${label}: the SAS expired and the snapshot changed meanwhile; run sync again`,
          );
        }
        manifest = again;
        response = await this.#getBlob(manifest, blob.name, label);
        if (response.status === 403)
          throw new SyncError(
            'sas-expired',
            `${label}: the SAS was refused even when fetched again (${await answerMessage(response)})`,
          );
      }
      if (!response.ok || !response.body) {
        throw new SyncError('blob', `${label}: ${response.status} ${await answerMessage(response)}`);
      }
      const before = file.lines;
      await readBlob(response, file, label);
      this.options.onProgress?.(`${label}: ${(file.lines - before).toLocaleString('en-US')} lines`);
    }
  }

  async #getBlob(manifest: Manifest, name: string, label: string): Promise<Response> {
    // Plain HTTPS with the SAS as the query, as Microsoft's and others' clients do (no Authorization).
    const url = `${manifest.rootDirectory.replace(/\/$/, '')}/${name}?${manifest.sasToken}`;
    return send(url, { headers: { 'x-ms-version': '2021-08-06' } }, this.options.http, label);
  }
}

/** Streams a blob through gunzip into the file, checking its length and every line. */
async function readBlob(response: Response, file: LineFile, label: string): Promise<void> {
  const expected = response.headers.get('content-length');
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      done(null, chunk);
    },
  });
  const gunzip = zlib.createGunzip();
  const source = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
  const failed = new Promise<never>((_, reject) => {
    const fail = (error: Error) =>
      reject(
        new SyncError(
          'blob',
          `${label}: ${error.message.includes('unexpected end') ? 'the gzip stream is cut short' : `not a valid gzip stream (${error.message})`}`,
          { cause: error },
        ),
      );
    source.on('error', (e) =>
      reject(new SyncError('blob', `${label}: the download broke off (${e.message})`, { cause: e })),
    );
    gunzip.on('error', fail);
  });
  const lines = readline.createInterface({ input: source.pipe(counter).pipe(gunzip), crlfDelay: Infinity });
  const reading = (async () => {
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
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
    }
  })();
  failed.catch(() => {}); // settled by the race below, or never
  await Promise.race([reading, failed]);
  if (expected !== null && Number(expected) !== received) {
    throw new SyncError('blob', `${label}: ${received} bytes received of the ${expected} the blob has`);
  }
}
