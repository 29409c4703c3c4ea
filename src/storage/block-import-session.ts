import { amountsOf, type LineBatch } from '../domain/line-batch.js';
import { IdentityTable, occurrenceKey } from './identity-table.js';
import { compareColumns, writeAggregates } from './aggregate-writer.js';
import { CoarseLines } from './coarse-lines.js';
import { int32s, isReplaced } from './usage-lines.js';
import { DIMENSIONS, type DimensionKind, type ImportWriter } from './import-writer.js';
import type {
  DayKeys,
  ImportMeta,
  ImportScope,
  ImportSession,
  ImportSummaryCounts,
  LineKeys,
  PeriodAggregates,
  StoredLine,
} from './store.js';

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

// A stored line's place: block_key × 2^20 + index (a block holds fewer than 2^20 lines); block
// keys start at 1, so a place is never 0, which the identity tables reserve.
const INDEX_SPAN = 2 ** 20;

const bytesOf = (a: Int32Array | BigInt64Array, count: number): Buffer =>
  Buffer.from(a.buffer, a.byteOffset, count * a.BYTES_PER_ELEMENT);

/** push(...items) without an argument per item (which overflows the stack for large batches). */
function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

export interface SessionHooks {
  /** After a commit: the store's data version moves. */
  readonly onCommit: () => void;
  /** After a commit or a rollback. */
  readonly onEnd?: () => void;
}

/**
 * One import as one write transaction, the same on every database: lines go in as one block row
 * per batch (see the migration), and the identities a new line may replace are held in memory
 * (identity-table.ts), not indexed in SQL. The dialect's statements are the ImportWriter's.
 */
