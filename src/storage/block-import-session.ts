import { amountsOf, type LineBatch } from '../domain/line-batch.js';
import { LineFields } from '../domain/line-fields.js';
import { periodOf } from '../domain/usage-day.js';
import { IdentityTable } from './identity-table.js';
import { writeAggregates } from './aggregate-writer.js';
import type { AlertEngine } from './alert-engine.js';
import { KyselyAlertRepository } from './alert-repository.js';
import { DimensionKeys, newSourceKeys, type SourceKeys } from './dimension-keys.js';
import { LineReplacement } from './line-replacement.js';
import { int32s, isReplaced } from './usage-lines.js';
import type { ImportWriter } from './import-writer.js';
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
import { refuseArchived } from './archived-periods.js';

const bytesOf = (a: Int32Array | BigInt64Array, count: number): Buffer =>
  Buffer.from(a.buffer, a.byteOffset, count * a.BYTES_PER_ELEMENT);

export interface SessionHooks {
  /** After a commit: the store's data version moves. */
  readonly onCommit: () => void;
  /** After a commit or a rollback. */
  readonly onEnd?: () => void;
  /** The alert rules, evaluated in the import's transaction on what it wrote. */
  readonly alerts: AlertEngine;
  readonly kind: 'sqlite' | 'postgres';
}

/**
 * One import as one write transaction, the same on every database: lines go in as one block row
 * per batch (see the migration), in scopes of (partner, period). Its other jobs have files of
 * their own: dimension rows and their keys (dimension-keys.ts), which stored lines new ones
 * replace (line-replacement.ts), the aggregates (aggregate-writer.ts). The dialect's statements
 * are the ImportWriter's.
 */
export class BlockImportSession implements ImportSession {
  readonly #writer: ImportWriter;
  readonly #onCommit: () => void;
  readonly #onEnd: () => void;
  readonly #sources: SourceKeys[] = [];
  /** Per parser, the parts of its dictionary of line fields stored so far. */
  readonly #dictionaryParts: number[] = [];
  readonly #scopes: ImportScope[] = [];
  readonly #scopeIndex = new Map<string, number>();
  /** Identity → how many lines of it this file had so far (the next one's ordinal). */
  readonly #inFile = new IdentityTable({ wide: false });
  readonly #dimensions: DimensionKeys;
  readonly #replacement: LineReplacement;
  #lastScope: { partner: number; period: string; scope: number } | undefined;
  #open = true;
  readonly #meta: ImportMeta;
  readonly #alerts: AlertEngine;
  readonly #kind: 'sqlite' | 'postgres';

  private constructor(
    writer: ImportWriter,
    readonly batchId: number,
    hooks: SessionHooks,
    meta: ImportMeta,
  ) {
    this.#writer = writer;
    this.#meta = meta;
    this.#dimensions = new DimensionKeys(writer);
    this.#replacement = new LineReplacement(writer);
    this.#onCommit = hooks.onCommit;
    this.#onEnd = hooks.onEnd ?? (() => {});
    this.#alerts = hooks.alerts;
    this.#kind = hooks.kind;
  }

  static async begin(writer: ImportWriter, meta: ImportMeta, hooks: SessionHooks): Promise<BlockImportSession> {
    return new BlockImportSession(writer, await writer.begin(meta), hooks, meta);
  }

  get scopes(): readonly ImportScope[] {
    return this.#scopes;
  }

  expectLines(lines: number): void {
    this.#inFile.reserve(lines);
  }

