import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringifyExact } from '../contract/exact-json.js';
import { csvField } from '../domain/csv-field.js';
import { REJECTS_HEADER } from '../ingest/importer.js';
import { LINE_ITEMS_HEADER, lineItemRow } from '../ingest/json-line-items.js';

/** Temporary folders of syncs are named so; a stale one (its process gone) is removed at the next start. */
const PREFIX = 'partner-usage-sync-';
const OWNER = 'owner.pid';

/**
 * Why a line item without a customer is set aside rather than stored: usage is kept per customer,
 * and Microsoft's own sample of unbilled line items has marketplace lines with an empty
 * customerId (the partner's own purchases, not a customer's usage). They never block the
 * snapshot; they are counted as rejected and kept in the rejects file for review.
 */
export const NO_CUSTOMER_REASON = "CustomerId is empty: not a customer's usage; set aside for review, not stored";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary folders of syncs whose process is gone (killed, crashed): a folder whose
 * owner file names a process that no longer runs, or one without an owner file older than an hour.
 * Returns how many were removed.
 */
export async function removeStaleSyncFolders(tmp = os.tmpdir()): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await fs.promises.readdir(tmp);
  } catch {
    return 0;
  }
  for (const name of names.filter((n) => n.startsWith(PREFIX))) {
    const dir = path.join(tmp, name);
    const old = async () => {
      const stat = await fs.promises.stat(dir).catch(() => undefined);
      return stat !== undefined && Date.now() - stat.mtimeMs > 3600_000;
    };
    let stale: boolean;
    try {
      // An owner file being written (another sync starting this instant) reads empty: not a dead owner.
      const pid = Number((await fs.promises.readFile(path.join(dir, OWNER), 'utf8')).trim() || NaN);
      stale = Number.isInteger(pid) && pid > 0 ? !alive(pid) : await old();
    } catch {
      stale = await old();
    }
    if (stale) {
      await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => {});
      removed++;
    }
  }
  return removed;
}

/**
 * The lines of one snapshot as a daily-rated reconciliation file in a temporary folder, written
 * as they arrive (memory stays flat), then imported by the same importer as any file: one
 * transaction, so a snapshot is stored whole or not at all. Lines without a customer are set
 * aside in a rejects file beside it.
 */
export class LineFile {
  #lines = 0;
  #setAside = 0;
  #closed = false;
  #failure: Error | undefined;
  /** Inflated bytes of the blobs read so far (the snapshot's --max-bytes). */
  inflatedBytes = 0;
  readonly #customers = new Set<string>();
  readonly #rejects: fs.WriteStream;

  private constructor(
    readonly dir: string,
    readonly file: string,
    private readonly out: fs.WriteStream,
    private readonly partnerTenantId: string,
  ) {
    this.rejectsFile = path.join(dir, 'rejected.csv');
    this.#rejects = fs.createWriteStream(this.rejectsFile);
    this.#rejects.write(`${REJECTS_HEADER}\n`);
    // A write that fails (disk full) is this file's failure, reported by the next add or close —
    // never an unhandled 'error' event that ends the process.
    for (const stream of [out, this.#rejects]) stream.on('error', (error) => (this.#failure ??= error));
  }

  readonly rejectsFile: string;

  static async create(partnerTenantId: string): Promise<LineFile> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), PREFIX));
    await fs.promises.writeFile(path.join(dir, OWNER), String(process.pid));
    const file = path.join(dir, 'lineitems.csv');
    const out = fs.createWriteStream(file);
    out.write(`${LINE_ITEMS_HEADER}\n`);
    return new LineFile(dir, file, out, partnerTenantId);
  }

  get lines(): number {
    return this.#lines;
  }

  /** Lines set aside (no customer): in the rejects file, not in the import. */
  get setAside(): number {
    return this.#setAside;
  }

  /** Distinct customers among the lines. */
  get customers(): number {
    return this.#customers.size;
  }

  /** Adds a line item (an object with the export's or the line-item API's field names). */
  async add(item: unknown): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new Error('the snapshot file is closed: no more lines are taken');
    const key =
      typeof item === 'object' && item !== null && !Array.isArray(item)
        ? Object.keys(item).find((k) => k.toLowerCase() === 'customerid')
        : undefined;
    const customer = key === undefined ? undefined : (item as Record<string, unknown>)[key];
    if (key !== undefined && (customer === null || customer === undefined || String(customer).trim() === '')) {
      this.#setAside++;
      const record = stringifyExact(item);
      const row = [String(this.#lines + this.#setAside), 'CustomerId', NO_CUSTOMER_REASON, '', record];
      await write(this.#rejects, `${row.map(csvField).join(',')}\n`);
      return;
    }
    const row = lineItemRow(item, this.#lines + 1, this.partnerTenantId);
    this.#lines++;
    if (customer !== undefined) this.#customers.add(String(customer).toLowerCase());
    await write(this.out, `${row}\n`);
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      await Promise.all([end(this.out), end(this.#rejects)]);
    }
    if (this.#failure) throw this.#failure;
  }

  async remove(): Promise<void> {
    await this.close().catch(() => {});
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}

async function write(stream: fs.WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('error', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('error', done);
    });
  }
}

function end(stream: fs.WriteStream): Promise<void> {
  if (stream.writableFinished || stream.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}
