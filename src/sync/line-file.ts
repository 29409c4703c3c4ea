import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LINE_ITEMS_HEADER, lineItemRow } from '../ingest/json-line-items.js';

/**
 * The lines of one snapshot as a daily-rated reconciliation file in a temporary folder, written
 * as they arrive (memory stays flat), then imported by the same importer as any file: one
 * transaction, so a snapshot is stored whole or not at all.
 */
export class LineFile {
  #lines = 0;
  readonly #customers = new Set<string>();

  private constructor(
    readonly dir: string,
    readonly file: string,
    private readonly out: fs.WriteStream,
    private readonly partnerTenantId: string,
  ) {}

  static async create(partnerTenantId: string): Promise<LineFile> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'partner-usage-sync-'));
    const file = path.join(dir, 'lineitems.csv');
    const out = fs.createWriteStream(file);
    out.write(`${LINE_ITEMS_HEADER}\n`);
    return new LineFile(dir, file, out, partnerTenantId);
  }

  get lines(): number {
    return this.#lines;
  }

  /** Distinct customers among the lines. */
  get customers(): number {
    return this.#customers.size;
  }

  /** Adds a line item (an object with the export's or the line-item API's field names). */
  async add(item: unknown): Promise<void> {
    this.#lines++;
    const key =
      typeof item === 'object' && item !== null
        ? Object.keys(item).find((k) => k.toLowerCase() === 'customerid')
        : undefined;
    if (key !== undefined) this.#customers.add(String((item as Record<string, unknown>)[key]).toLowerCase());
    if (!this.out.write(`${lineItemRow(item, this.#lines, this.partnerTenantId)}\n`)) {
      await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
    }
  }

  async close(): Promise<void> {
    if (this.out.writableFinished) return;
    await new Promise<void>((resolve, reject) =>
      this.out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }

  async remove(): Promise<void> {
    await this.close().catch(() => {});
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}
