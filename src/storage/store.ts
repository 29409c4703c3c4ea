import type { SnapshotInfo } from './snapshot.js';
import type {
  CustomerUsageRow,
  MeterUsageResult,
  ResourceUsageResult,
  SubscriptionDaysResult,
  SubscriptionOwner,
  SubscriptionSummaryResult,
  SubscriptionUsageResult,
  UsageLinesResult,
} from '../domain/usage-rows.js';

export type * from '../domain/usage-rows.js';
import type { Kysely } from 'kysely';
import type { LineBatch } from '../domain/line-batch.js';
import type { Database } from './schema.js';
import type { AlertStore } from './alert-store.js';
import type { PriceRuleStore } from './price-rule-store.js';
import type { AccessGrantStore } from './access-grant-store.js';
import type { LineReader } from './line-reader.js';
import type { SyncState } from './sync-state.js';
import type { PeriodArchive } from './archived-periods.js';

/**
 * The one storage interface, implemented by SQLite (the embedded default) and PostgreSQL, chosen by
 * the database location (open-store.ts). Only storage speaks SQL.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Opens the one write transaction of an import. */
  beginImport(meta: ImportMeta): Promise<ImportSession>;
  partners(): Promise<PartnerRow[]>;
  /**
   * The partner's customers with their totals for the period (zero when they had none), in
   * customer tenant id order: all of them, or `page.limit` after `page.after`.
   */
  customerUsage(
    partnerTenantId: string,
    period: string,
    page?: KeysetPage,
    customerTenantId?: string,
  ): Promise<CustomerUsageRow[]>;
  /** A customer's subscriptions with their totals for the period (zero when none). */
  subscriptionUsage(q: CustomerQuery): Promise<SubscriptionUsageResult>;
  subscriptionSummary(q: SubscriptionQuery): Promise<SubscriptionSummaryResult>;
  /** Resources of one subscription, in resource key order. */
  resourceUsage(q: SubscriptionQuery & { readonly page?: KeysetPage }): Promise<ResourceUsageResult>;
  /** Usage days of one subscription, in day order. */
  subscriptionDays(q: SubscriptionQuery & { readonly page?: KeysetPage }): Promise<SubscriptionDaysResult>;
  /** Per customer and usage day (of one customer, when given), in customer then day order. */
  customerDays(partnerTenantId: string, period: string, customerTenantId?: string): Promise<CustomerDayRow[]>;
  /** The latest usage day the partner has lines for in the period. */
  lastUsageDay(partnerTenantId: string, period: string): Promise<number | undefined>;
  /** Anomalies raised in the period (a customer's days and its meters' days), by customer tenant id. */
  anomalyCounts(partnerTenantId: string, period: string): Promise<Map<string, number>>;
  /** The periods the partner has usage in, newest first. */
  periods(partnerTenantId: string): Promise<string[]>;
  /** When the last import that stored lines of the partner finished (ISO 8601), or null. */
  lastImportAt(partnerTenantId: string): Promise<string | null>;
  /** One subscription's lines in the periods, summed per (resource, meter, day): utilization's reads. */
  usageLines(q: SubscriptionQuery, periods: readonly string[]): Promise<UsageLinesResult>;
  /**
   * [partner tenant, customer tenant, billing currency] of every stored customer (of one partner,
   * when given): an import checks a file's customers against them.
   */
  customerCurrencies(partnerTenantId?: string): Promise<[string, string, string][]>;
  /** How many customers the partner has. */
  customerCount(partnerTenantId: string): Promise<number>;
  /** Changes whenever any data changes, in this process or another (for response caches). */
  dataVersion(): string;
  /**
   * Changes with dataVersion and whenever the alert tables change: alerts, webhook endpoints,
   * e-mail recipients, deliveries (which the sender writes in the background, and which would
   * otherwise move dataVersion, and every cached answer and grantee view with it).
   */
  alertsVersion(): string;
  /** The meters of one subscription of one of the partner's customers, for the period. */
  meterUsage(query: MeterUsageQuery): Promise<MeterUsageResult>;
  /**
   * Sets (amount) or clears (null) a customer's monthly budget, audited as `actor` (a token's user,
   * or `cli`) and with the alert rules evaluated, in one transaction; false when no such customer.
   */
  setBudget(partnerTenantId: string, customerTenantId: string, amount: string | null, actor?: string): Promise<boolean>;
  /** Alert rules, webhooks, e-mail recipients, deliveries and the audit log. */
  readonly alerts: AlertStore;
  /** Price rules: what the partner charges its customers (issue #29). */
  readonly prices: PriceRuleStore;
  /** Access grants: customers' and resellers' tenants given a view of their scope (issue #30). */
  readonly access: AccessGrantStore;
  /** Months whose lines were archived to a file, their totals kept (`partner-usage archive`). */
  readonly archive: PeriodArchive;
  /** The stored lines with their customer, subscription, resource and meter, streamed. */
  readonly lines: LineReader;
  /** Emulated export operations, synced snapshots' eTags, staged pages, sync credentials. */
  readonly sync: SyncState;
  /** The subscription ids of one of the partner's customers; undefined when it has no such customer. */
  subscriptionIds(partnerTenantId: string, customerTenantId: string): Promise<string[] | undefined>;
  importBatches(): Promise<ImportBatchRow[]>;
  /** One round trip to the database (a table read): throws when it cannot be used (/healthz). */
  ping(): Promise<void>;
  /** What the database has seen happen, for /metrics: deliveries by state, sync snapshots kept. */
  activity(): Promise<StoreActivity>;
  /** A server secret shared by every process on this database, created by `create` on first use. */
  secret(name: string, create: () => Promise<string>): Promise<string>;
  /** A consistent copy of the data (not the server's secrets) in `file`, taken while the store is in use (snapshot.ts). */
  saveSnapshot(file: string): Promise<SnapshotInfo>;
  /** Every row replaced by the snapshot's, in one transaction: a failure leaves the data as it was. */
  loadSnapshot(file: string): Promise<SnapshotInfo>;
  /** Every row removed, in one transaction (the server's secrets kept). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

export interface ImportMeta {
  readonly fileName: string;
  readonly format: string;
  readonly startedAt: string;
  /**
   * A snapshot of the customers billed in this currency (a sync's export): every stored line of
   * theirs in the periods the import writes is replaced, so a line the snapshot no longer holds is
   * gone, not kept.
   */
  readonly snapshotCurrency?: string;
  /**
   * Periods an earlier snapshot of the same scope stored lines in: with `snapshotCurrency`, their
   * lines are replaced too, even where this snapshot has none (a snapshot owns all its lines).
   */
  readonly snapshotPeriods?: readonly string[];
  /** Runs inside the import's transaction just before it commits, with the periods it wrote (a sync records its eTag). */
  readonly beforeCommit?: (db: Kysely<Database>, periods: readonly string[]) => Promise<void>;
}

