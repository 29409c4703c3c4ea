import type BetterSqlite3 from 'better-sqlite3';
import type { PackedBatch } from '../../ingest/line-batch.js';
import type {
  ImportMeta,
  ImportScope,
  ImportSession,
  ImportSummaryCounts,
  LineKeys,
  PeriodAggregates,
  StoredLine,
} from '../store.js';
import { IdentityTable, occurrenceKey } from '../identity-table.js';

type Statement = BetterSqlite3.Statement;

/** Storage keys by a parser's local dimension index, and each resource's owners. */
interface SourceKeys {
  readonly partner: number[];
  readonly customer: number[];
  readonly subscription: number[];
  readonly entitlement: number[];
  readonly meter: number[];
  /** Per local resource: [resource key, subscription key, customer key, partner key]. */
  readonly resource: [number, number, number, number][];
  readonly periods: string[];
  // Local parent indexes, to find a resource's owners.
  readonly customerParent: number[];
  readonly subscriptionParent: number[];
  readonly entitlementParent: number[];
}

const newSourceKeys = (): SourceKeys => ({
  partner: [],
  customer: [],
  subscription: [],
  entitlement: [],
  meter: [],
  resource: [],
  periods: [],
  customerParent: [],
  subscriptionParent: [],
  entitlementParent: [],
});

// A stored line's place: block_key × 2^20 + index (a block holds fewer than 2^20 lines).
const INDEX_SPAN = 2 ** 20;

const int32s = (blob: Buffer, count: number): Int32Array => {
  const out = new Int32Array(count);
  Buffer.from(out.buffer).set(blob.subarray(0, count * 4));
  return out;
};
const bytesOf = (a: Int32Array | BigInt64Array, count: number): Buffer =>
  Buffer.from(a.buffer, a.byteOffset, count * a.BYTES_PER_ELEMENT);
const isReplaced = (bitmap: Buffer | null, i: number): boolean =>
  bitmap !== null && (bitmap[i >>> 3]! & (1 << (i & 7))) !== 0;

/**
 * One import as one SQLite write transaction (BEGIN IMMEDIATE … COMMIT), with prepared
 * statements directly: lines go in as one block row per batch (see the migration), and the
 * identities a new line may replace are held in memory (identity-table.ts), not indexed in SQL.
 */
export class SqliteImportSession implements ImportSession {
  readonly batchId: number;
  readonly #db: BetterSqlite3.Database;
  readonly #stmt: Record<string, Statement>;
  readonly #sources: SourceKeys[] = [];
  readonly #scopes: ImportScope[] = [];
  readonly #scopeIndex = new Map<string, number>();
  /** Identity → how many lines of it this file had so far (the next one's ordinal). */
  readonly #inFile = new IdentityTable();
  /** Per preexisting scope: occurrence key → place of the stored line a new line replaces. */
  readonly #stored: (IdentityTable | undefined)[] = [];
  /** block_key → indexes of its lines this import replaced, not yet marked. */
  readonly #replacedIn = new Map<number, number[]>();
  #replaced = 0;
  #open = true;
  readonly #key = new Int32Array(2);

  readonly #onCommit: () => void;

