import type { LineBatch } from '../domain/line-batch.js';
import type { DimensionInfo, DimensionKind } from '../domain/usage-model.js';
import { DIMENSIONS, dimensionRows } from './dimension-tables.js';
import type { ImportWriter } from './import-writer.js';

/** Storage keys by one parser's local dimension index, and each resource's owners. */
export interface SourceKeys {
  readonly partner: number[];
  readonly customer: number[];
  readonly subscription: number[];
  readonly entitlement: number[];
  readonly meter: number[];
  readonly resource: ResourceOwners;
  readonly periods: string[];
  // Local parent indexes, to find a resource's owners.
  readonly customerParent: number[];
  readonly subscriptionParent: number[];
  readonly entitlementParent: number[];
}

export const newSourceKeys = (): SourceKeys => ({
  partner: [],
  customer: [],
  subscription: [],
  entitlement: [],
  meter: [],
  resource: new ResourceOwners(),
  periods: [],
  customerParent: [],
  subscriptionParent: [],
  entitlementParent: [],
});

/** Orders rows by the values at `columns` (numbers as numbers, text by code units). */
function compareColumns(a: readonly unknown[], b: readonly unknown[], columns: readonly number[]): number {
  for (const c of columns) {
    const x = a[c] as number | string;
    const y = b[c] as number | string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Per local resource, its resource, subscription, customer and partner keys: four numbers in one
 * typed array, not an array each (a file's tens of thousands of resources, read for every line).
 */
export class ResourceOwners {
  #keys = new Int32Array(4 * 1024);
  #count = 0;

  push(resource: number, subscription: number, customer: number, partner: number): void {
    if (4 * this.#count === this.#keys.length) {
      const grown = new Int32Array(2 * this.#keys.length);
      grown.set(this.#keys);
      this.#keys = grown;
    }
    const at = 4 * this.#count++;
    this.#keys[at] = resource;
    this.#keys[at + 1] = subscription;
    this.#keys[at + 2] = customer;
    this.#keys[at + 3] = partner;
  }

  resource(local: number): number {
    return this.#keys[4 * local]!;
  }

  subscription(local: number): number {
    return this.#keys[4 * local + 1]!;
  }

  customer(local: number): number {
    return this.#keys[4 * local + 2]!;
  }

  partner(local: number): number {
    return this.#keys[4 * local + 3]!;
  }
}

/** push(...items) without an argument per item (which overflows the stack for large batches). */
function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/**
 * The dimension rows a batch brings, upserted, and the storage key of each of its local indexes.
 * The parsers number their dimensions each for itself, so the second half of a file brings the
 * first half's customers, resources… again: those already have keys, and writing them twice was
 * measured at half of the upsert time.
 */
export class DimensionKeys {
  readonly #writer: ImportWriter;
  /** Per dimension kind: natural key → storage key, for the rows this import has written. */
  readonly #known: Record<DimensionKind, Map<string, number>> = {
    partner: new Map(),
    customer: new Map(),
    subscription: new Map(),
    entitlement: new Map(),
    meter: new Map(),
    resource: new Map(),
  };

  constructor(writer: ImportWriter) {
    this.#writer = writer;
  }

  async resolve(batch: LineBatch, keys: SourceKeys): Promise<void> {
    const { partners, customers, subscriptions, entitlements } = batch;
    append(keys.partner, await this.#keysOf('partner', partners));
    for (const c of customers) keys.customerParent.push(c.partner);
    append(keys.customer, await this.#keysOf('customer', customers, keys.partner));
    for (const s of subscriptions) keys.subscriptionParent.push(s.customer);
    append(keys.subscription, await this.#keysOf('subscription', subscriptions, keys.customer));
    for (const e of entitlements) keys.entitlementParent.push(e.subscription);
    append(keys.entitlement, await this.#keysOf('entitlement', entitlements, keys.subscription));
    append(keys.meter, await this.#keysOf('meter', batch.meters));
    const resourceKeys = await this.#keysOf('resource', batch.resources, keys.entitlement);
    batch.resources.forEach((r, i) => {
      const subscription = keys.entitlementParent[r.entitlement]!;
      const customer = keys.subscriptionParent[subscription]!;
      const partner = keys.customerParent[customer]!;
      keys.resource.push(
        resourceKeys[i]!,
        keys.subscription[subscription]!,
        keys.customer[customer]!,
        keys.partner[partner]!,
      );
    });
  }

  /** The storage key of each entry, in order (`parentKeys`: its parent's, by local index). */
  #keysOf<K extends DimensionKind>(
    kind: K,
    entries: readonly DimensionInfo[K][],
    parentKeys?: readonly number[],
  ): Promise<number[]> {
    return this.#upsert(kind, dimensionRows(kind, entries, parentKeys));
  }

  /** Upserts the rows this import has not written yet; the key of every row, in order. */
  async #upsert(kind: DimensionKind, rows: readonly (readonly unknown[])[]): Promise<number[]> {
    const known = this.#known[kind];
    const { columns, conflict: conflictColumns } = DIMENSIONS[kind];
    const conflict = conflictColumns.map((c) => columns.indexOf(c));
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
}