/** Where a line belongs, in storage keys. */
export interface LineKeys {
  /** Index into ImportSession.scopes. */
  readonly scope: number;
  readonly customer: number;
  readonly subscription: number;
  readonly resource: number;
  readonly meter: number;
}

export interface DayKeys {
  readonly scope: number;
  readonly customer: number;
}

export interface ImportScope {
  readonly partnerKey: number;
  readonly period: string;
  /** The partner already had lines for this period before this import. */
  readonly preexisting: boolean;
}

/** A stored line, as read back to recompute a period's aggregates. */
export interface StoredLine {
  readonly customer: number;
  readonly subscription: number;
  readonly resource: number;
  readonly meter: number;
  /** The usage day, yyyymmdd. */
  readonly day: number;
  readonly quantity: string;
  readonly billing: string;
  readonly usd: string;
}

export interface ImportSession {
  readonly batchId: number;
  /**
   * A hint: the file holds about this many lines. The identities of its lines are held in a hash
   * table, sized once from it rather than grown and rehashed ~20 times (measured: 0.15–0.28 s of
   * the importing thread for 1M lines).
   */
  expectLines(lines: number): void;
  /**
   * Upserts the batch's dimensions and appends its lines, replacing stored lines of the same
   * identity. `source` names the parser the batch came from: each numbers its dimensions itself.
   */
  write(batch: LineBatch, source: number): Promise<void>;
  /** The storage keys of a parser's local resource, meter and period (after `write`). */
  keysOf(source: number, resource: number, meter: number, period: number): LineKeys;
  /** The storage keys of a parser's local customer on a usage day (yyyymmdd), after `write`. */
  dayKeysOf(source: number, customer: number, day: number): DayKeys;
  /** Every (partner, period) this import has written to, by scope index. */
  readonly scopes: readonly ImportScope[];
  /** Every stored line of a partner's period, this import's included. */
  readLines(scope: ImportScope): AsyncIterable<StoredLine>;
  /** Opens the scopes of a snapshot's earlier periods (ImportMeta.snapshotPeriods) that hold lines, so they are replaced. */
  claimPeriods(periods: readonly string[]): Promise<void>;
  /** Replaces a period's aggregates; unchanged values keep their lastModified. */
  writeAggregates(aggregates: PeriodAggregates, now: string): Promise<void>;
  /** Evaluates the alert rules on what the import wrote (in its transaction), then commits. */
  commit(summary: ImportSummaryCounts): Promise<{ replaced: number; alerts: number; alertSeconds: number }>;
  rollback(): Promise<void>;
}