  constructor(db: BetterSqlite3.Database, meta: ImportMeta, onCommit: () => void) {
    this.#db = db;
    this.#onCommit = onCommit;
    db.exec('BEGIN IMMEDIATE');
    try {
      const batch = db
        .prepare(
          `INSERT INTO import_batches (file_name, content_hash, format, started_at, finished_at, lines, rejected, replaced)
           VALUES (?, '', ?, ?, '', 0, 0, 0) RETURNING batch_id`,
        )
        .get(meta.fileName, meta.format, meta.startedAt) as { batch_id: number };
      this.batchId = batch.batch_id;
      this.#stmt = {
        partner: db.prepare(
          `INSERT INTO partners (tenant_id, name) VALUES (?, ?)
           ON CONFLICT (tenant_id) DO UPDATE SET name = excluded.name RETURNING partner_key AS key`,
        ),
        customer: db.prepare(
          `INSERT INTO customers (partner_key, tenant_id, name, domain, country, currency, currency_locale, plan)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (partner_key, tenant_id) DO UPDATE SET name = excluded.name, domain = excluded.domain,
             country = CASE WHEN excluded.country = '' THEN customers.country ELSE excluded.country END,
             currency = excluded.currency,
             currency_locale = CASE WHEN excluded.plan = 'azure-plan' THEN NULL
                                    ELSE coalesce(customers.currency_locale, excluded.currency_locale) END,
             plan = CASE WHEN customers.plan = 'azure-plan' THEN customers.plan ELSE excluded.plan END
           RETURNING customer_key AS key`,
        ),
        subscription: db.prepare(
          `INSERT INTO subscriptions (customer_key, subscription_id, offer_id, description) VALUES (?, ?, ?, ?)
           ON CONFLICT (customer_key, subscription_id) DO UPDATE SET offer_id = excluded.offer_id,
             description = excluded.description
           RETURNING subscription_key AS key`,
        ),
        entitlement: db.prepare(
          `INSERT INTO entitlements (subscription_key, entitlement_id, description) VALUES (?, ?, ?)
           ON CONFLICT (subscription_key, entitlement_id) DO UPDATE SET description = excluded.description
           RETURNING entitlement_key AS key`,
        ),
        meter: db.prepare(
          `INSERT INTO meters (meter_id, name, category, subcategory, region, unit) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (meter_id) DO UPDATE SET name = excluded.name, category = excluded.category,
             subcategory = excluded.subcategory, region = excluded.region, unit = excluded.unit
           RETURNING meter_key AS key`,
        ),
        resource: db.prepare(
          `INSERT INTO resources (entitlement_key, uri, resource_group, location, service, tags) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (entitlement_key, uri) DO UPDATE SET resource_group = excluded.resource_group,
             location = excluded.location, service = excluded.service, tags = excluded.tags
           RETURNING resource_key AS key`,
        ),
        anyLine: db.prepare('SELECT 1 FROM line_blocks WHERE partner_key = ? AND period = ? LIMIT 1'),
        insertBlock: db.prepare(
          `INSERT INTO line_blocks (partner_key, period, batch_id, line_count, identities, ordinals, resources, meters, days,
             quantities, billing_totals, usd_totals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
        blocks: db.prepare(
          `SELECT block_key, line_count, identities, ordinals, resources, meters, quantities, billing_totals, usd_totals, replaced
           FROM line_blocks WHERE partner_key = ? AND period = ?`,
        ),
        blockMarks: db.prepare('SELECT line_count, replaced FROM line_blocks WHERE block_key = ?'),
        markReplaced: db.prepare('UPDATE line_blocks SET replaced = ? WHERE block_key = ?'),
        deleteBlock: db.prepare('DELETE FROM line_blocks WHERE block_key = ?'),
        owners: db.prepare(
          `SELECT r.resource_key, e.subscription_key, s.customer_key FROM resources r
           JOIN entitlements e ON e.entitlement_key = r.entitlement_key
           JOIN subscriptions s ON s.subscription_key = e.subscription_key
           JOIN customers c ON c.customer_key = s.customer_key
           WHERE c.partner_key = ?`,
        ),
      };
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }

  get scopes(): readonly ImportScope[] {
    return this.#scopes;
  }

  async write(batch: PackedBatch, source: number): Promise<void> {
    const keys = (this.#sources[source] ??= newSourceKeys());
    this.#resolveDimensions(batch, keys);
    for (const period of batch.periods) keys.periods.push(period);
    const n = batch.count;
    const resources = new Int32Array(n);
    const meters = new Int32Array(n);
    const ordinals = new Int32Array(n);
    const scopes = new Int32Array(n);
    const words = new Int32Array(batch.identity.buffer, batch.identity.byteOffset, 2 * n); // [lo, hi] per line
    const key = this.#key;
    let lastPartner = -1;
    let lastPeriod = -1;
    let scope = -1;
    let mixed = false;
    for (let i = 0; i < n; i++) {
      const owners = keys.resource[batch.resource[i]!]!;
      resources[i] = owners[0];
      meters[i] = keys.meter[batch.meter[i]!]!;
      const period = batch.period[i]!;
      if (owners[3] !== lastPartner || period !== lastPeriod) {
        lastPartner = owners[3];
        lastPeriod = period;
        scope = this.#scope(lastPartner, keys.periods[period]!);
        if (i > 0 && scope !== scopes[0]) mixed = true;
      }
      scopes[i] = scope;
      const lo = words[2 * i]!;
      const hi = words[2 * i + 1]!;
      const ordinal = this.#inFile.increment(lo, hi);
      ordinals[i] = ordinal;
      const stored = this.#stored[scope];
      if (stored) {
        occurrenceKey(lo, hi, ordinal, key);
        this.#replace(stored, key[0]!, key[1]!);
      }
    }
    const columns = { identities: batch.identity, ordinals, resources, meters, days: batch.day };
    const texts = { quantity: batch.quantity, billing: batch.billing, usd: batch.usd };
    if (!mixed) {
      this.#insertBlock(scopes[0]!, n, columns, texts);
      return Promise.resolve();
    }
    // Lines of several partners or periods (rare): one block for each.
    const split = { quantity: texts.quantity.split(','), billing: texts.billing.split(','), usd: texts.usd.split(',') };
    for (const s of new Set(scopes)) {
      const pick = [...scopes.keys()].filter((i) => scopes[i] === s);
      const take = <T extends Int32Array | BigInt64Array>(a: T): T =>
        a.constructor === BigInt64Array
          ? (BigInt64Array.from(pick, (i) => (a as BigInt64Array)[i]!) as T)
          : (Int32Array.from(pick, (i) => (a as Int32Array)[i]!) as T);
      this.#insertBlock(
        s,
        pick.length,
        {
          identities: take(columns.identities),
          ordinals: take(ordinals),
          resources: take(resources),
          meters: take(meters),
          days: take(batch.day),
        },
        {
          quantity: pick.map((i) => split.quantity[i]).join(','),
          billing: pick.map((i) => split.billing[i]).join(','),
          usd: pick.map((i) => split.usd[i]).join(','),
        },
      );
    }
    return Promise.resolve();
  }

  #insertBlock(
    scope: number,
    count: number,
    c: { identities: BigInt64Array; ordinals: Int32Array; resources: Int32Array; meters: Int32Array; days: Int32Array },
    t: { quantity: string; billing: string; usd: string },
  ): void {
    const { partnerKey, period } = this.#scopes[scope]!;
    this.#stmt.insertBlock!.run(
      partnerKey,
      period,
      this.batchId,
      count,
      bytesOf(c.identities, count),
      bytesOf(c.ordinals, count),
      bytesOf(c.resources, count),
      bytesOf(c.meters, count),
      bytesOf(c.days, count),
      t.quantity,
      t.billing,
      t.usd,
    );
  }

  keysOf(source: number, resource: number, meter: number, period: number): LineKeys {
    const keys = this.#sources[source]!;
    const [resourceKey, subscription, customer, partner] = keys.resource[resource]!;
    return {
      scope: this.#scope(partner, keys.periods[period]!),
      customer,
      subscription,
      resource: resourceKey,
      meter: keys.meter[meter]!,
    };
  }

  async *readLines(scope: ImportScope): AsyncIterable<StoredLine> {
    this.#markReplaced();
    const owners = new Map<number, [number, number]>();
    for (const r of this.#stmt.owners!.raw(true).iterate(scope.partnerKey) as IterableIterator<
      [number, number, number]
    >) {
      owners.set(r[0], [r[1], r[2]]);
    }
    const blocks = this.#stmt.blocks!.raw(true).all(scope.partnerKey, scope.period) as [
      number,
      number,
      Buffer,
      Buffer,
      Buffer,
      Buffer,
      string,
      string,
      string,
      Buffer | null,
    ][];
    for (const [, count, , , resourceBlob, meterBlob, quantities, billings, usds, replaced] of blocks) {
      const resources = int32s(resourceBlob, count);
      const meters = int32s(meterBlob, count);
      const q = quantities.split(',');
      const b = billings.split(',');
      const u = usds.split(',');
      for (let i = 0; i < count; i++) {
        if (isReplaced(replaced, i)) continue;
        const [subscription, customer] = owners.get(resources[i]!)!;
        yield {
          customer,
          subscription,
          resource: resources[i]!,
          meter: meters[i]!,
          quantity: q[i]!,
          billing: b[i]!,
          usd: u[i]!,
        };
      }
    }
  }

  async writeAggregates(aggregates: PeriodAggregates, now: string): Promise<void> {
    const { partnerKey, period, preexisting } = aggregates.scope;
    const tables: [string, string[], string[], Record<string, unknown>[]][] = [
      [
        'customer_usage',
        ['customer_key'],
        ['billing_total', 'usd_total'],
        aggregates.customers.map((a) => ({ customer_key: a.customer, billing_total: a.billing, usd_total: a.usd })),
      ],
      [
        'subscription_usage',
        ['subscription_key'],
        ['billing_total', 'usd_total'],
        aggregates.subscriptions.map((a) => ({
          subscription_key: a.subscription,
          billing_total: a.billing,
          usd_total: a.usd,
        })),
      ],
      [
        'meter_usage',
        ['subscription_key', 'meter_key'],
        ['quantity', 'billing_total', 'usd_total'],
        aggregates.meters.map((a) => ({
          subscription_key: a.subscription,
          meter_key: a.meter,
          quantity: a.quantity,
          billing_total: a.billing,
          usd_total: a.usd,
        })),
      ],
      [
        'resource_usage',
        ['subscription_key', 'resource_key'],
        ['billing_total', 'usd_total'],
        aggregates.resources.map((a) => ({
          subscription_key: a.subscription,
          resource_key: a.resource,
          billing_total: a.billing,
          usd_total: a.usd,
        })),
      ],
    ];
    for (const [table, keys, values, rows] of tables) {
      // Keep lastModified where the values did not change (a re-import changes nothing).
      const previous = new Map<string, { values: string; modified: string }>();
      if (preexisting) {
        const old = this.#db
          .prepare(
            `SELECT ${[...keys, ...values, 'last_modified'].join(', ')} FROM ${table} WHERE partner_key = ? AND period = ?`,
          )
          .raw(true)
          .all(partnerKey, period) as unknown[][];
        for (const row of old) {
          previous.set(row.slice(0, keys.length).join('|'), {
            values: row.slice(keys.length, keys.length + values.length).join('|'),
            modified: row[keys.length + values.length] as string,
          });
        }
        this.#db.prepare(`DELETE FROM ${table} WHERE partner_key = ? AND period = ?`).run(partnerKey, period);
      }
      const columns = ['partner_key', 'period', ...keys, ...values, 'last_modified'];
      const insert = this.#db.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      );
      for (const row of rows) {
        const keyValues = keys.map((k) => row[k]);
        const valueValues = values.map((v) => row[v]);
        const before = previous.get(keyValues.join('|'));
        const modified = before && before.values === valueValues.join('|') ? before.modified : now;
        insert.run(partnerKey, period, ...keyValues, ...valueValues, modified);
      }
    }
    return Promise.resolve();
  }

  async commit(summary: ImportSummaryCounts): Promise<{ replaced: number }> {
    this.#markReplaced();
    const replaced = this.#replaced;
    this.#db
      .prepare(
        'UPDATE import_batches SET content_hash = ?, finished_at = ?, lines = ?, rejected = ?, replaced = ? WHERE batch_id = ?',
      )
      .run(summary.contentHash, summary.finishedAt, summary.lines, summary.rejected, replaced, this.batchId);
    this.#db.exec('COMMIT');
    this.#onCommit();
    this.#open = false;
    return Promise.resolve({ replaced });
  }

  async rollback(): Promise<void> {
    if (this.#open && this.#db.inTransaction) this.#db.exec('ROLLBACK');
    this.#open = false;
    return Promise.resolve();
  }

  #scope(partnerKey: number, period: string): number {
    const name = `${partnerKey}|${period}`;
    let idx = this.#scopeIndex.get(name);
    if (idx === undefined) {
      const preexisting = this.#stmt.anyLine!.get(partnerKey, period) !== undefined;
      idx = this.#scopes.length;
      this.#scopes.push({ partnerKey, period, preexisting });
      this.#scopeIndex.set(name, idx);
      if (preexisting) this.#stored[idx] = this.#loadStored(partnerKey, period);
    }
    return idx;
  }

  // The identities of the lines stored for a period before this import, to replace them.
  #loadStored(partnerKey: number, period: string): IdentityTable {
    const table = new IdentityTable();
    const blocks = this.#stmt.blocks!.raw(true).iterate(partnerKey, period) as IterableIterator<
      [number, number, Buffer, Buffer, ...unknown[]]
    >;
    for (const row of blocks) {
      const [blockKey, count, identityBlob, ordinalBlob] = row;
      const replaced = row[9] as Buffer | null;
      const words = int32s(identityBlob, 2 * count);
      const ordinals = int32s(ordinalBlob, count);
      const key = this.#key;
      for (let i = 0; i < count; i++) {
        if (isReplaced(replaced, i)) continue;
        occurrenceKey(words[2 * i]!, words[2 * i + 1]!, ordinals[i]!, key);
        table.set(key[0]!, key[1]!, blockKey * INDEX_SPAN + i);
      }
    }
    return table;
  }

  #replace(stored: IdentityTable, lo: number, hi: number): void {
    const place = stored.get(lo, hi);
    if (place === undefined || place < 0) return;
    stored.set(lo, hi, -1); // replaced once; the table has no delete
    const block = Math.floor(place / INDEX_SPAN);
    let marks = this.#replacedIn.get(block);
    if (!marks) this.#replacedIn.set(block, (marks = []));
    marks.push(place % INDEX_SPAN);
    this.#replaced++;
  }

  // Marks replaced lines in their blocks; a block with every line replaced is deleted.
  #markReplaced(): void {
    for (const [block, indexes] of this.#replacedIn) {
      const row = this.#stmt.blockMarks!.get(block) as { line_count: number; replaced: Buffer | null };
      const bitmap = Buffer.alloc(Math.ceil(row.line_count / 8));
      row.replaced?.copy(bitmap);
      for (const i of indexes) bitmap[i >>> 3]! |= 1 << (i & 7);
      let set = 0;
      for (let i = 0; i < row.line_count; i++) if (isReplaced(bitmap, i)) set++;
      if (set === row.line_count) this.#stmt.deleteBlock!.run(block);
      else this.#stmt.markReplaced!.run(bitmap, block);
    }
    this.#replacedIn.clear();
  }

  #resolveDimensions(batch: PackedBatch, keys: SourceKeys): void {
    const key = (stmt: string, ...values: unknown[]): number =>
      (this.#stmt[stmt]!.get(...values) as { key: number }).key;
    for (const p of batch.partners) keys.partner.push(key('partner', p.tenantId, p.name));
    for (const c of batch.customers) {
      keys.customerParent.push(c.partner);
      keys.customer.push(
        key(
          'customer',
          keys.partner[c.partner],
          c.tenantId,
          c.name,
          c.domain,
          c.country,
          c.currency,
          c.currencyLocale,
          c.plan,
        ),
      );
    }
    for (const s of batch.subscriptions) {
      keys.subscriptionParent.push(s.customer);
      keys.subscription.push(
        key('subscription', keys.customer[s.customer], s.subscriptionId, s.offerId, s.description),
      );
    }
    for (const e of batch.entitlements) {
      keys.entitlementParent.push(e.subscription);
      keys.entitlement.push(key('entitlement', keys.subscription[e.subscription], e.entitlementId, e.description));
    }
    for (const m of batch.meters)
      keys.meter.push(key('meter', m.meterId, m.name, m.category, m.subcategory, m.region, m.unit));
    for (const r of batch.resources) {
      const resourceKey = key(
        'resource',
        keys.entitlement[r.entitlement],
        r.uri,
        r.group,
        r.location,
        r.service,
        r.tags,
      );
      const subscription = keys.entitlementParent[r.entitlement]!;
      const customer = keys.subscriptionParent[subscription]!;
      const partner = keys.customerParent[customer]!;
      keys.resource.push([
        resourceKey,
        keys.subscription[subscription]!,
        keys.customer[customer]!,
        keys.partner[partner]!,
      ]);
    }
  }
}
