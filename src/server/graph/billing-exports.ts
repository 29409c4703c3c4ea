import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { parseExact, JsonDecimal } from '../../contract/exact-json.js';
import { graphErrors } from '../../contract/graph-errors.js';
import { isIso4217Currency } from '../../contract/currency-codes.js';
import { currentBillingPeriod, previousBillingPeriod } from '../../domain/usage-model.js';
import { blobLine, type AttributeSet } from '../../export/line-json.js';
import type { Store } from '../../storage/store.js';
import type { ExportSettings } from './export-settings.js';
import { ArchivedPeriodError } from '../../storage/archived-periods.js';

/** What an export was asked for, as recorded with its operation. */
interface ExportRequest {
  readonly version: 'v1.0' | 'beta';
  readonly kind: 'unbilled' | 'billed';
  /** YYYY-MM, resolved from current/last when the export was asked for. */
  readonly period?: string;
  readonly currency?: string;
  readonly invoiceId?: string;
  readonly attributeSet: AttributeSet;
}

/** An ended operation's outcome, as recorded (every node answers polls from it). */
type ExportResult =
  | {
      readonly kind: 'manifest';
      readonly id: string;
      readonly etag: string;
      readonly createdDateTime: string;
      readonly stamp: string;
      readonly period: string;
      readonly currency: string;
      readonly attributeSet: AttributeSet;
      /** Each blob's lines: those after `after` (a line position), `lines` of them. */
      readonly blobs: readonly { readonly after: number; readonly lines: number }[];
    }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string };

const ODATA = '#microsoft.graph.partners.billing.';
const OPERATION_LIFETIME_MS = 24 * 3600_000;
const BLOB_PATH =
  /^\/blobs\/unbilledusagefastpath\/v1\/(\d{12})\/PartnerTenantId=([0-9a-f-]{36})\/BillingMonth=(\d{6})\/Currency=([A-Z]{3})\/Fragment=(full|basic)\/PartitionType=default\/part-(\d{5})-([0-9a-f-]{36})\.c000\.json\.gz$/i;

