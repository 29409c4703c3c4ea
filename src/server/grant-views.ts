import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PartnerGrant } from '../storage/access-grant-store.js';
import type { Store } from '../storage/store.js';
import { buildPricedView } from '../pricing/priced-view.js';

/** Grantees' views kept at once (each a small SQLite file); the least recently used is closed first. */
const MAX_VIEWS = 16;
/** How long a replaced view stays open for the requests still reading it. */
const CLOSE_AFTER_MS = 30_000;

interface Built {
  readonly version: string;
  readonly file: string;
  readonly view: Promise<Store>;
}

/**
 * The access grants and the grantees' views (src/pricing/priced-view.ts) of a server: grants
 * re-read and views rebuilt when the store's data version moves (an import, a budget, a rule or a
 * grant changed), one build per grantee at a time, in a private folder removed on close.
 */
export class GrantViews {
  #grants: { version: string; byTenant: Promise<Map<string, PartnerGrant>> } | undefined;
  readonly #views = new Map<string, Built>();
  // Made with the first view: a server without grantees leaves nothing behind.
  #dir: string | undefined;
  #files = 0;

  constructor(
    private readonly store: Store,
    private readonly openView: (file: string) => Promise<Store>,
  ) {}

  /** The grant a tenant's token is resolved to, or undefined: a tenant without one is a partner's. */
  async grantOf(tenantId: string): Promise<PartnerGrant | undefined> {
    const version = this.store.dataVersion();
    if (this.#grants?.version !== version) {
      // A tenant that has become a partner since its grant (its own lines imported) is that partner.
      const byTenant = Promise.all([this.store.access.all(), this.store.partners()]).then(([all, partners]) => {
        const own = new Set(partners.map((p) => p.tenantId.toLowerCase()));
        return new Map(all.filter((g) => !own.has(g.tenantId)).map((g) => [g.tenantId, g]));
      });
      byTenant.catch(() => (this.#grants = undefined));
      this.#grants = { version, byTenant };
    }
    return (await this.#grants.byTenant).get(tenantId.toLowerCase());
  }

  /** The grantee's view of the data as it is now, built on first use after a change. */
  viewOf(grant: PartnerGrant): Promise<Store> {
    const version = this.store.dataVersion();
    const key = grant.tenantId;
    const kept = this.#views.get(key);
    if (kept?.version === version) {
      // Most recently used last: the first is the one to close.
      this.#views.delete(key);
      this.#views.set(key, kept);
      return kept.view;
    }
    this.#dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'partner-usage-views-'));
    const file = path.join(this.#dir, `view-${++this.#files}.db`);
    const view = this.#build(grant, file);
    view.catch(() => {
      if (this.#views.get(key)?.view === view) this.#views.delete(key);
    });
    this.#views.set(key, { version, file, view });
    if (kept) this.#closeLater(kept);
    const [oldest] = this.#views.keys();
    if (this.#views.size > MAX_VIEWS && oldest !== undefined) {
      this.#closeLater(this.#views.get(oldest)!);
      this.#views.delete(oldest);
    }
    return view;
  }

  /**
   * Rebuilds, ahead of their grantees' next request, the views in use whose data changed (an
   * import, a budget, a rule); drops those whose grant is gone. How many it rebuilt. (`serve` runs
   * it every few seconds: ServerOptions.refreshViewsEveryMs.)
   */
  async refresh(): Promise<number> {
    let rebuilt = 0;
    for (const [tenant, kept] of [...this.#views]) {
      if (kept.version === this.store.dataVersion()) continue;
      const grant = await this.grantOf(tenant);
      if (grant) {
        await this.viewOf(grant);
        rebuilt++;
      } else if (this.#views.get(tenant) === kept) {
        this.#views.delete(tenant);
        this.#closeLater(kept);
      }
    }
    return rebuilt;
  }

  async #build(grant: PartnerGrant, file: string): Promise<Store> {
    const work = `${file}.lines`;
    await fs.promises.mkdir(work);
    const view = await this.openView(file);
    try {
      await buildPricedView(this.store, grant.partnerTenantId, grant, view, work);
      return view;
    } catch (error) {
      await view.close();
      await this.#remove(file);
      throw error;
    } finally {
      await fs.promises.rm(work, { recursive: true, force: true });
    }
  }

  #closeLater(built: Built): void {
    setTimeout(() => void this.#discard(built), CLOSE_AFTER_MS).unref();
  }

  async #discard({ view, file }: Built): Promise<void> {
    await view.then((v) => v.close()).catch(() => undefined);
    await this.#remove(file);
  }

  async #remove(file: string): Promise<void> {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) await fs.promises.rm(f, { force: true });
  }

  /** Closes every view and removes their files. */
  async close(): Promise<void> {
    const views = [...this.#views.values()];
    this.#views.clear();
    for (const built of views) await this.#discard(built);
    if (this.#dir !== undefined) await fs.promises.rm(this.#dir, { recursive: true, force: true });
  }
}
