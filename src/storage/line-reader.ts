import crypto from 'node:crypto';
import v8 from 'node:v8';
import type { Kysely } from 'kysely';
import type { MeterInfo, PlanKind } from '../domain/usage-model.js';
import { fieldsHeader, LineDictionary, LineFields } from '../domain/line-fields.js';
import type { LineFormat } from '../domain/line-schema.js';
import type { Database } from './schema.js';
import { int32s, isReplaced } from './usage-lines.js';
import { loadMeters } from './meters-by-key.js';
import { archivedPeriod, ArchivedPeriodError, refuseArchived } from './archived-periods.js';

/** A stored line's place, in the order lines are read: block_key × 2^20 + index in the block. */
export const LINE_INDEX_SPAN = 2 ** 20;

export interface LineOwner {
  readonly partner: { readonly tenantId: string; readonly name: string };
  readonly customer: {
    readonly tenantId: string;
    readonly name: string;
    readonly domain: string;
    readonly country: string;
    readonly currency: string;
    readonly plan: PlanKind;
  };
  readonly subscription: {
    readonly id: string;
    readonly offerId: string;
    readonly description: string;
    readonly partnerOnRecord: string;
  };
  readonly entitlement: { readonly id: string; readonly description: string };
  readonly resource: {
    readonly uri: string;
    readonly group: string;
    readonly location: string;
    readonly service: string;
    readonly tags: string;
  };
}

/** One stored line with what it belongs to (shared objects: a line costs its amounts and day). */
export interface StoredLineRow {
  readonly position: number;
  readonly period: string;
  readonly owner: LineOwner;
  readonly meter: MeterInfo;
  /** yyyymmdd */
  readonly day: number;
  readonly quantity: string;
  readonly billing: string;
  readonly usd: string;
  /** Every column of the line as written, at `index` (line-fields.ts); null for lines stored before migration 0011. */
  readonly fields: LineFields | null;
  readonly index: number;
}

export interface LineFilter {
  /** Only customers billed in this currency. */
  readonly currency?: string | undefined;
  readonly customerTenantId?: string | undefined;
  /** Lines after this position (exclusive): where a page ended. */
  readonly after?: number | undefined;
  /** Owners kept in memory at most (default OWNER_CACHE; tests make it small). */
  readonly ownerCache?: number | undefined;
}

/** Blocks read per query: a block holds a batch of an import (thousands of lines). */
const BLOCKS_PER_READ = 4;

/**
 * The stored lines themselves, with their customer, subscription, resource and meter: what the
 * emulated Microsoft endpoints serve and the exports write. Streams block by block, so memory
 * holds the partner's resources and the meters seen, never the lines.
 */
export class LineReader {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * A tag of the partner's period as stored, of the customers billed in `currency` when given: it
   * changes whenever one of those lines is added or replaced, and only then (the blocks' keys and
   * batches, and which of their lines are current). Undefined: no such lines.
   */
  async snapshotTag(partnerTenantId: string, period: string, currency?: string): Promise<string | undefined> {
    const partner = await this.db
      .selectFrom('partners')
      .select('partner_key')
      .where('tenant_id', '=', partnerTenantId.toLowerCase())
      .executeTakeFirst();
    if (!partner) return undefined;
    const archived = await archivedPeriod(this.db, partner.partner_key, period);
    if (archived && archived.lines !== null) {
      // An archived month keeps the tag its lines had, so the price bases kept for them stay in use.
      if (currency === undefined) return archived.tag || undefined;
      throw new ArchivedPeriodError(archived);
    }
    let resources: Set<number> | undefined;
    if (currency !== undefined) {
      const rows = await this.db
        .selectFrom('resources as r')
        .innerJoin('entitlements as e', 'e.entitlement_key', 'r.entitlement_key')
        .innerJoin('subscriptions as s', 's.subscription_key', 'e.subscription_key')
        .innerJoin('customers as c', 'c.customer_key', 's.customer_key')
        .select('r.resource_key')
        .where('c.partner_key', '=', partner.partner_key)
        .where('c.currency', '=', currency.toUpperCase())
        .execute();
      resources = new Set(rows.map((r) => r.resource_key));
    }
    const blocks = await this.db
      .selectFrom('line_blocks')
      .select(['block_key', 'batch_id', 'line_count', 'resources', 'replaced'])
      .where('partner_key', '=', partner.partner_key)
      .where('period', '=', period)
      .orderBy('block_key')
      .execute();
    const hash = crypto.createHash('sha256');
    let lines = 0;
    for (const b of blocks) {
      const count = Number(b.line_count);
      const keys = int32s(b.resources, count);
      // Which of the block's lines are current and the snapshot's, as a bitmap.
      const current = Buffer.alloc(Math.ceil(count / 8));
      let any = false;
      for (let i = 0; i < count; i++) {
        if (isReplaced(b.replaced, i) || (resources && !resources.has(keys[i]!))) continue;
        current[i >>> 3]! |= 1 << (i & 7);
        any = true;
        lines++;
      }
      if (any) hash.update(`${b.block_key}/${b.batch_id}/`).update(current).update(';');
    }
    if (lines === 0) return undefined;
    // Like Microsoft's eTags: 17 letters and digits.
    return hash.digest('base64url').replace(/[-_]/g, '').slice(0, 17);
  }