/** The body's members by lower-case name: Microsoft's own sample sends PascalCase ones. */
function members(body: unknown): Map<string, unknown> {
  let parsed: unknown;
  try {
    parsed = typeof body === 'string' && body.trim() !== '' ? parseExact(body) : {};
  } catch {
    throw graphErrors.badRequest('The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw graphErrors.badRequest('The request body must be a JSON object.');
  return new Map(Object.entries(parsed).map(([k, v]) => [k.toLowerCase(), v instanceof JsonDecimal ? v.text : v]));
}

function enumValue(value: unknown, name: string, allowed: readonly string[], fallback?: string): string {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw graphErrors.badRequest(`The parameter ${name} is required.`);
  }
  const text = String(value).toLowerCase();
  if (!allowed.includes(text))
    throw graphErrors.badRequest(
      `The value '${String(value).slice(0, 40)}' is not valid for ${name} (${allowed.join(', ')}).`,
    );
  return text;
}

const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Microsoft Graph's partner billing exports, served from the lines this store holds
 * (billing-export-api.md §10): export → operation (running for a configurable number of polls,
 * then succeeded with its manifest, or failed) → manifest → gzip JSON Lines blobs behind a SAS
 * that expires. State lives in the database, so any node answers any poll.
 */
export class BillingExports {
  constructor(
    private readonly store: Store,
    private readonly sasKey: Buffer,
    private readonly settings: ExportSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records an export and returns its operation id. */
  async start(
    partnerTenantId: string,
    version: ExportRequest['version'],
    kind: ExportRequest['kind'],
    body: unknown,
  ): Promise<string> {
    const m = members(body);
    const attributeSet = enumValue(m.get('attributeset'), 'attributeSet', ['full', 'basic'], 'full') as AttributeSet;
    let request: ExportRequest;
    if (kind === 'unbilled') {
      const billingPeriod = enumValue(m.get('billingperiod'), 'billingPeriod', ['current', 'last']);
      const currency = m.get('currencycode');
      if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency) || !isIso4217Currency(currency))
        throw graphErrors.badRequest('The parameter currencyCode is required: an ISO 4217 currency code.');
      const current = currentBillingPeriod(this.now());
      const period = billingPeriod === 'current' ? current : previousBillingPeriod(current);
      request = { version, kind, period, currency: currency.toUpperCase(), attributeSet };
    } else {
      const invoiceId = m.get('invoiceid');
      if (typeof invoiceId !== 'string' || invoiceId.trim() === '')
        throw graphErrors.badRequest('The parameter invoiceId is required.');
      request = { version, kind, invoiceId: invoiceId.trim(), attributeSet };
    }
    const operationId = crypto.randomUUID();
    // Operations (and their manifests) are kept a day, then forgotten, as Microsoft's expire.
    await this.store.sync.forgetOperations(new Date(this.now().getTime() - OPERATION_LIFETIME_MS).toISOString());
    await this.store.sync.createOperation({
      operationId,
      partnerTenantId,
      request: JSON.stringify(request),
      createdAt: this.now().toISOString(),
    });
    return operationId;
  }

  /** One poll: the operation's body, and the seconds to wait while it runs. */
  async poll(
    partnerTenantId: string,
    operationId: string,
    origin: string,
  ): Promise<{ body: object; retryAfterSeconds?: number }> {
    let op = await this.store.sync.pollOperation(operationId.toLowerCase(), partnerTenantId);
    if (!op) throw graphErrors.notFound(`The operation ${operationId.slice(0, 40)}`);
    const request = JSON.parse(op.request) as ExportRequest;
    const common = {
      '@odata.context': `${origin}/${request.version}/$metadata#reports/partners/billing/operations/$entity`,
      id: op.operationId,
      createdDateTime: op.createdAt.replace(/\.\d{3}Z$/, ''), // Microsoft writes it with no offset
      lastActionDateTime: this.now().toISOString(),
    };
    if (op.result === null && op.polls <= this.settings.runningPolls) {
      return {
        body: { ...common, '@odata.type': `${ODATA}runningOperation`, status: 'running' },
        retryAfterSeconds: this.settings.retryAfterSeconds,
      };
    }
    if (op.result === null) {
      const result = await this.#run(partnerTenantId, request);
      op = await this.store.sync.endOperation(
        op.operationId,
        result.kind === 'manifest' ? result.id : null,
        JSON.stringify(result),
      );
    }
    const result = JSON.parse(op.result!) as ExportResult;
    if (result.kind === 'failed') {
      return {
        body: {
          ...common,
          '@odata.type': `${ODATA}failedOperation`,
          status: 'failed',
          error: { code: result.code, message: result.message },
        },
      };
    }
    return {
      body: {
        ...common,
        '@odata.type': `${ODATA}exportSuccessOperation`,
        status: 'succeeded',
        'resourceLocation@odata.navigationLink': `${origin}/${request.version}/reports/partners/billing/manifests/${result.id}`,
        resourceLocation: this.#manifest(partnerTenantId, result, origin),
      },
    };
  }

  async manifest(partnerTenantId: string, manifestId: string, origin: string): Promise<object> {
    const op = await this.store.sync.operationOfManifest(manifestId.toLowerCase(), partnerTenantId);
    if (!op?.result) throw graphErrors.notFound(`The manifest ${manifestId.slice(0, 40)}`);
    return this.#manifest(partnerTenantId, JSON.parse(op.result) as ExportResult & { kind: 'manifest' }, origin);
  }

  /** A blob's bytes (gzip JSON Lines), for a path and SAS a manifest handed out. */
  async blob(path: string, query: URLSearchParams): Promise<Buffer> {
    const m = BLOB_PATH.exec(path);
    if (!m) throw graphErrors.blobNotFound();
    const directory = path.slice(0, path.lastIndexOf('/'));
    this.#checkSas(directory, query);
    const [, , tid, , , , partText, manifestId] = m;
    const op = await this.store.sync.operationOfManifest(manifestId!.toLowerCase(), tid!.toLowerCase());
    const result = op?.result ? (JSON.parse(op.result) as ExportResult) : undefined;
    const part = Number(partText);
    if (result?.kind !== 'manifest' || part >= result.blobs.length) throw graphErrors.blobNotFound();
    // A snapshot no longer held (its lines changed since) is gone, as Microsoft's old folders are.
    if ((await this.#tagOf(tid!, result.period, result.currency)) !== result.etag) throw graphErrors.blobNotFound();
    const { after, lines } = result.blobs[part]!;
    const gzip = zlib.createGzip();
    const chunks: Buffer[] = [];
    gzip.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve, reject) => gzip.on('end', resolve).on('error', reject));
    let n = 0;
    let pending: string[] = [];
    for await (const row of this.store.lines.rows(tid!, result.period, { currency: result.currency, after })) {
      pending.push(blobLine(row, result.attributeSet));
      if (pending.length === 1000) {
        if (!gzip.write(`${pending.join('\n')}\n`)) await new Promise((r) => gzip.once('drain', r));
        pending = [];
      }
      if (++n === lines) break;
    }
    gzip.end(pending.length > 0 ? `${pending.join('\n')}\n` : '');
    await ended;
    return Buffer.concat(chunks);
  }

  /** The snapshot tag of the lines, or the error saying the month was archived (its lines are gone). */
  async #tagOf(
    partnerTenantId: string,
    period: string,
    currency: string,
  ): Promise<string | undefined | ArchivedPeriodError> {
    try {
      return await this.store.lines.snapshotTag(partnerTenantId, period, currency);
    } catch (error) {
      if (error instanceof ArchivedPeriodError) return error;
      throw error;
    }
  }

  async #run(partnerTenantId: string, request: ExportRequest): Promise<ExportResult> {
    // The store keeps no invoices (the importer does not keep InvoiceNumber): a billed export has no data.
    if (request.kind === 'billed' || !request.period || !request.currency) {
      return { kind: 'failed', code: '5000', message: 'No data available' };
    }
    const etag = await this.#tagOf(partnerTenantId, request.period, request.currency);
    if (etag instanceof ArchivedPeriodError) return { kind: 'failed', code: '5000', message: etag.message };
    const blobs: { after: number; lines: number }[] = [];
    if (etag !== undefined) {
      let after = 0;
      let count = 0;
      for await (const row of this.store.lines.rows(partnerTenantId, request.period, { currency: request.currency })) {
        if (++count === this.settings.blobLines) {
          blobs.push({ after, lines: count });
          after = row.position;
          count = 0;
        }
      }
      if (count > 0) blobs.push({ after, lines: count });
    }
    if (etag === undefined || blobs.length === 0) return { kind: 'failed', code: '5000', message: 'No data available' };
    const now = this.now();
    return {
      kind: 'manifest',
      id: crypto.randomUUID(),
      etag,
      createdDateTime: now.toISOString(),
      stamp: now.toISOString().replace(/\D/g, '').slice(0, 12),
      period: request.period,
      currency: request.currency,
      attributeSet: request.attributeSet,
      blobs,
    };
  }

  #manifest(partnerTenantId: string, result: ExportResult & { kind: 'manifest' }, origin: string): object {
    const directory =
      `/blobs/unbilledusagefastpath/v1/${result.stamp}/PartnerTenantId=${partnerTenantId}` +
      `/BillingMonth=${result.period.replace('-', '')}/Currency=${result.currency}` +
      `/Fragment=${result.attributeSet}/PartitionType=default`;
    return {
      id: result.id,
      schemaVersion: '2',
      dataFormat: 'compressedJSON',
      createdDateTime: result.createdDateTime,
      eTag: result.etag,
      partnerTenantId,
      rootDirectory: `${origin}${directory}`,
      sasToken: this.#sas(directory),
      partitionType: 'default',
      blobCount: result.blobs.length,
      blobs: result.blobs.map((b, i) => ({
        name: `part-${String(i).padStart(5, '0')}-${result.id}.c000.json.gz`,
        partitionValue: 'default',
        itemCount: b.lines,
      })),
    };
  }

  /** A directory SAS shaped like Azure's user-delegation one, valid `sasSeconds` from now. */
  #sas(directory: string): string {
    const now = this.now();
    const start = isoSeconds(now);
    const expiry = isoSeconds(new Date(now.getTime() + this.settings.sasSeconds * 1000));
    const query = new URLSearchParams({
      skt: start,
      ske: expiry,
      sks: 'b',
      skv: '2021-08-06',
      sv: '2021-08-06',
      se: expiry,
      sr: 'd',
      sp: 'rl',
      sdd: '7',
    });
    query.set('sig', this.#signature(directory, expiry));
    return query.toString();
  }

  #signature(directory: string, expiry: string): string {
    return crypto.createHmac('sha256', this.sasKey).update(`${directory.toLowerCase()}\n${expiry}`).digest('base64');
  }

  #checkSas(directory: string, query: URLSearchParams): void {
    const sig = query.get('sig');
    const se = query.get('se');
    if (!sig || !se) throw graphErrors.sasRefused('Server failed to authenticate the request: no SAS signature.');
    const expected = Buffer.from(this.#signature(directory, se));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given))
      throw graphErrors.sasRefused('Server failed to authenticate the request: the signature does not match.');
    const expiry = Date.parse(se);
    if (!(expiry > this.now().getTime()))
      throw graphErrors.sasRefused(
        `Signed expiry time [${se}] must be after signed start time [${isoSeconds(this.now())}].`,
      );
  }
}
