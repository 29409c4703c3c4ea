import crypto from 'node:crypto';
import { parseExact, stringifyExact } from '../contract/exact-json.js';
import type { SyncState } from '../storage/sync-state.js';
import { answerMessage, jsonOf, send, type HttpOptions } from './http.js';
import type { LineFile } from './line-file.js';
import { SyncError } from './sync-error.js';

export interface PartnerCenterSourceOptions {
  /** Partner Center's API root with its version, e.g. https://api.partnercenter.microsoft.com/v1. */
  readonly partnerCenterUrl: string;
  readonly token: () => Promise<string>;
  readonly http: HttpOptions;
  /** Where pages are kept until the download is whole (the database), so a failed one resumes. */
  readonly state: SyncState;
  /** Lines a page (default and largest: 2,000). */
  readonly pageSize?: number;
  readonly onProgress?: (message: string) => void;
}

/** Items a page: Partner Center's default and largest. */
const PAGE_SIZE = 2000;

interface Page {
  readonly items: unknown[];
  readonly next: string | undefined;
}

/**
 * Partner Center's older line-item API (`GET /v1/invoices/unbilled/lineitems`, billing-export-api.md
 * §8): seek paging, 2,000 lines a page, the next page asked for with `seekOperation=Next` and the
 * MS-ContinuationToken header. Each page is stored as it arrives (sync_pages); a download that
 * fails resumes from the last page it stored, and one whose token the server no longer takes
 * starts again from the first page.
 */
export class PartnerCenterSource {
  constructor(private readonly options: PartnerCenterSourceOptions) {}

  /**
   * Downloads the period's lines in one currency (resuming a stored partial download under
   * `scope`) and writes them to `file`; returns a hash of their content.
   */
  async download(scope: string, period: 'current' | 'previous', currency: string, file: LineFile): Promise<string> {
    const what = `${currency} line items`;
    let pages = await this.options.state.stagedPages(scope);
    if (pages.length > 0 && pages.at(-1)!.nextToken !== null) {
      this.options.onProgress?.(`${what}: resuming after page ${pages.length}`);
    }
    for (let restarted = false; ;) {
      const last = pages.at(-1);
      if (last && last.nextToken === null) break;
      let page: Page;
      try {
        page = await this.#page(period, currency, last?.nextToken ?? undefined, what);
      } catch (error) {
        // A token the server no longer takes (its data changed): start again, once.
        if (error instanceof StaleToken && !restarted) {
          restarted = true;
          await this.options.state.clearPages(scope);
          pages = [];
          this.options.onProgress?.(`${what}: the server's lines changed since the stored pages; starting again`);
          continue;
        }
        throw error;
      }
      const stored = {
        page: pages.length + 1,
        nextToken: page.next ?? null,
        items: page.items.map((item) => stringifyExact(item)).join('\n'),
      };
      await this.options.state.stagePage(scope, stored);
      pages.push(stored);
      this.options.onProgress?.(`${what}: page ${stored.page}, ${page.items.length} lines`);
    }
    const hash = crypto.createHash('sha256');
    for (const page of pages) {
      hash.update(page.items);
      for (const line of page.items.split('\n')) if (line !== '') await file.add(parseExact(line));
    }
    return hash.digest('base64url').slice(0, 17);
  }

  async #page(period: string, currency: string, token: string | undefined, what: string): Promise<Page> {
    const query = `provider=onetime&invoicelineitemtype=usagelineitems&currencycode=${currency}&period=${period}&size=${this.options.pageSize ?? PAGE_SIZE}`;
    const url = `${this.options.partnerCenterUrl}/invoices/unbilled/lineitems?${query}${token ? '&seekOperation=Next' : ''}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${await this.options.token()}`,
      Accept: 'application/json',
      'MS-RequestId': crypto.randomUUID(),
      'MS-CorrelationId': crypto.randomUUID(),
      ...(token ? { 'MS-ContinuationToken': token } : {}),
    };
    // A page of 2,000 full line items is about 8 MB: 64 MiB leaves room, and bounds it.
    const reply = await send(url, { headers }, this.options.http, { what, trusted: true, maxBytes: 64 << 20 });
    if (reply.status === 403) throw new SyncError('auth', `${what}: ${answerMessage(reply)} (403)`);
    if (reply.status === 400 && token) {
      const message = answerMessage(reply);
      if (/continuation token|start again/i.test(message)) throw new StaleToken(message);
      throw new SyncError('protocol', `${what}: 400 ${message}`);
    }
    if (!reply.ok) throw new SyncError('protocol', `${what}: ${reply.status} ${answerMessage(reply)}`);
    const body = jsonOf(reply, `${what}: the page`, parseExact);
    const { items, continuationToken, links } = body as {
      items?: unknown;
      continuationToken?: unknown;
      links?: { next?: { headers?: { key?: string; value?: string }[] } };
    };
    if (!Array.isArray(items)) throw new SyncError('protocol', `${what}: the page has no items`);
    // The next page's token: in links.next's headers, else the body's continuationToken.
    const next =
      links?.next?.headers?.find((h) => h.key?.toLowerCase() === 'ms-continuationtoken')?.value ??
      (typeof continuationToken === 'string' && continuationToken !== '' ? continuationToken : undefined);
    return { items, next };
  }
}

class StaleToken extends Error {}