  async write(batch: LineBatch, source: number): Promise<void> {
    // The parser's dictionary of line fields grows before the blocks that use it (line-fields.ts).
    if (batch.fieldsDelta.length > 0) {
      const seq = (this.#dictionaryParts[source] = (this.#dictionaryParts[source] ?? 0) + 1);
      await this.#writer.insertDictionary(this.batchId, source, seq, batch.fieldsDelta);
    }
    const keys = (this.#sources[source] ??= newSourceKeys());
    await this.#dimensions.resolve(batch, keys);
    for (const period of batch.periods) keys.periods.push(period);
    const n = batch.count;
    // A batch whose lines were all refused (--skip-invalid) brings its rejections only.
    if (n === 0) return;
    // The batch's scopes first (they may wait for a lock and load stored identities).
    const scopeOf = new Map<string, number>();
    for (let i = 0, partner = -1, period = -1; i < n; i++) {
      // Lines of one partner's period come in runs: look a scope up only where a run starts.
      if (keys.resource.partner(batch.resource[i]!) === partner && batch.period[i] === period) continue;
      partner = keys.resource.partner(batch.resource[i]!);
      period = batch.period[i]!;
      const name = `${partner}|${period}`;
      if (!scopeOf.has(name)) scopeOf.set(name, await this.#scope(partner, keys.periods[period]!));
    }
    const resources = new Int32Array(n);
    const meters = new Int32Array(n);
    const ordinals = new Int32Array(n);
    const scopes = new Int32Array(n);
    const words = new Int32Array(batch.identity.buffer, batch.identity.byteOffset, 2 * n); // [lo, hi] per line
    const replacement = this.#replacement;
    let lastPartner = -1;
    let lastPeriod = -1;
    let scope = -1;
    let mixed = false;
    for (let i = 0; i < n; i++) {
      const local = batch.resource[i]!;
      const owner = keys.resource.partner(local);
      resources[i] = keys.resource.resource(local);
      meters[i] = keys.meter[batch.meter[i]!]!;
      const period = batch.period[i]!;
      if (owner !== lastPartner || period !== lastPeriod) {
        lastPartner = owner;
        lastPeriod = period;
        scope = scopeOf.get(`${lastPartner}|${period}`)!;
        if (i > 0 && scope !== scopes[0]) mixed = true;
      }
      scopes[i] = scope;
      const lo = words[2 * i]!;
      const hi = words[2 * i + 1]!;
      const ordinal = this.#inFile.increment(lo, hi);
      ordinals[i] = ordinal;
      replacement.replace(scope, lo, hi, ordinal, resources[i]!, meters[i]!, batch.day[i]!);
    }
    const columns = { identities: batch.identity, ordinals, resources, meters, days: batch.day };
    if (!mixed) {
      await this.#insertBlock(scopes[0]!, n, columns, amountsOf(batch, 0, n), batch.fields);
      return;
    }
    // Lines of several partners or periods (rare): one block for each.
    const fields = new LineFields(batch.fields, amountsOf(batch, 0, n).toString('latin1').split(','));
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
        fields.pick(pick, batch.fields),
      );
    }
  }

  async claimPeriods(periods: readonly string[]): Promise<void> {
    // The partner is the one whose lines this import wrote (a file holds one partner's usage).
    for (const partnerKey of new Set(this.#scopes.map((s) => s.partnerKey))) {
      for (const period of periods) {
        if (this.#scopeIndex.has(`${partnerKey}|${period}`)) continue;
        if (await this.#writer.hasLines(partnerKey, period)) await this.#scope(partnerKey, period);
      }
    }
  }

  keysOf(source: number, resource: number, meter: number, period: number): LineKeys {
    const keys = this.#sources[source]!;
    const owners = keys.resource;
    const partner = owners.partner(resource);
    const scope = this.#scopeOf(partner, keys.periods[period]!);
    if (scope === undefined) throw new Error(`no lines were written for partner ${partner} in ${keys.periods[period]}`);
    return {
      scope,
      customer: owners.customer(resource),
      subscription: owners.subscription(resource),
      resource: owners.resource(resource),
      meter: keys.meter[meter]!,
    };
  }

  dayKeysOf(source: number, customer: number, day: number): DayKeys {
    const keys = this.#sources[source]!;
    const partner = keys.partner[keys.customerParent[customer]!]!;
    const period = periodOf(day);
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
    await this.#replacement.flush();
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

  async commit(summary: ImportSummaryCounts): Promise<{ replaced: number; alerts: number; alertSeconds: number }> {
    await this.#replacement.flush();
    const replaced = this.#replacement.replaced;
    let alerts = 0;
    const started = performance.now();
    const repository = new KyselyAlertRepository(this.#writer.db, this.#kind === 'postgres');
    for (const { partnerKey, period } of this.#scopes) {
      alerts += (await this.#alerts.evaluate(repository, { partnerKey, period }, new Date(summary.finishedAt))).length;
      await repository.queueMeterEvaluation(partnerKey, period);
    }
    const alertSeconds = (performance.now() - started) / 1000;
    // The dictionaries of imports none of whose lines are left (every block replaced since).
    await this.#writer.db
      .deleteFrom('line_dictionaries')
      .where('batch_id', 'not in', this.#writer.db.selectFrom('line_blocks').select('batch_id'))
      .execute();
    await this.#writer.finish(this.batchId, { ...summary, replaced });
    await this.#meta.beforeCommit?.(this.#writer.db, [...new Set(this.#scopes.map((s) => s.period))].sort());
    await this.#writer.commit();
    this.#open = false;
    this.#onCommit();
    this.#onEnd();
    return { replaced, alerts, alertSeconds };
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
    fields: Uint8Array,
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
      fields: Buffer.from(fields.buffer, fields.byteOffset, fields.byteLength),
    });
  }

  async #scope(partnerKey: number, period: string): Promise<number> {
    const name = `${partnerKey}|${period}`;
    let idx = this.#scopeIndex.get(name);
    if (idx === undefined) {
      await this.#writer.lockScope(partnerKey, period);
      await refuseArchived(this.#writer.db, partnerKey, period, true);
      const preexisting = await this.#writer.hasLines(partnerKey, period);
      idx = this.#scopes.length;
      this.#scopes.push({ partnerKey, period, preexisting });
      this.#scopeIndex.set(name, idx);
      const currency = this.#meta.snapshotCurrency;
      if (preexisting && currency !== undefined) {
        await this.#replacement.replaceAll(partnerKey, period, await this.#resourcesBilledIn(partnerKey, currency));
      } else if (preexisting) await this.#replacement.load(idx, partnerKey, period);
    }
    return idx;
  }

  /** The keys of the partner's resources whose customer is billed in `currency`. */
  async #resourcesBilledIn(partnerKey: number, currency: string): Promise<Set<number>> {
    const rows = await this.#writer.db
      .selectFrom('resources as r')
      .innerJoin('entitlements as e', 'e.entitlement_key', 'r.entitlement_key')
      .innerJoin('subscriptions as s', 's.subscription_key', 'e.subscription_key')
      .innerJoin('customers as c', 'c.customer_key', 's.customer_key')
      .select('r.resource_key')
      .where('c.partner_key', '=', partnerKey)
      .where('c.currency', '=', currency.toUpperCase())
      .execute();
    return new Set(rows.map((r) => r.resource_key));
  }
}