export interface ImportSummaryCounts {
  readonly contentHash: string;
  readonly finishedAt: string;
  readonly lines: number;
  readonly rejected: number;
}

/** Exact decimal text everywhere below. */
/** The aggregate tables an import writes for each of its periods (aggregate-writer.ts). */
export type AggregateTable = 'customers' | 'subscriptions' | 'meters' | 'resources' | 'customerDays';

/** One aggregate table's rows, read one at a time (a file of a million resources has a million). */
export interface AggregateRows {
  readonly count: number;
  /** Row i's key column c (every key is a number). */
  key(i: number, c: number): number;
  /** Row i: its keys, then its values. */
  row(i: number): (number | string)[];
}

export interface PeriodAggregates {
  readonly scope: ImportScope;
  /**
   * customers [customer, billing, usd], subscriptions [subscription, billing, usd], meters
   * [subscription, meter, quantity, billing, usd], resources [subscription, resource, billing, usd],
   * customerDays [customer, yyyymmdd, billing, usd].
   */
  table(name: AggregateTable): AggregateRows;
}

export interface PartnerRow {
  readonly tenantId: string;
  readonly name: string;
  readonly customers: number;
}

/** Keyset paging: the rows after `after` (exclusive) in the collection's order, at most `limit`. */
export interface KeysetPage {
  readonly after?: string;
  readonly limit: number;
}

export interface CustomerQuery {
  readonly partnerTenantId: string;
  readonly customerTenantId: string;
  readonly period: string;
}

export interface SubscriptionQuery extends CustomerQuery {
  readonly subscriptionId: string;
}

export interface MeterUsageQuery extends SubscriptionQuery {
  /** Meters in meter id order. */
  readonly page?: KeysetPage;
}

export interface FoundSubscription {
  readonly found: 'ok';
  readonly partnerKey: number;
  readonly subscriptionKey: number;
  readonly owner: SubscriptionOwner;
}

export interface CustomerDayRow {
  readonly customerTenantId: string;
  readonly day: number;
  readonly billingTotal: string;
}

export interface StoreActivity {
  readonly deliveries: readonly { readonly status: string; readonly count: number; readonly attempts: number }[];
  readonly syncSnapshots: { readonly count: number; readonly lines: number };
}

export interface ImportBatchRow {
  readonly batchId: number;
  readonly fileName: string;
  readonly contentHash: string;
  readonly format: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly lines: number;
  readonly rejected: number;
  readonly replaced: number;
}
