import type { MeterInfo, PlanKind } from './usage-model.js';

/**
 * What the store answers, as plain rows: storage returns them and the record mappers
 * (usage-records.ts) turn them into Partner Center's records. They live here, below both, so that
 * neither imports the other's layer. Money is exact decimal text.
 */

export interface CustomerUsageRow {
  readonly tenantId: string;
  readonly name: string;
  readonly currency: string;
  readonly currencyLocale: string | null;
  readonly plan: PlanKind;
  readonly budget: string | null;
  readonly billingTotal: string;
  readonly usdTotal: string;
  /** null when the customer has no usage in the period. */
  readonly lastModified: string | null;
}

export interface MeterUsageRow {
  readonly meterId: string;
  readonly meterName: string;
  readonly category: string;
  readonly subcategory: string;
  readonly unit: string;
  readonly quantity: string;
  readonly billingTotal: string;
  readonly usdTotal: string;
  readonly lastModified: string;
}

/** What a subscription's records say about their owner. */
export interface SubscriptionOwner {
  readonly subscriptionId: string;
  readonly offerId: string;
  readonly description: string;
  readonly currency: string;
  readonly currencyLocale: string | null;
  readonly plan: PlanKind;
}

export interface SubscriptionUsageRow {
  readonly subscriptionId: string;
  readonly offerId: string;
  readonly description: string;
  /** The MPN id of the partner of record; '' where no file named one. */
  readonly partnerOnRecord: string;
  readonly billingTotal: string;
  readonly usdTotal: string;
  readonly lastModified: string | null;
}

export interface ResourceUsageRow {
  /** The keyset key. */
  readonly key: string;
  readonly uri: string;
  readonly group: string;
  readonly location: string;
  readonly entitlementId: string;
  readonly entitlementName: string;
  readonly billingTotal: string;
  readonly usdTotal: string;
  readonly lastModified: string;
}

export interface DayUsageRow {
  /** yyyymmdd. */
  readonly day: number;
  readonly billingTotal: string;
  readonly usdTotal: string;
  readonly lastModified: string;
}

export interface ResourceInfoRow {
  readonly uri: string;
  readonly location: string;
  readonly tags: string;
}

/** Utilization's rows: (resource, meter, day) groups in (day, resource, meter) order, amounts exact. */
export interface UsageLines {
  readonly count: number;
  readonly resource: Int32Array;
  readonly meter: Int32Array;
  readonly day: Int32Array;
  /** Amount k (quantity, billing, USD) of row i. */
  amount(i: number, k: number): string;
  readonly resources: ReadonlyMap<number, ResourceInfoRow>;
  readonly meters: ReadonlyMap<number, MeterInfoRow>;
  /** Bytes held, for a cache's bound. */
  readonly bytes: number;
}

export type MeterInfoRow = MeterInfo;

/** The answers of the store's queries about a customer's subscriptions: the rows, or which owner is missing. */
export type MissingOwner = { readonly found: 'customer-missing' } | { readonly found: 'subscription-missing' };

export type SubscriptionUsageResult =
  | { readonly found: 'customer-missing' }
  | { readonly found: 'ok'; readonly customer: CustomerUsageRow; readonly subscriptions: SubscriptionUsageRow[] };

export type SubscriptionSummaryResult =
  | MissingOwner
  | (SubscriptionOwner & {
      readonly found: 'ok';
      readonly billingTotal: string;
      readonly usdTotal: string;
      readonly lastModified: string | null;
    });

/** What a query about one subscription finds: its owner missing, or the subscription and `K`. */
type SubscriptionResult<K extends string, T> =
  MissingOwner | (SubscriptionOwner & { readonly found: 'ok' } & { readonly [P in K]: T });

export type ResourceUsageResult = SubscriptionResult<'resources', ResourceUsageRow[]>;

export type SubscriptionDaysResult = SubscriptionResult<'days', DayUsageRow[]>;

export type UsageLinesResult = SubscriptionResult<'lines', UsageLines>;

export type MeterUsageResult = SubscriptionResult<'meters', MeterUsageRow[]>;