  /**
   * The partner's lines of the period, in stored order, that pass the filter. Owners are read for
   * each block's resources as they come and kept in a bounded cache (OWNER_CACHE), so memory does
   * not grow with the partner's resources any more than with its lines.
   */
  async *rows(partnerTenantId: string, period: string, filter: LineFilter = {}): AsyncGenerator<StoredLineRow> {
    for await (const lines of this.blocks(partnerTenantId, period, filter)) yield* lines;
  }

  /**
   * rows(), a stored block's lines at a time: for a reader of every line (an export), one
   * asynchronous step a block rather than a line.
   */
  async *blocks(partnerTenantId: string, period: string, filter: LineFilter = {}): AsyncGenerator<StoredLineRow[]> {
    const partner = await this.db
      .selectFrom('partners')
      .select(['partner_key', 'tenant_id', 'name'])
      .where('tenant_id', '=', partnerTenantId.toLowerCase())
      .executeTakeFirst();
    if (!partner) return;
    await refuseArchived(this.db, partner.partner_key, period);
    const owners = new OwnerCache(
      this.db,
      partner.partner_key,
      { tenantId: partner.tenant_id, name: partner.name },
      filter,
    );
    const meters = new Map<number, MeterInfo>();
    const dictionaries = new DictionaryCache(this.db);
    const after = filter.after ?? 0;
    let lastBlock = Math.floor(after / LINE_INDEX_SPAN) - 1;
    for (;;) {
      const blocks = await this.db
        .selectFrom('line_blocks')
        .select(['block_key', 'batch_id', 'line_count', 'resources', 'meters', 'days', 'amounts', 'replaced', 'fields'])
        .where('partner_key', '=', partner.partner_key)
        .where('period', '=', period)
        .where('block_key', '>', lastBlock)
        .orderBy('block_key')
        .limit(BLOCKS_PER_READ)
        .execute();
      if (blocks.length === 0) return;
      for (const block of blocks) {
        lastBlock = block.block_key;
        const count = Number(block.line_count);
        const resources = int32s(block.resources, count);
        const meterKeys = int32s(block.meters, count);
        const days = int32s(block.days, count);
        await owners.load(resources);
        await loadMeters(this.db, meters, meterKeys);
        const amounts = block.amounts.toString('latin1').split(','); // three a line
        const fields = block.fields
          ? new LineFields(block.fields, amounts, await dictionaries.for(block.batch_id, block.fields))
          : null;
        const base = block.block_key * LINE_INDEX_SPAN;
        const lines: StoredLineRow[] = [];
        for (let i = 0; i < count; i++) {
          if (base + i <= after || isReplaced(block.replaced, i)) continue;
          const owner = owners.get(resources[i]!);
          if (!owner) continue;
          lines.push({
            position: base + i,
            period,
            owner,
            meter: meters.get(meterKeys[i]!)!,
            day: days[i]!,
            quantity: amounts[3 * i]!,
            billing: amounts[3 * i + 1]!,
            usd: amounts[3 * i + 2]!,
            fields,
            index: i,
          });
        }
        if (lines.length > 0) yield lines;
      }
    }
  }

  /**
   * The layouts the partner's lines of the period came in (of one customer, when given): a
   * customer's plan says which (legacy customers' lines come from the legacy file).
   */
  async formats(partnerTenantId: string, period: string, customerTenantId?: string): Promise<Set<LineFormat>> {
    let query = this.db
      .selectFrom('customer_usage as u')
      .innerJoin('customers as c', 'c.customer_key', 'u.customer_key')
      .innerJoin('partners as p', 'p.partner_key', 'c.partner_key')
      .select('c.plan')
      .distinct()
      .where('p.tenant_id', '=', partnerTenantId.toLowerCase())
      .where('u.period', '=', period);
    if (customerTenantId) query = query.where('c.tenant_id', '=', customerTenantId.toLowerCase());
    const plans = await query.execute();
    return new Set(plans.map((p): LineFormat => (p.plan === 'legacy' ? 'legacy' : 'daily-rated')));
  }
}

/** Import dictionaries kept at most: a period's blocks come from a few imports, each from one or two parsers. */
const DICTIONARIES = 8;

/**
 * The dictionaries of line fields (line-fields.ts) the blocks being read need, each grown part by
 * part as later blocks need more of it, the least recently used dropped past DICTIONARIES.
 */
class DictionaryCache {
  readonly #dictionaries = new Map<string, LineDictionary>();

  constructor(private readonly db: Kysely<Database>) {}