export class BlockImportSession implements ImportSession {
  readonly #writer: ImportWriter;
  readonly #onCommit: () => void;
  readonly #onEnd: () => void;
  readonly #sources: SourceKeys[] = [];
  readonly #scopes: ImportScope[] = [];
  readonly #scopeIndex = new Map<string, number>();
  /** Identity → how many lines of it this file had so far (the next one's ordinal). */
  readonly #inFile = new IdentityTable({ wide: false });
  /** Per preexisting scope: occurrence key → place of the stored line a new line replaces. */
  readonly #stored: (IdentityTable | undefined)[] = [];
  /** Per preexisting scope with lines stored before migration 0004: their places by (resource, meter, day). */
  readonly #coarse: (CoarseLines | undefined)[] = [];
  /** block_key → indexes of its lines this import replaced, not yet marked. */
  readonly #replacedIn = new Map<number, number[]>();
  readonly #key = new Int32Array(2);
  /** Per dimension kind: natural key → storage key, for the rows this import has written. */
  readonly #dimensionKeys: Record<DimensionKind, Map<string, number>> = {
    partner: new Map(),
    customer: new Map(),
    subscription: new Map(),
    entitlement: new Map(),
    meter: new Map(),
    resource: new Map(),
  };
  #lastScope: { partner: number; period: string; scope: number } | undefined;
  #replaced = 0;
  #open = true;

  private constructor(
    writer: ImportWriter,
    readonly batchId: number,
    hooks: SessionHooks,
  ) {
    this.#writer = writer;
    this.#onCommit = hooks.onCommit;
    this.#onEnd = hooks.onEnd ?? (() => {});
  }

  static async begin(writer: ImportWriter, meta: ImportMeta, hooks: SessionHooks): Promise<BlockImportSession> {
    return new BlockImportSession(writer, await writer.begin(meta), hooks);
  }

  get scopes(): readonly ImportScope[] {
    return this.#scopes;
  }

  expectLines(lines: number): void {
    this.#inFile.reserve(lines);
  }

  async write(batch: LineBatch, source: number): Promise<void> {
    const keys = (this.#sources[source] ??= newSourceKeys());
    await this.#resolveDimensions(batch, keys);
    for (const period of batch.periods) keys.periods.push(period);
    const n = batch.count;
    // The batch's scopes first (they may wait for a lock and load stored identities).
    const scopeOf = new Map<string, number>();
    for (let i = 0, partner = -1, period = -1; i < n; i++) {
      // Lines of one partner's period come in runs: look a scope up only where a run starts.
      if (keys.resource[batch.resource[i]!]![3] === partner && batch.period[i] === period) continue;
      partner = keys.resource[batch.resource[i]!]![3];
      period = batch.period[i]!;
      const name = `${partner}|${period}`;
      if (!scopeOf.has(name)) scopeOf.set(name, await this.#scope(partner, keys.periods[period]!));
    }
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
        scope = scopeOf.get(`${lastPartner}|${period}`)!;
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
        const coarse = this.#coarse[scope];
        if (coarse) for (const place of coarse.take(resources[i]!, meters[i]!, batch.day[i]!)) this.#mark(place);
      }
    }
    const columns = { identities: batch.identity, ordinals, resources, meters, days: batch.day };
    if (!mixed) {
      await this.#insertBlock(scopes[0]!, n, columns, amountsOf(batch, 0, n));
      return;
    }
    // Lines of several partners or periods (rare): one block for each.
    for (const s of new Set(scopes)) {
      const pick = [...scopes.keys()].filter((i) => scopes[i] === s);
      const ints = (a: Int32Array) => Int32Array.from(pick, (i) => a[i]!);
      await this.#insertBlock(
        s,
        pick.length,
        {
          identities: BigInt64Array.from(pick, (i) => batch.identity[i]!),
          ordinals: ints(ordinals),
          resources: ints(resources),
          meters: ints(meters),
          days: ints(batch.day),
        },
        Buffer.concat(pick.map((i) => amountsOf(batch, i, i + 1))),
      );
    }
  }

  keysOf(source: number, resource: number, meter: number, period: number): LineKeys {
    const keys = this.#sources[source]!;
    const [resourceKey, subscription, customer, partner] = keys.resource[resource]!;
    const scope = this.#scopeOf(partner, keys.periods[period]!);
    if (scope === undefined) throw new Error(`no lines were written for partner ${partner} in ${keys.periods[period]}`);
    return { scope, customer, subscription, resource: resourceKey, meter: keys.meter[meter]! };
  }

  dayKeysOf(source: number, customer: number, day: number): DayKeys {
    const keys = this.#sources[source]!;
    const partner = keys.partner[keys.customerParent[customer]!]!;
    const period = `${Math.floor(day / 10000)}-${String(Math.floor(day / 100) % 100).padStart(2, '0')}`;
    const scope = this.#scopeOf(partner, period);
    if (scope === undefined) throw new Error(`no lines were written for partner ${partner} in ${period}`);
    return { scope, customer: keys.customer[customer]! };
  }

  // The scope index of (partner, period), remembering the last one asked for: asked once a group.
  #scopeOf(partner: number, period: string): number | undefined {
    const last = this.#lastScope;
    if (last && last.partner === partner && last.period === period) return last.scope;
    const scope = this.#scopeIndex.get(`${partner}|${period}`);
    if (scope !== undefined) this.#lastScope = { partner, period, scope };
    return scope;
  }

  async *readLines(scope: ImportScope): AsyncIterable<StoredLine> {
    await this.#markReplaced();
    const owners = new Map<number, [number, number]>();
    for (const [resource, subscription, customer] of await this.#writer.owners(scope.partnerKey)) {
      owners.set(resource, [subscription, customer]);
    }
    for await (const block of this.#writer.blocks(scope.partnerKey, scope.period)) {
      const resources = int32s(block.resources, block.count);
      const meters = int32s(block.meters, block.count);
      const days = int32s(block.days, block.count);
      const amounts = block.amounts.toString('latin1').split(','); // three a line
      for (let i = 0; i < block.count; i++) {
        if (isReplaced(block.replaced, i)) continue;
        const [subscription, customer] = owners.get(resources[i]!)!;
        yield {
          customer,
          subscription,
          resource: resources[i]!,
          meter: meters[i]!,
          day: days[i]!,
          quantity: amounts[3 * i]!,
          billing: amounts[3 * i + 1]!,
          usd: amounts[3 * i + 2]!,
        };
      }
    }
  }

  async writeAggregates(aggregates: PeriodAggregates, now: string): Promise<void> {
    await writeAggregates(this.#writer, aggregates, now);
  }

  async commit(summary: ImportSummaryCounts): Promise<{ replaced: number }> {
    await this.#markReplaced();
    const replaced = this.#replaced;
    await this.#writer.finish(this.batchId, { ...summary, replaced });
    await this.#writer.commit();
    this.#open = false;
    this.#onCommit();
    this.#onEnd();
    return { replaced };
  }

  async rollback(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    try {
      await this.#writer.rollback();
    } finally {
      this.#onEnd();
    }
  }

  async #insertBlock(
    scope: number,
    count: number,
    c: { identities: BigInt64Array; ordinals: Int32Array; resources: Int32Array; meters: Int32Array; days: Int32Array },
    amounts: Buffer,
  ): Promise<void> {
    const { partnerKey, period } = this.#scopes[scope]!;
    await this.#writer.insertBlock({
      partnerKey,
      period,
      batchId: this.batchId,
      count,
      identities: bytesOf(c.identities, count),
      ordinals: bytesOf(c.ordinals, count),
      resources: bytesOf(c.resources, count),
      meters: bytesOf(c.meters, count),
      days: bytesOf(c.days, count),
      amounts,
    });
  }

  async #scope(partnerKey: number, period: string): Promise<number> {
    const name = `${partnerKey}|${period}`;
    let idx = this.#scopeIndex.get(name);
    if (idx === undefined) {
      await this.#writer.lockScope(partnerKey, period);
      const preexisting = await this.#writer.hasLines(partnerKey, period);
      idx = this.#scopes.length;
      this.#scopes.push({ partnerKey, period, preexisting });
      this.#scopeIndex.set(name, idx);
      if (preexisting) {
        const { table, coarse } = await this.#loadStored(partnerKey, period);
        this.#stored[idx] = table;
        this.#coarse[idx] = coarse;
      }
    }
    return idx;
  }

  // The identities of the lines stored for a period before this import, to replace them; lines
  // stored before migration 0004 by (resource, meter, day) instead, their identities being of
  // ids as spelled then.
  async #loadStored(partnerKey: number, period: string): Promise<{ table: IdentityTable; coarse?: CoarseLines }> {
    const table = new IdentityTable({ wide: true });
    let coarse: CoarseLines | undefined;
    const key = this.#key;
    for await (const block of this.#writer.blocks(partnerKey, period)) {
      if (block.identityScheme === 1) {
        coarse ??= new CoarseLines();
        const resources = int32s(block.resources, block.count);
        const meters = int32s(block.meters, block.count);
        const days = int32s(block.days, block.count);
        for (let i = 0; i < block.count; i++) {
          if (!isReplaced(block.replaced, i))
            coarse.add(resources[i]!, meters[i]!, days[i]!, block.blockKey * INDEX_SPAN + i);
        }
        continue;
      }
      const words = int32s(block.identities, 2 * block.count);
      const ordinals = int32s(block.ordinals, block.count);
      for (let i = 0; i < block.count; i++) {
        if (isReplaced(block.replaced, i)) continue;
        occurrenceKey(words[2 * i]!, words[2 * i + 1]!, ordinals[i]!, key);
        table.set(key[0]!, key[1]!, block.blockKey * INDEX_SPAN + i);
      }
    }
    return coarse ? { table, coarse } : { table };
  }

  #replace(stored: IdentityTable, lo: number, hi: number): void {
    const place = stored.get(lo, hi);
    if (place === undefined || place < 0) return;
    stored.set(lo, hi, -1); // replaced once; the table has no delete
    this.#mark(place);
  }

  #mark(place: number): void {
    const block = Math.floor(place / INDEX_SPAN);
    let marks = this.#replacedIn.get(block);
    if (!marks) this.#replacedIn.set(block, (marks = []));
    marks.push(place % INDEX_SPAN);
    this.#replaced++;
  }

  // Marks replaced lines in their blocks; a block with every line replaced is deleted.
  async #markReplaced(): Promise<void> {
    for (const [block, indexes] of this.#replacedIn) {
      const { count, replaced } = await this.#writer.blockMarks(block);
      const bitmap = Buffer.alloc(Math.ceil(count / 8));
      replaced?.copy(bitmap);
      for (const i of indexes) bitmap[i >>> 3]! |= 1 << (i & 7);
      let set = 0;
      for (let i = 0; i < count; i++) if (isReplaced(bitmap, i)) set++;
      if (set === count) await this.#writer.deleteBlock(block);
      else await this.#writer.setReplaced(block, bitmap);
    }
    this.#replacedIn.clear();
  }

  /**
   * Upserts the rows this import has not written yet. The parsers number their dimensions each
   * for itself, so the second half of a file brings the first half's customers, resources… again:
   * those already have keys, and writing them twice was measured at half of the upsert time.
   */
  async #upsert(kind: DimensionKind, rows: readonly (readonly unknown[])[]): Promise<number[]> {
    const known = this.#dimensionKeys[kind];
    const conflict = DIMENSIONS[kind].conflict.map((c) => DIMENSIONS[kind].columns.indexOf(c));
    const names = rows.map((row) => conflict.map((i) => String(row[i])).join('\u0000'));
    // Each natural key once (two spellings of one GUID are one row), and none already written.
    const fresh: (readonly unknown[])[] = [];
    const freshIndex = new Map<string, number>();
    names.forEach((name, i) => {
      if (known.has(name) || freshIndex.has(name)) return;
      freshIndex.set(name, fresh.length);
      fresh.push(rows[i]!);
    });
    // In the order of the unique index: its B-tree is then written in runs rather than at random
    // places (measured: half the time per resource row in SQLite).
    const order = fresh.map((_, i) => i).sort((a, b) => compareColumns(fresh[a]!, fresh[b]!, conflict));
    const sortedKeys =
      fresh.length > 0
        ? await this.#writer.upsert(
            kind,
            order.map((i) => fresh[i]!),
          )
        : [];
    const freshKeys: number[] = [];
    order.forEach((i, j) => (freshKeys[i] = sortedKeys[j]!));
    for (const [name, i] of freshIndex) known.set(name, freshKeys[i]!);
    return names.map((name) => known.get(name)!);
  }

  async #resolveDimensions(batch: LineBatch, keys: SourceKeys): Promise<void> {
    append(
      keys.partner,
      await this.#upsert(
        'partner',
        batch.partners.map((p) => [p.tenantId, p.name]),
      ),
    );
    append(
      keys.customerParent,
      batch.customers.map((c) => c.partner),
    );
    const customers = batch.customers.map((c) => [
      keys.partner[c.partner],
      c.tenantId,
      c.name,
      c.domain,
      c.country,
      c.currency,
      c.currencyLocale,
      c.plan,
    ]);
    append(keys.customer, await this.#upsert('customer', customers));
    append(
      keys.subscriptionParent,
      batch.subscriptions.map((s) => s.customer),
    );
    const subscriptions = batch.subscriptions.map((s) => [
      keys.customer[s.customer],
      s.subscriptionId,
      s.offerId,
      s.description,
    ]);
    append(keys.subscription, await this.#upsert('subscription', subscriptions));
    append(
      keys.entitlementParent,
      batch.entitlements.map((e) => e.subscription),
    );
    const entitlements = batch.entitlements.map((e) => [
      keys.subscription[e.subscription],
      e.entitlementId,
      e.description,
    ]);
    append(keys.entitlement, await this.#upsert('entitlement', entitlements));
    const meters = batch.meters.map((m) => [m.meterId, m.name, m.category, m.subcategory, m.region, m.unit]);
    append(keys.meter, await this.#upsert('meter', meters));
    const resourceKeys = await this.#upsert(
      'resource',
      batch.resources.map((r) => [keys.entitlement[r.entitlement], r.uri, r.group, r.location, r.service, r.tags]),
    );
    batch.resources.forEach((r, i) => {
      const subscription = keys.entitlementParent[r.entitlement]!;
      const customer = keys.subscriptionParent[subscription]!;
      const partner = keys.customerParent[customer]!;
      keys.resource.push([
        resourceKeys[i]!,
        keys.subscription[subscription]!,
        keys.customer[customer]!,
        keys.partner[partner]!,
      ]);
    });
  }
}