  async for(batchId: number, fields: Uint8Array): Promise<LineDictionary> {
    const { parser, seq } = fieldsHeader(fields);
    const name = `${batchId}|${parser}`;
    let dictionary = this.#dictionaries.get(name);
    this.#dictionaries.delete(name);
    dictionary ??= new LineDictionary();
    this.#dictionaries.set(name, dictionary);
    if (this.#dictionaries.size > DICTIONARIES) this.#dictionaries.delete(this.#dictionaries.keys().next().value!);
    if (dictionary.seq < seq) {
      const parts = await this.db
        .selectFrom('line_dictionaries')
        .select('delta')
        .where('batch_id', '=', batchId)
        .where('parser', '=', parser)
        .where('seq', '>', dictionary.seq)
        .where('seq', '<=', seq)
        .orderBy('seq')
        .execute();
      for (const p of parts) dictionary.apply(p.delta);
    }
    return dictionary;
  }
}

/**
 * Owners kept at most (~750 bytes each): a sixteenth of the heap's limit, from 20,000 (~15 MB,
 * what a 64 MB heap affords) to 100,000. A month's lines name each resource once a day, day after
 * day: with fewer owners kept than the month has resources, every block read them all again (a
 * million lines of 32,000 resources: a quarter of a CSV export's time in those queries).
 */
const OWNER_CACHE = Math.min(100_000, Math.max(20_000, Math.floor(v8.getHeapStatistics().heap_size_limit / 16 / 750)));

/**
 * The owners of the resources lines name, read a block's worth at a time (500 a query) and kept
 * in insertion order up to OWNER_CACHE, the oldest dropped first: lines of a resource come
 * together in a file, so a dropped owner is seldom asked for again. Resources the filter excludes
 * are remembered as null. Customers, subscriptions and entitlements are shared objects.
 */
class OwnerCache {
  readonly #owners = new Map<number, LineOwner | null>();
  readonly #customers = new Map<number, LineOwner['customer']>();
  readonly #subscriptions = new Map<number, LineOwner['subscription']>();
  readonly #entitlements = new Map<number, LineOwner['entitlement']>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly partnerKey: number,
    private readonly partner: LineOwner['partner'],
    private readonly filter: LineFilter,
  ) {}

  get(resource: number): LineOwner | null | undefined {
    return this.#owners.get(resource);
  }

  async load(resources: Int32Array): Promise<void> {
    const needed = [...new Set(resources)];
    const missing: number[] = [];
    for (const k of needed) {
      const owner = this.#owners.get(k);
      if (owner === undefined) missing.push(k);
      else {
        // Used again: moved to the newest end, so it is not the next dropped.
        this.#owners.delete(k);
        this.#owners.set(k, owner);
      }
    }
    for (let i = 0; i < missing.length; i += 500) {
      const keys = missing.slice(i, i + 500);
      for (const k of keys) this.#owners.set(k, null);
      let query = this.db
        .selectFrom('resources as r')
        .innerJoin('entitlements as e', 'e.entitlement_key', 'r.entitlement_key')
        .innerJoin('subscriptions as s', 's.subscription_key', 'e.subscription_key')
        .innerJoin('customers as c', 'c.customer_key', 's.customer_key')
        .select([
          'r.resource_key',
          'r.display_uri as uri',
          'r.resource_group',
          'r.location',
          'r.service',
          'r.tags',
          'e.entitlement_key',
          'e.entitlement_id',
          'e.description as entitlement_description',
          's.subscription_key',
          's.subscription_id',
          's.offer_id',
          's.description as subscription_description',
          's.partner_on_record',
          'c.customer_key',
          'c.tenant_id',
          'c.name',
          'c.domain',
          'c.country',
          'c.currency',
          'c.plan',
        ])
        .where('c.partner_key', '=', this.partnerKey)
        .where('r.resource_key', 'in', keys);
      if (this.filter.currency) query = query.where('c.currency', '=', this.filter.currency.toUpperCase());
      if (this.filter.customerTenantId)
        query = query.where('c.tenant_id', '=', this.filter.customerTenantId.toLowerCase());
      for (const r of await query.execute()) {
        // One object per customer, subscription and entitlement, shared by their resources' owners.
        const customer = shared(this.#customers, r.customer_key, () => ({
          tenantId: r.tenant_id,
          name: r.name,
          domain: r.domain,
          country: r.country,
          currency: r.currency,
          plan: r.plan as PlanKind,
        }));
        const subscription = shared(this.#subscriptions, r.subscription_key, () => ({
          id: r.subscription_id,
          offerId: r.offer_id,
          description: r.subscription_description,
          partnerOnRecord: r.partner_on_record,
        }));
        const entitlement = shared(this.#entitlements, r.entitlement_key, () => ({
          id: r.entitlement_id,
          description: r.entitlement_description,
        }));
        this.#owners.set(r.resource_key, {
          partner: this.partner,
          customer,
          subscription,
          entitlement,
          resource: { uri: r.uri, group: r.resource_group, location: r.location, service: r.service, tags: r.tags },
        });
      }
    }
    // Drop the oldest past the bound, never one this block needs (they are the newest).
    for (const k of this.#owners.keys()) {
      if (this.#owners.size <= Math.max(this.filter.ownerCache ?? OWNER_CACHE, needed.length)) break;
      this.#owners.delete(k);
    }
  }
}

/** The map's value for `key`, made by `make` and kept the first time. */
function shared<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}
